"""Flat-sequence classifiers: embedding -> recurrent encoder -> pooling -> logits.

MODEL CONTRACT: `__call__(batch, *, train) -> logits [B, num_classes]` with
`batch['tokens']` int32 `[B, T]` (0 = PAD) and `batch['lengths']` int32 `[B]`.
"""
from __future__ import annotations

from collections.abc import Mapping

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.attention import AttentionPool
from lyric_jax.models.intermediates import sow_attention
from lyric_jax.models.pooling import length_mask
from lyric_jax.models.recurrent import RecurrentEncoder

POOLINGS = ("last", "attention", "mean")


class RecurrentClassifier(nn.Module):
  """(Bi)LSTM/GRU classifier; pooling 'last' (final states), 'attention' or 'mean'.

  Every pooling reads only real positions, so padding never reaches the logits.
  'attention' sows its weights as the contract's token attention `[B, T]`.
  """

  num_classes: int
  vocab_size: int
  embed: int = 100
  hidden: int = 128
  cell: str = "lstm"
  bidirectional: bool = False
  num_layers: int = 1
  dropout: float = 0.0
  pooling: str = "last"
  attn_size: int = 100
  unroll: int = 1
  impl: str = "hoisted"            # recurrent layer implementation (see recurrent.IMPLS)
  dtype: jnp.dtype = jnp.float32   # recurrent matmul compute dtype

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    if self.pooling not in POOLINGS:
      raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
    tokens, lengths = batch["tokens"], batch["lengths"]
    x = nn.Embed(self.vocab_size, self.embed, name="embed")(tokens)
    outputs, final = RecurrentEncoder(
        cell=self.cell, hidden=self.hidden, bidirectional=self.bidirectional,
        num_layers=self.num_layers, dropout=self.dropout, unroll=self.unroll,
        impl=self.impl, dtype=self.dtype,
        name="encoder")(x, lengths, train=train)
    if self.pooling == "last":
      pooled = final
    elif self.pooling == "attention":
      pooled, weights = AttentionPool(self.attn_size, name="attention")(
          outputs, length_mask(lengths, tokens.shape[1]))
      sow_attention(self, tokens=weights)
    else:  # outputs are already 0 on padding
      pooled = outputs.sum(axis=1) / jnp.maximum(lengths, 1)[:, None]
    pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
    return nn.Dense(self.num_classes, name="head")(pooled)
