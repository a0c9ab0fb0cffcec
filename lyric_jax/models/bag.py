"""Bag-of-embeddings text nets: masked mean of token vectors (S1, S3's FFNN), plus features."""

from __future__ import annotations

from typing import Mapping, Sequence

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.mlp import MLP
from lyric_jax.models.pooling import length_mask, masked_mean


class TextBag(nn.Module):
  """Study S1 text net: embedding → dense → ReLU → dropout → masked mean → dense."""
  num_classes: int
  vocab_size: int
  embed: int = 32
  hidden: int = 32
  dropout: float = 0.2

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens = batch["tokens"]
    x = nn.Embed(self.vocab_size, self.embed)(tokens)
    x = nn.relu(nn.Dense(self.hidden)(x))
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    pooled = masked_mean(x, length_mask(batch["lengths"], tokens.shape[1]))
    return nn.Dense(self.num_classes)(pooled)


class CombinedBag(nn.Module):
  """Study S1 combined net: [text branch ⊕ feature branch] → 12 → 8 → classes.

  Text branch: embedding → ReLU → masked mean → dense(8); feature branch: 22 → 18 → 12 → 8.
  """
  num_classes: int
  vocab_size: int
  embed: int = 32
  text_out: int = 8
  feature_hidden: Sequence[int] = (18, 12, 8)
  head_hidden: Sequence[int] = (12, 8)
  dropout: float = 0.0

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens = batch["tokens"]
    x = nn.relu(nn.Embed(self.vocab_size, self.embed)(tokens))
    text = nn.Dense(self.text_out)(masked_mean(x, length_mask(batch["lengths"], tokens.shape[1])))
    meta = MLP(self.feature_hidden)(batch["features"], train=train)
    joint = MLP(self.head_hidden, self.dropout)(jnp.concatenate([text, meta], -1), train=train)
    return nn.Dense(self.num_classes)(joint)


class EmbeddingBagMLP(nn.Module):
  """Study S3's FFNN baseline: masked mean of token embeddings → dense → ReLU → dropout → dense.

  Unlike ``TextBag`` the mean comes first, so the classifier sees one order-free
  review vector, as a feed-forward net over averaged word vectors does.
  """
  num_classes: int
  vocab_size: int
  embed: int = 100
  hidden: int = 64
  dropout: float = 0.0

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens = batch["tokens"]
    x = nn.Embed(self.vocab_size, self.embed)(tokens)
    pooled = masked_mean(x, length_mask(batch["lengths"], tokens.shape[1]))
    return nn.Dense(self.num_classes)(MLP((self.hidden,), self.dropout)(pooled, train=train))
