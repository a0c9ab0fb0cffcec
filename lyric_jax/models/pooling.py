"""Masked pooling over the time axis: padding never changes the pooled vector."""

from __future__ import annotations

import jax.numpy as jnp


def length_mask(lengths: jnp.ndarray, max_len: int) -> jnp.ndarray:
  """[...] lengths → [..., T] bool, true at real positions (any batch shape, e.g. HAN's [B, L])."""
  return jnp.arange(max_len) < lengths[..., None]


def masked_mean(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """Mean of x [B, T, D] over real positions; an all-padding row gives zeros, not NaN.

  A select, not ``x * mask``: under the population's vmap, XLA:CPU ran the product with the
  unbatched mask, fused into the sum, ~40× slower (`bench.throughput`'s bag: 25 ms a batch).
  """
  total = jnp.where(mask[..., None], x, 0.0).sum(-2)
  return total / jnp.maximum(mask.sum(-1, keepdims=True), 1).astype(x.dtype)


def masked_max(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """Max of x [B, T, D] over real positions; an all-padding row gives zeros.

  Gathers at the argmax instead of reducing with max: reduce_max's gradient marks the
  positions *equal* to the max, and when XLA recomputes ``x`` in another fusion (e.g.
  after BatchNorm) the last bit can differ, so the gradient was silently misrouted
  (XLA:CPU, jax 0.10: off by up to 2× vs finite differences under jit). The gather
  sends the gradient to the first argmax, whatever the rounding.
  """
  first_max = jnp.argmax(jnp.where(mask[..., None], x, -jnp.inf), axis=-2)        # [B, D]
  picked = jnp.take_along_axis(x, first_max[..., None, :], axis=-2)[..., 0, :]
  return jnp.where(mask.any(-1, keepdims=True), picked, 0.0)
