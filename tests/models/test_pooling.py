"""Masked pooling over time: padding never read, empty rows give zeros, gradients only to real positions."""

import chex
import jax
import jax.numpy as jnp
import numpy as np

from lyric_jax.models.pooling import length_mask, masked_max, masked_mean


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


def test_masked_max_ignores_padding_and_survives_an_empty_row():
  x = jnp.array([[[1.0, -5.0], [3.0, -1.0], [100.0, 100.0]],
                 [[-2.0, -3.0], [50.0, 50.0], [50.0, 50.0]],
                 [[7.0, 7.0], [7.0, 7.0], [7.0, 7.0]]])
  mask = jnp.array([[True, True, False], [True, False, False], [False, False, False]])
  np.testing.assert_array_equal(masked_max(x, mask), [[3.0, -1.0], [-2.0, -3.0], [0.0, 0.0]])
  # the gradient reaches only the (first) real maximum: never padding, nothing for an empty row
  grad = jax.grad(lambda x: masked_max(x, mask).sum())(x)
  np.testing.assert_array_equal(grad, [[[0, 0], [1, 1], [0, 0]], [[1, 1], [0, 0], [0, 0]], [[0, 0]] * 3])
