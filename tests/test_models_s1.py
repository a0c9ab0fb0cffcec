"""Study S1 nets: shapes, masking, gradients, one-step updates."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models import registry
from lyric_jax.models.pooling import length_mask, masked_max, masked_mean
from tests.model_checks import assert_all_grads_finite_and_nonzero, assert_one_step_changes_every_param

B, T, F, C, V = 4, 10, 22, 4, 50


def make_batch(t=T, seed=0):
  rng = np.random.default_rng(seed)
  lengths = np.array([10, 3, 1, 0], np.int32)
  tokens = rng.integers(1, V, (B, t)).astype(np.int32)
  tokens[np.arange(t)[None, :] >= lengths[:, None]] = 0
  return {"tokens": jnp.asarray(tokens), "lengths": jnp.asarray(lengths),
          "features": jnp.asarray(rng.normal(size=(B, F)), jnp.float32)}


def build(name):
  kwargs = {"num_classes": C}
  if name != "meta":
    kwargs["vocab_size"] = V
  return registry.build(name, **kwargs)


@pytest.mark.parametrize("name", ["text", "meta", "combined"])
def test_shapes_and_finite(name):
  model, batch = build(name), make_batch()
  variables = model.init(jax.random.PRNGKey(0), batch, train=False)
  logits = model.apply(variables, batch, train=False)
  chex.assert_shape(logits, (B, C))
  chex.assert_tree_all_finite(logits)


@pytest.mark.parametrize("name", ["text", "combined"])
def test_extra_padding_never_changes_logits(name):
  model, batch = build(name), make_batch()
  variables = model.init(jax.random.PRNGKey(0), batch, train=False)
  longer = dict(batch, tokens=jnp.pad(batch["tokens"], ((0, 0), (0, 7))))
  chex.assert_trees_all_close(model.apply(variables, batch, train=False),
                              model.apply(variables, longer, train=False), atol=1e-6)


@pytest.mark.parametrize("name", ["text", "meta", "combined"])
def test_gradients_finite_and_nonzero_for_every_parameter(name):
  model, batch = build(name), make_batch()
  variables = model.init(jax.random.PRNGKey(0), batch, train=False)
  assert_all_grads_finite_and_nonzero(model, variables, batch, jnp.array([0, 1, 2, 3]))


@pytest.mark.parametrize("name", ["text", "meta", "combined"])
def test_one_step_changes_every_parameter(name):
  model, batch = build(name), make_batch()
  variables = model.init(jax.random.PRNGKey(0), batch, train=False)
  assert_one_step_changes_every_param(model, variables, batch, jnp.array([0, 1, 2, 3]))


def test_masked_pooling_ignores_padding_and_survives_empty_rows():
  x = jnp.arange(2 * 4 * 3, dtype=jnp.float32).reshape(2, 4, 3)
  mask = length_mask(jnp.array([2, 0]), 4)
  chex.assert_trees_all_close(masked_mean(x, mask)[0], x[0, :2].mean(0))
  chex.assert_trees_all_close(masked_max(x, mask)[0], x[0, :2].max(0))
  chex.assert_trees_all_close(masked_mean(x, mask)[1], jnp.zeros(3))
  chex.assert_trees_all_close(masked_max(x, mask)[1], jnp.zeros(3))
  grad = jax.grad(lambda v: masked_mean(v, mask).sum())(x)
  chex.assert_tree_all_finite(grad)
  assert float(jnp.abs(grad[0, 2:]).max()) == 0.0   # padding gets no gradient
