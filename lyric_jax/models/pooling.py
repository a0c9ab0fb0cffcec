"""Masked pooling over the time axis: padding never changes the pooled vector."""

from __future__ import annotations

import jax.numpy as jnp


def length_mask(lengths: jnp.ndarray, max_len: int) -> jnp.ndarray:
  """[...] lengths → [..., T] bool, true at real positions (any batch shape, e.g. HAN's [B, L])."""
  return jnp.arange(max_len) < lengths[..., None]


def masked_mean(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """Mean of x [B, T, D] over real positions; an all-padding row gives zeros, not NaN."""
  mask = mask[..., None].astype(x.dtype)
  return (x * mask).sum(-2) / jnp.maximum(mask.sum(-2), 1.0)


def masked_max(x: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """Max of x [B, T, D] over real positions; an all-padding row gives zeros."""
  masked = jnp.where(mask[..., None], x, -jnp.inf)
  return jnp.where(mask.any(-1, keepdims=True), masked.max(-2), 0.0)
