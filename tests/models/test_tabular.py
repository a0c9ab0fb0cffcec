"""Study S4's feature nets beyond the registry contract (test_registry_contract): the one-step
LSTM's unused recurrence, the 'features' sequence layout, dropout only where asked."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models import registry
from lyric_jax.models.tabular import as_sequence
from tests.model_checks import loss_and_grads

B, F, C = 4, 6, 5
# The kwargs experiments/spotify.py stores, at small sizes.
MODELS = {
    "mlp_dropout": {"hidden": (7, 9, 9), "dropout": 0.2, "dropout_layers": (0,)},
    "lstm_lstm": {"lstm": (8, 9), "sequence": "step"},
}
# With one step from a zero state, these LSTM cell parameters never act (tabular.py).
UNUSED_IN_ONE_STEP = {"hf/bias", "hf/kernel", "hi/kernel", "hg/kernel", "ho/kernel", "if/kernel"}


def _setup(name):
  rng = np.random.default_rng(0)
  batch = {"features": jnp.asarray(rng.normal(size=(B, F)), jnp.float32)}
  labels = jnp.asarray(rng.integers(0, C, B), jnp.int32)
  model = registry.build(name, num_classes=C, **MODELS[name])
  keys = {"params": jax.random.key(0), "dropout": jax.random.key(1)}
  # Jitted: one compile of the whole init is far cheaper than op-by-op dispatch of a scan.
  logits, variables = jax.jit(lambda b: model.init_with_output(keys, b, train=True))(batch)
  chex.assert_shape(logits, (B, C))
  return model, variables, batch, labels


def test_one_step_lstm_never_uses_its_recurrence():
  """sequence='step' (the study's likely setup): the recurrent kernels and the forget
  gate get exactly zero gradient, as tabular.py documents; every other parameter learns."""
  model, variables, batch, labels = _setup("lstm_lstm")
  _, grads = loss_and_grads(model, variables, batch, labels)
  chex.assert_tree_all_finite(grads)
  for path, g in jax.tree_util.tree_leaves_with_path(grads):
    leaf = "/".join(str(k.key) for k in path[-2:])
    assert (float(jnp.abs(g).max()) == 0) == (leaf in UNUSED_IN_ONE_STEP), jax.tree_util.keystr(path)


def test_features_sequence_gives_each_feature_its_own_step():
  x = jnp.arange(1.0, 4.0)[None]                     # [1, 3]
  seq = as_sequence(x, "features")
  chex.assert_shape(seq, (1, 3, 6))
  np.testing.assert_array_equal(seq[0, 1], [0, 2, 0, 0, 1, 0])
  chex.assert_shape(as_sequence(x, "step"), (1, 1, 3))
  with pytest.raises(ValueError):
    as_sequence(x, "tokens")


def test_dropout_only_where_asked():
  model, variables, batch, _ = _setup("mlp_dropout")
  train = jax.jit(lambda k: model.apply(variables, batch, train=True, rngs={"dropout": k}))
  assert not np.allclose(train(jax.random.key(1)), train(jax.random.key(2)))
  hidden = jax.jit(lambda k: model.apply(variables, batch, train=True, rngs={"dropout": k},
                                         capture_intermediates=True)[1])(jax.random.key(1))
  dropped = [name for name in hidden["intermediates"]["MLP_0"] if name.startswith("Dropout")]
  assert dropped == ["Dropout_0"]                             # after the first hidden layer only
  test = jax.jit(lambda: model.apply(variables, batch, train=False))
  np.testing.assert_array_equal(test(), test())               # no dropout at evaluation
