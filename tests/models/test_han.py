"""HAN: shapes, padding invariance (words and lines), empty lines/songs, one batched word scan
(its sown attention: test_registry_contract)."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models.han import HAN
from tests import model_checks

B, L, W, V, C = 3, 4, 5, 20, 3
LINES = np.array([4, 2, 0], np.int32)  # full song, short song, all-empty song
WORDS = np.array([[5, 2, 0, 1],  # line 2 is an empty line inside a song
                  [3, 1, 0, 0],
                  [0, 0, 0, 0]], np.int32)
# Pairwise covering of cell x bidirectional x num_layers (the full product is
# in test_recurrent.py); halves HAN compile time on a shared 2-core CPU.
CONFIGS = pytest.mark.parametrize(
    "cell,bidirectional,num_layers",
    [("lstm", False, 1), ("lstm", True, 2), ("gru", False, 2), ("gru", True, 1)])


def _model(cell="gru", bidirectional=True, num_layers=1, **kw):
  return HAN(C, V, embed=8, word_hidden=6, line_hidden=5, attn_size=4, cell=cell,
             bidirectional=bidirectional, num_layers=num_layers, **kw)


def _batch(extra_lines=0, extra_words=0, seed=0):
  """Real tokens in 1..V-1; padding is PAD (0) or, if extra_*, random garbage."""
  rng = np.random.default_rng(seed)
  tokens = rng.integers(1, V, size=(B, L, W))
  real = np.arange(W) < WORDS[..., None]
  tokens = np.where(real, tokens, 0)
  if extra_words:
    tokens = np.concatenate(
        [tokens, rng.integers(1, V, size=(B, L, extra_words))], axis=2)
  if extra_lines:
    tokens = np.concatenate(
        [tokens, rng.integers(1, V, size=(B, extra_lines, tokens.shape[2]))], 1)
  # Lines past `lengths` claim words too: they must be ignored anyway.
  word_lengths = np.pad(WORDS, ((0, 0), (0, extra_lines)), constant_values=2)
  return {"tokens": jnp.asarray(tokens, jnp.int32),
          "word_lengths": jnp.asarray(word_lengths),
          "lengths": jnp.asarray(LINES)}


@pytest.fixture(name="run", scope="module")
def run_fixture(random_params):
  """Per config: params, logits and parameter gradients, compiled once."""

  @functools.lru_cache(maxsize=None)
  def run(cell, bidirectional, num_layers):
    model = _model(cell, bidirectional, num_layers)
    batch = _batch()
    params = random_params(model, batch)
    return model, params, *model_checks.eval_logits_and_grads(model, params, batch)

  return run


@CONFIGS
def test_logits_and_gradients_finite_nonzero(run, cell, bidirectional, num_layers):
  _, params, logits, grads = run(cell, bidirectional, num_layers)
  chex.assert_shape(logits, (B, C))
  chex.assert_tree_all_finite((logits, grads))
  for path, g in jax.tree_util.tree_leaves_with_path(grads):
    assert np.any(np.asarray(g) != 0), jax.tree_util.keystr(path)
  # The all-empty song pools to a zero vector: its logits are the head bias.
  chex.assert_trees_all_close(logits[2], params["params"]["head"]["bias"])


@CONFIGS
def test_padding_invariance(run, cell, bidirectional, num_layers):
  """5 extra garbage words per line and 3 extra garbage lines change nothing."""
  model, params, logits, _ = run(cell, bidirectional, num_layers)
  padded, _ = model_checks.apply_with_intermediates(model, params, _batch(extra_lines=3, extra_words=5))
  chex.assert_trees_all_close(padded, logits, atol=1e-5)


def test_word_encoder_is_one_batched_scan(random_params):
  """Scan count does not grow with the number of lines: no loop over lines."""
  model = _model()

  def n_scans(lines):
    batch = {"tokens": jnp.zeros((B, lines, W), jnp.int32),
             "word_lengths": jnp.zeros((B, lines), jnp.int32),
             "lengths": jnp.zeros((B,), jnp.int32)}
    params = random_params(model, batch)
    jaxpr = jax.make_jaxpr(functools.partial(model.apply, train=False))(params, batch)
    return str(jaxpr).count(" scan[")

  assert n_scans(2) == n_scans(6) == 4  # {word, line} x {fwd, bwd}


def test_dropout_only_in_training(run):
  model, params, logits, _ = run("gru", False, 2)
  train_logits = jax.jit(functools.partial(model.clone(dropout=0.5).apply, train=True))(
      params, _batch(), rngs={"dropout": jax.random.key(1)})
  chex.assert_tree_all_finite(train_logits)
  assert not np.allclose(train_logits, logits)


def test_default_hyperparameters_shapes():
  model = HAN(num_classes=C, vocab_size=V)
  logits, params = jax.eval_shape(
      functools.partial(model.init_with_output, train=False),
      jax.random.key(0), _batch())
  chex.assert_shape(logits, (B, C))
  enc = params["params"]["word_encoder"]
  chex.assert_shape(enc["fwd_0"]["cell"]["in"]["kernel"], (100, 50))
  chex.assert_shape(params["params"]["head"]["kernel"], (100, C))  # 2 x line_hidden
