"""Hierarchical Attention Network (Yang et al., 2016) for line-structured lyrics.

MODEL CONTRACT: `__call__(batch, *, train) -> logits [B, num_classes]` with
`batch['tokens']` int32 `[B, L, W]` (0 = PAD), `batch['word_lengths']` int32
`[B, L]` (real words per line) and `batch['lengths']` int32 `[B]` (real lines).
"""
from __future__ import annotations

import functools
from collections.abc import Mapping

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.attention import AttentionPool
from lyric_jax.models.intermediates import sow_attention
from lyric_jax.models.pooling import length_mask
from lyric_jax.models.recurrent import RecurrentEncoder


class HAN(nn.Module):
  """Words -> (encoder + attention) -> line vectors -> (encoder + attention) -> song.

  Sows the contract's word attention `[B, L, W]` and line attention `[B, L]`
  (`intermediates.sow_attention`).
  Empty lines and empty songs pool to zero vectors, never NaN. `dropout` acts
  on line vectors, the song vector and between stacked recurrent layers.
  """

  num_classes: int
  vocab_size: int
  embed: int = 100
  word_hidden: int = 50
  line_hidden: int = 50
  attn_size: int = 100
  cell: str = "gru"
  bidirectional: bool = True
  num_layers: int = 1
  dropout: float = 0.0

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens = batch["tokens"]
    word_lengths, lengths = batch["word_lengths"], batch["lengths"]
    b, l, w = tokens.shape
    encoder = functools.partial(
        RecurrentEncoder, cell=self.cell, bidirectional=self.bidirectional,
        num_layers=self.num_layers, dropout=self.dropout)
    drop = nn.Dropout(self.dropout, deterministic=not train)

    x = nn.Embed(self.vocab_size, self.embed, name="embed")(tokens)
    # All B*L lines go through the word encoder as one batch (one scan).
    words, _ = encoder(hidden=self.word_hidden, name="word_encoder")(
        x.reshape(b * l, w, self.embed), word_lengths.reshape(b * l),
        train=train)
    line_vecs, word_weights = AttentionPool(self.attn_size, name="word_attention")(
        words.reshape(b, l, w, -1), length_mask(word_lengths, w))
    lines, _ = encoder(hidden=self.line_hidden, name="line_encoder")(
        drop(line_vecs), lengths, train=train)
    song, line_weights = AttentionPool(self.attn_size, name="line_attention")(
        lines, length_mask(lengths, l))
    sow_attention(self, lines=line_weights, words=word_weights)
    return nn.Dense(self.num_classes, name="head")(drop(song))
