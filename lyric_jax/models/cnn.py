"""1-D convolutional text net (study S2's review-score ConvNet).

    embedding → Conv1D(filters, k, ReLU, 'valid') → BatchNorm → masked pooling over the windows
              (global max, the study's; mean; or attention) → Dense(dense) → Dropout → Dense(num_classes)

``pooling`` replaces the study's max-pool over the windows by their mean or by additive
attention: a max keeps one window per filter, while a review's score sums evidence from
many (issue 18: attention is the S2 BiLSTM's best pooling too). ``spatial_dropout`` drops
whole embedding channels per example, as the S2 BiLSTM's does (0: the study's ConvNet).

With ``num_classes=1`` it is the study's regressor (linear output). Padding is never
read: embeddings at padded positions are zeroed (a trained [PAD] row need not be 0),
only windows that start inside the text count (a text shorter than the kernel gets
one window: its tokens then zeros), and BatchNorm's batch statistics are computed
over exactly those windows, so padded positions and weight-0 padding rows (length 0,
hence no windows) never touch the statistics. In evaluation BatchNorm uses its
running averages; under the vmapped population each replica keeps its own.

The max-pool is ``pooling.masked_max`` (argmax + gather): a reduce_max after BatchNorm
had its gradient misrouted by XLA:CPU under jit (see there); a test compares the
jit(vmap) gradient with the eager one and with finite differences.
"""

from __future__ import annotations

from typing import Mapping

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.attention import AttentionPool
from lyric_jax.models.pooling import length_mask, masked_max, masked_mean

POOLINGS = ("max", "mean", "attention")


def window_mask(lengths: jnp.ndarray, max_len: int, kernel_size: int) -> jnp.ndarray:
  """[B, max_len - k + 1] bool: true for 'valid'-convolution windows that start in the text."""
  windows = jnp.where(lengths >= kernel_size, lengths - kernel_size + 1, jnp.minimum(lengths, 1))
  return length_mask(windows, max_len - kernel_size + 1)


class TextCNN(nn.Module):
  num_classes: int
  vocab_size: int
  embed: int = 100
  filters: int = 128
  kernel_size: int = 5
  dense: int = 64
  dense_activation: bool = False   # the study's Dense(64) is linear
  dropout: float = 0.2
  spatial_dropout: float = 0.0
  batch_norm: bool = True
  bn_momentum: float = 0.99        # Keras BatchNormalization defaults
  bn_epsilon: float = 1e-3
  pooling: str = "max"             # the study's; or one of POOLINGS
  attn_size: int = 64

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens, lengths = batch["tokens"], batch["lengths"]
    if self.pooling not in POOLINGS:
      raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
    if tokens.shape[1] < self.kernel_size:
      raise ValueError(f"max_len {tokens.shape[1]} is shorter than the kernel ({self.kernel_size})")
    x = nn.Embed(self.vocab_size, self.embed, name="embed")(tokens)
    x = jnp.where(length_mask(lengths, tokens.shape[1])[..., None], x, 0.0)
    x = nn.Dropout(self.spatial_dropout, broadcast_dims=(1,), deterministic=not train)(x)
    x = nn.relu(nn.Conv(self.filters, (self.kernel_size,), padding="VALID", name="conv")(x))
    windows = window_mask(lengths, tokens.shape[1], self.kernel_size)
    if self.batch_norm:
      x = nn.BatchNorm(use_running_average=not train, momentum=self.bn_momentum,
                       epsilon=self.bn_epsilon, name="batch_norm")(x, mask=windows[..., None])
    h = nn.Dense(self.dense, name="dense")(self._pool(x, windows))
    if self.dense_activation:
      h = nn.relu(h)
    h = nn.Dropout(self.dropout, deterministic=not train)(h)
    return nn.Dense(self.num_classes, name="head")(h)

  def _pool(self, x: jnp.ndarray, windows: jnp.ndarray) -> jnp.ndarray:
    if self.pooling == "max":
      return masked_max(x, windows)
    if self.pooling == "mean":
      return masked_mean(x, windows)
    return AttentionPool(self.attn_size, name="attention")(x, windows)[0]
