"""Transformer-encoder text classifier: token + learned position embedding → pre-LN encoder
blocks → masked mean or CLS pooling → dense head.

MODEL CONTRACT: `__call__(batch, *, train) -> logits [B, num_classes]` with
`batch['tokens']` int32 `[B, T]` (0 = PAD, T <= max_len) and `batch['lengths']` int32 `[B]`.

Padding is masked as a key (no query attends to it) and left out of the pooling, so appending
padding never changes the logits; an all-padding row stays finite. For the report and
``lyric_jax.explain`` the last block's self-attention `[B, heads, T, T]` is reduced to the
contract's token attention `[B, T]`: the attention each token receives from the pooled query
(the CLS token; for mean pooling the mean over real queries), averaged over heads.
"""

from __future__ import annotations

from typing import Mapping

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.intermediates import sow_attention
from lyric_jax.models.pooling import length_mask, masked_mean

POOLINGS = ("mean", "cls")


class EncoderBlock(nn.Module):
  """Pre-LN block: x + Attention(LN(x)), then x + MLP(LN(x)); dropout on both branches."""
  heads: int
  mlp: int
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: jnp.ndarray, mask: jnp.ndarray, *, train: bool):
    """x [B, S, D], mask [B, 1, 1, S] bool (keys) → (x [B, S, D], weights [B, heads, S, S] or None).

    The weights come back only while 'intermediates' is mutable (a report or explain pass):
    flax's attention hands them out only by sowing them.
    """
    drop = nn.Dropout(self.dropout, deterministic=not train)
    attention = nn.MultiHeadDotProductAttention(self.heads, dropout_rate=self.dropout, name="attention")
    keep = self.is_mutable_collection("intermediates")
    x = x + drop(attention(nn.LayerNorm(name="attention_norm")(x), mask=mask, deterministic=not train,
                           sow_weights=keep))
    h = drop(nn.gelu(nn.Dense(self.mlp, name="mlp_in")(nn.LayerNorm(name="mlp_norm")(x))))
    x = x + drop(nn.Dense(x.shape[-1], name="mlp_out")(h))
    weights = attention.get_variable("intermediates", "attention_weights") if keep else None
    return x, None if weights is None else weights[-1]


class TransformerClassifier(nn.Module):
  num_classes: int
  vocab_size: int
  embed: int = 64        # model width D (divisible by heads)
  heads: int = 4
  layers: int = 2
  mlp: int = 128
  dropout: float = 0.1
  pooling: str = "mean"
  max_len: int = 512     # rows of the learned position table

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    if self.pooling not in POOLINGS:
      raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
    tokens, lengths = batch["tokens"], batch["lengths"]
    b, t = tokens.shape
    if t > self.max_len:
      raise ValueError(f"texts of {t} tokens exceed the transformer's max_len={self.max_len} positions")
    valid = length_mask(lengths, t)                                               # [B, T]
    positions = self.param("position", nn.initializers.normal(0.02), (self.max_len, self.embed))
    x = nn.Embed(self.vocab_size, self.embed, name="embed")(tokens) + positions[:t]
    if self.pooling == "cls":   # a learned first token (no position) whose output is the text vector
      cls = self.param("cls", nn.initializers.normal(0.02), (self.embed,))
      x = jnp.concatenate([jnp.broadcast_to(cls, (b, 1, self.embed)), x], axis=1)
      valid = jnp.concatenate([jnp.ones((b, 1), bool), valid], axis=1)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    weights = None
    for i in range(self.layers):
      x, weights = EncoderBlock(self.heads, self.mlp, self.dropout, name=f"block_{i}")(
          x, valid[:, None, None, :], train=train)
    x = nn.LayerNorm(name="final_norm")(x)
    pooled = x[:, 0] if self.pooling == "cls" else masked_mean(x, valid)
    if weights is not None:
      sow_attention(self, tokens=self._received(weights, valid))
    pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
    return nn.Dense(self.num_classes, name="head")(pooled)

  def _received(self, weights: jnp.ndarray, valid: jnp.ndarray) -> jnp.ndarray:
    """[B, heads, S, S] self-attention → [B, T]: what each token receives from the pooled query."""
    weights = weights.mean(1)                                                     # [B, S, S]
    if self.pooling == "cls":   # the CLS row without its own column, renormalised over the tokens
      received = weights[:, 0, 1:]
    else:                       # padded queries attend too: only real ones count
      queries = valid.astype(weights.dtype)
      received = jnp.einsum("bq,bqk->bk", queries, weights)
    total = received.sum(-1, keepdims=True)
    return received / jnp.where(total > 0, total, 1.0)
