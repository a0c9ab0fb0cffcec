"""Additive (Bahdanau-style) attention pooling with exact padding masks."""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


def masked_softmax(scores: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """Softmax over the last axis restricted to `mask`.

  Masked positions get exactly 0; an all-masked row gets all zeros. The inner
  `where` keeps `exp` away from masked scores so neither the value nor the
  gradient can be inf/NaN (the double-where trick).
  """
  row_max = jnp.max(scores, axis=-1, keepdims=True, where=mask, initial=-jnp.inf)
  row_max = jax.lax.stop_gradient(jnp.where(jnp.isfinite(row_max), row_max, 0.0))
  e = jnp.where(mask, jnp.exp(jnp.where(mask, scores - row_max, 0.0)), 0.0)
  total = jnp.sum(e, axis=-1, keepdims=True)
  return e / jnp.where(total > 0, total, 1.0)


class AttentionPool(nn.Module):
  """`h [..., T, D]`, `mask [..., T]` bool -> (weighted sum `[..., D]`, weights `[..., T]`).

  score_t = v . tanh(W h_t + b); weights = masked softmax over T. The weights are
  returned, not sown: the model that owns the pool sows them under the contract's
  name for what they weigh (`intermediates.sow_attention`).
  """

  attn_size: int

  @nn.compact
  def __call__(self, h: jnp.ndarray, mask: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
    scores = nn.Dense(1, use_bias=False, name="score")(
        jnp.tanh(nn.Dense(self.attn_size, name="proj")(h)))[..., 0]
    weights = masked_softmax(scores, mask)
    return jnp.einsum("...t,...td->...d", weights, h), weights
