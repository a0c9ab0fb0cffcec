"""Recurrent text net with spatial dropout (study S2's BiLSTM variant).

    embedding → SpatialDropout1D → (Bi)LSTM(hidden) → pooling → Dropout → Dense(num_classes)

Spatial dropout (Keras ``SpatialDropout1D``) drops whole embedding channels of an
example for every time step, instead of single activations. The encoder is the
length-masked ``RecurrentEncoder``, so padding is never read. The study reads the final
states (``pooling='last'``); over whole reviews (hundreds of tokens) the other poolings of
``sequence.pool_states`` see every position. With ``num_classes=1`` it is a score regressor.
"""

from __future__ import annotations

from typing import Mapping

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.recurrent import RecurrentEncoder
from lyric_jax.models.sequence import pool_states


class SpatialDropoutRNN(nn.Module):
  num_classes: int
  vocab_size: int
  embed: int = 100
  hidden: int = 64
  cell: str = "lstm"
  bidirectional: bool = True
  spatial_dropout: float = 0.2
  dropout: float = 0.0
  unroll: int = 1
  pooling: str = "last"
  attn_size: int = 64

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens, lengths = batch["tokens"], batch["lengths"]
    x = nn.Embed(self.vocab_size, self.embed, name="embed")(tokens)
    # broadcast over time (axis 1): one keep/drop decision per (example, channel)
    x = nn.Dropout(self.spatial_dropout, broadcast_dims=(1,), deterministic=not train)(x)
    outputs, final = RecurrentEncoder(cell=self.cell, hidden=self.hidden, bidirectional=self.bidirectional,
                                      unroll=self.unroll, name="encoder")(x, lengths, train=train)
    pooled = pool_states(self, self.pooling, outputs, final, lengths, self.attn_size)
    pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
    return nn.Dense(self.num_classes, name="head")(pooled)
