"""masked_softmax and AttentionPool: exact zeros on padding, NaN-free empty rows."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np

from lyric_jax.models.attention import AttentionPool, masked_softmax

B, T, D, A = 4, 6, 5, 3
LENGTHS = np.array([6, 4, 1, 0])
MASK = np.arange(T)[None, :] < LENGTHS[:, None]


def _h(t=T, seed=0, scale=1.0):
  return jnp.asarray(np.random.default_rng(seed).normal(size=(B, t, D)) * scale,
                     jnp.float32)


def _mask(t=T):
  return jnp.asarray(np.arange(t)[None, :] < LENGTHS[:, None])


@functools.lru_cache(maxsize=None)
def _pool():
  model = AttentionPool(A)
  return model, model.init(jax.random.key(0), _h(), _mask())


@functools.partial(jax.jit, static_argnums=0)
def _apply(model, params, h, mask):
  """(pooled [B, D], weights [B, T])."""
  return model.apply(params, h, mask)


def test_masked_softmax_exact_zeros_and_sums():
  scores = jnp.asarray(np.random.default_rng(0).normal(size=(B, T)) * 50)
  w = np.asarray(masked_softmax(scores, jnp.asarray(MASK)))
  assert np.all(w[~MASK] == 0.0)
  np.testing.assert_allclose(w.sum(-1), (LENGTHS > 0).astype(float), atol=1e-6)
  np.testing.assert_allclose(  # real rows agree with softmax over the real prefix
      w[1, :4], jax.nn.softmax(scores[1, :4]), atol=1e-6)


def test_masked_softmax_all_masked_row_and_gradient():
  scores = jnp.asarray([[1.0, -3.0, 1e4], [0.5, 2.0, -1e4]])
  mask = jnp.asarray([[False] * 3, [True, True, False]])
  w = masked_softmax(scores, mask)
  np.testing.assert_array_equal(w[0], 0.0)
  grad = jax.grad(lambda s: jnp.sum(masked_softmax(s, mask) * jnp.arange(3.0)))(scores)
  chex.assert_tree_all_finite(grad)
  np.testing.assert_array_equal(np.asarray(grad)[~np.asarray(mask)], 0.0)


def test_pool_shape_and_weights():
  model, params = _pool()
  pooled, weights = _apply(model, params, _h(), _mask())
  chex.assert_shape(pooled, (B, D))
  chex.assert_shape(weights, (B, T))
  w = np.asarray(weights)
  assert np.all(w[~MASK] == 0.0)
  np.testing.assert_allclose(w.sum(-1), (LENGTHS > 0).astype(float), atol=1e-6)
  chex.assert_trees_all_close(pooled, jnp.einsum("bt,btd->bd", weights, _h()),
                              atol=1e-6)
  np.testing.assert_array_equal(pooled[LENGTHS == 0], 0.0)  # all-padding row


def test_pool_accepts_extra_leading_dims():
  model, params = _pool()
  h = jnp.stack([_h(seed=1), _h(seed=2)], axis=1)  # [B, 2, T, D]
  mask = jnp.stack([_mask(), _mask()], axis=1)
  pooled, weights = model.apply(params, h, mask)
  chex.assert_shape(pooled, (B, 2, D))
  chex.assert_shape(weights, (B, 2, T))


def test_pool_ignores_padding_content_and_length():
  """Garbage at padded positions and 5 extra padding steps change nothing."""
  model, params = _pool()
  pooled, _ = _apply(model, params, _h(), _mask())
  garbage = jnp.where(_mask()[..., None], _h(), _h(seed=3, scale=100.0))
  longer = jnp.concatenate([garbage, _h(5, seed=4, scale=100.0)], axis=1)
  pooled_long, weights = _apply(model, params, longer, _mask(T + 5))
  chex.assert_trees_all_close(pooled_long, pooled, atol=1e-5)
  assert np.all(np.asarray(weights)[:, T:] == 0)


def test_pool_gradients_finite_with_all_padding_row():
  model, params = _pool()

  def loss(params, h):
    return jnp.sum(jnp.sin(model.apply(params, h, _mask())[0]))

  param_grads, h_grad = jax.jit(jax.grad(loss, argnums=(0, 1)))(params, _h())
  chex.assert_tree_all_finite((param_grads, h_grad))
  for path, g in jax.tree_util.tree_leaves_with_path(param_grads):
    assert np.any(np.asarray(g) != 0), jax.tree_util.keystr(path)
  np.testing.assert_array_equal(np.asarray(h_grad)[~MASK], 0.0)
  # Only the all-padding row present: still finite, and exactly zero.
  empty = jnp.zeros((1, T), bool)
  g = jax.grad(lambda p: jnp.sum(model.apply(p, _h()[:1], empty)[0]))(params)
  chex.assert_tree_all_finite(g)
  assert all(np.all(np.asarray(leaf) == 0) for leaf in jax.tree.leaves(g))
