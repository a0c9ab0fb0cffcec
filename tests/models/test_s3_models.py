"""Study S3 models (attention LSTM, vanilla RNN, FFNN): shapes, padding, gradients, cell math."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models import registry
from lyric_jax.models.recurrent import RecurrentEncoder
from tests.model_checks import assert_all_grads_finite_and_nonzero, assert_one_step_changes_every_param

B, T, V = 3, 9, 30
LENGTHS = np.array([9, 4, 1], np.int32)


def _batch(extra=0, seed=0):
  rng = np.random.default_rng(seed)
  tokens = np.where(np.arange(T) < LENGTHS[:, None], rng.integers(1, V, (B, T)), 0)
  tokens = np.concatenate([tokens, rng.integers(1, V, (B, extra))], axis=1)   # garbage past lengths
  return {"tokens": jnp.asarray(tokens, jnp.int32), "lengths": jnp.asarray(LENGTHS)}


# The attention LSTM is RecurrentClassifier(pooling='attention'), checked in test_sequence.py.
S3_MODELS = {
    "rnn": dict(cell="simple", pooling="last", embed=6, hidden=5),
    "ffnn": dict(embed=6, hidden=5),
}


@pytest.mark.parametrize("name", sorted(S3_MODELS))
@pytest.mark.parametrize("num_classes", [2, 3])
def test_s3_models_shapes_padding_and_gradients(random_params, name, num_classes):
  model = registry.build(name, num_classes=num_classes, vocab_size=V, **S3_MODELS[name])
  variables = random_params(model, _batch())
  apply = jax.jit(functools.partial(model.apply, train=False))
  logits = apply(variables, _batch())
  chex.assert_shape(logits, (B, num_classes))
  chex.assert_trees_all_close(apply(variables, _batch(extra=4)), logits, atol=1e-5)
  labels = jnp.arange(B) % num_classes
  assert_all_grads_finite_and_nonzero(model, variables, _batch(), labels)
  if num_classes == 2:
    assert_one_step_changes_every_param(model, variables, _batch(), labels)


def test_simple_cell_matches_numpy_elman_rnn(random_params):
  x = jnp.asarray(np.random.default_rng(0).normal(size=(1, 6, 4)), jnp.float32)
  encoder = RecurrentEncoder("simple", 3)
  params = random_params(encoder, x, jnp.array([6]))
  outputs, final = encoder.apply(params, x, jnp.array([6]), train=False)
  p = jax.tree.map(np.asarray, params["params"]["fwd_0"]["cell"])
  h = np.zeros(3)
  for t in range(6):
    h = np.tanh(np.asarray(x[0, t]) @ p["i"]["kernel"] + p["i"]["bias"] + h @ p["h"]["kernel"])
    np.testing.assert_allclose(outputs[0, t], h, atol=1e-5)
  np.testing.assert_allclose(final[0], h, atol=1e-5)


def test_registry_names_for_s3():
  from lyric_jax.models.bag import EmbeddingBagMLP
  from lyric_jax.models.sequence import RecurrentClassifier
  model = registry.build("attn_lstm", num_classes=2, vocab_size=V, pooling="attention")
  assert isinstance(model, RecurrentClassifier) and model.pooling == "attention"
  assert isinstance(registry.build("rnn", num_classes=2, vocab_size=V), RecurrentClassifier)
  assert isinstance(registry.build("ffnn", num_classes=2, vocab_size=V), EmbeddingBagMLP)
