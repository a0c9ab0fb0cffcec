"""RecurrentClassifier over a pairwise matrix of pooling x cell x direction x depth: every
configuration padding-invariant, finite, fully trained (its sown attention: test_registry_contract)."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models.sequence import RecurrentClassifier
from tests import model_checks

B, T, V, C = 4, 8, 20, 3
LENGTHS = np.array([8, 5, 1, 0], np.int32)
# Pairwise covering of pooling x cell x bidirectional x num_layers (7 of 32).
CONFIGS = pytest.mark.parametrize("pooling,cell,bidirectional,num_layers", [
    ("last", "lstm", False, 1), ("last", "gru", True, 2),
    ("attention", "lstm", True, 1), ("attention", "gru", False, 2),
    ("mean", "lstm", False, 2), ("mean", "gru", True, 1), ("max", "lstm", True, 1)])


def _batch(extra=0, seed=0):
  """Real tokens in 1..V-1, PAD after; `extra` appends garbage (non-PAD) steps."""
  rng = np.random.default_rng(seed)
  tokens = np.where(np.arange(T) < LENGTHS[:, None],
                    rng.integers(1, V, size=(B, T)), 0)
  tokens = np.concatenate([tokens, rng.integers(1, V, size=(B, extra))], axis=1)
  return {"tokens": jnp.asarray(tokens, jnp.int32), "lengths": jnp.asarray(LENGTHS)}


@pytest.fixture(name="run", scope="module")
def run_fixture(random_params):

  @functools.lru_cache(maxsize=None)
  def run(pooling, cell, bidirectional, num_layers):
    model = RecurrentClassifier(
        C, V, embed=8, hidden=6, cell=cell, bidirectional=bidirectional,
        num_layers=num_layers, pooling=pooling, attn_size=4)
    batch = _batch()
    params = random_params(model, batch)
    return model, params, *model_checks.eval_logits_and_grads(model, params, batch)

  return run


@CONFIGS
def test_logits_and_gradients_finite_nonzero(run, pooling, cell, bidirectional,
                                             num_layers):
  _, params, logits, grads = run(pooling, cell, bidirectional, num_layers)
  chex.assert_shape(logits, (B, C))
  chex.assert_tree_all_finite((logits, grads))
  for path, g in jax.tree_util.tree_leaves_with_path(grads):
    assert np.any(np.asarray(g) != 0), jax.tree_util.keystr(path)
  chex.assert_trees_all_close(logits[3], params["params"]["head"]["bias"])  # empty


@CONFIGS
def test_padding_invariance(run, pooling, cell, bidirectional, num_layers):
  """5 extra non-PAD garbage steps past each length change nothing."""
  model, params, logits, _ = run(pooling, cell, bidirectional, num_layers)
  padded, _ = model_checks.apply_with_intermediates(model, params, _batch(extra=5))
  chex.assert_trees_all_close(padded, logits, atol=1e-5)


def test_unknown_pooling_raises(random_params):
  with pytest.raises(ValueError, match="pooling"):
    random_params(RecurrentClassifier(C, V, pooling="median"), _batch())
