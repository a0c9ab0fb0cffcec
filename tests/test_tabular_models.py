"""Study S4's feature nets: output shapes, finite gradients reaching every parameter."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lyric_jax.models import registry
from lyric_jax.models.tabular import as_sequence

B, F, C = 4, 6, 5
# The kwargs experiments/spotify.py stores for each model (small sizes, same structure).
# Each LSTM net is checked in one sequence mode (each compile of flax's scan costs seconds).
MODELS = {
    "softmax": {},
    "mlp": {"hidden": (7, 9, 9)},
    "mlp_dropout": {"hidden": (7, 9, 9), "dropout": 0.2, "dropout_layers": (0,)},
    "dense_lstm": {"dense": 10, "lstm": (8,), "sequence": "features"},
    "lstm_lstm": {"lstm": (8, 9), "sequence": "step"},
}


def _batch():
  rng = np.random.default_rng(0)
  return {"features": jnp.asarray(rng.normal(size=(B, F)), jnp.float32),
          "label": jnp.asarray(rng.integers(0, C, B), jnp.int32)}


def _grads(name):
  model = registry.build(name, num_classes=C, **MODELS[name])
  batch = _batch()
  keys = {"params": jax.random.PRNGKey(0), "dropout": jax.random.PRNGKey(1)}
  # Jitted: compiling each model once is far cheaper than op-by-op dispatch of its scans.
  logits, variables = jax.jit(lambda k, b: model.init_with_output(k, b, train=True))(keys, batch)
  chex.assert_shape(logits, (B, C))

  def loss(params):
    out = model.apply({"params": params}, batch, train=True, rngs={"dropout": jax.random.PRNGKey(2)})
    return optax.softmax_cross_entropy_with_integer_labels(out, batch["label"]).mean()

  return jax.tree_util.tree_flatten_with_path(jax.jit(jax.grad(loss))(variables["params"]))[0]


def _name(path):
  return "/".join(str(getattr(k, "key", k)) for k in path)


@pytest.mark.parametrize("name", ["softmax", "mlp", "mlp_dropout", "dense_lstm"])
def test_every_parameter_gets_a_finite_nonzero_gradient(name):
  for path, g in _grads(name):
    assert np.isfinite(g).all(), _name(path)
    assert np.abs(g).sum() > 0, f"{name}: no gradient reaches {_name(path)}"


def test_one_step_lstm_never_uses_its_recurrence():
  """sequence='step' (the study's likely setup): from a zero state, one step gives the
  recurrent kernels and the forget gate exactly zero gradient, as tabular.py documents;
  every other parameter learns."""
  dead = {"hf/bias", "hf/kernel", "hi/kernel", "hg/kernel", "ho/kernel", "if/kernel"}
  for path, g in _grads("lstm_lstm"):
    assert np.isfinite(g).all(), _name(path)
    leaf = "/".join(_name(path).split("/")[-2:])     # these names exist only in LSTM cells
    assert (np.abs(g).sum() == 0) == (leaf in dead), _name(path)


def test_features_sequence_gives_each_feature_its_own_step():
  x = jnp.arange(1.0, 4.0)[None]                     # [1, 3]
  seq = as_sequence(x, "features")
  chex.assert_shape(seq, (1, 3, 6))
  np.testing.assert_array_equal(seq[0, 1], [0, 2, 0, 0, 1, 0])
  chex.assert_shape(as_sequence(x, "step"), (1, 1, 3))
  with pytest.raises(ValueError):
    as_sequence(x, "tokens")


def test_dropout_only_where_asked():
  model = registry.build("mlp_dropout", num_classes=C, **MODELS["mlp_dropout"])
  batch = _batch()
  variables = jax.jit(lambda b: model.init(jax.random.PRNGKey(0), b, train=False))(batch)
  train = jax.jit(lambda k: model.apply(variables, batch, train=True, rngs={"dropout": k}))
  assert not np.allclose(train(jax.random.PRNGKey(1)), train(jax.random.PRNGKey(2)))
  test = jax.jit(lambda: model.apply(variables, batch, train=False))
  np.testing.assert_array_equal(test(), test())               # no dropout at evaluation
