"""Multi-layer perceptrons over engineered features (study S1's metadata net, S4's MLPs)."""

from __future__ import annotations

from typing import Mapping, Sequence

import flax.linen as nn
import jax.numpy as jnp


class MLP(nn.Module):
  """Dense → ReLU (→ dropout) for each hidden size; returns the last hidden activation.

  ``dropout_layers`` picks which hidden layers (0-based) get dropout; None = all of them.
  """
  hidden: Sequence[int]
  dropout: float = 0.0
  dropout_layers: Sequence[int] | None = None

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    for i, size in enumerate(self.hidden):
      x = nn.relu(nn.Dense(size)(x))
      if self.dropout and (self.dropout_layers is None or i in self.dropout_layers):
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return x


class FeatureMLP(nn.Module):
  """Study S1 metadata net: features (22) → 18 → 12 → 8 → classes, ReLU between.

  Also study S4's MLPs (hidden 100/150/150/150, optionally dropout after chosen layers).
  """
  num_classes: int
  hidden: Sequence[int] = (18, 12, 8)
  dropout: float = 0.0
  dropout_layers: Sequence[int] | None = None

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    x = MLP(self.hidden, self.dropout, self.dropout_layers)(batch["features"], train=train)
    return nn.Dense(self.num_classes)(x)


class PeriodicEmbedding(nn.Module):
  """Each scalar feature → ReLU(Linear([sin(2πcx), cos(2πcx)])) of its own ``frequencies`` learned
  frequencies c (initialised from N(0, ``sigma``²)) and its own ``size``-unit linear map: [B, F] →
  [B, F·size] (Gorishniy et al. 2022's "PLR" embeddings for numerical features).

  An MLP over raw scalars draws smooth functions of each feature; these let it draw sharp,
  local ones (a narrow tempo or loudness range), which is where gradient boosting's splits
  beat it on tabular rows."""
  size: int = 16
  frequencies: int = 16
  sigma: float = 0.1

  @nn.compact
  def __call__(self, x: jnp.ndarray) -> jnp.ndarray:
    features = x.shape[-1]
    c = self.param("frequencies", nn.initializers.normal(self.sigma), (features, self.frequencies))
    angle = 2 * jnp.pi * c * x[..., None]                                        # [B, F, k]
    periodic = jnp.concatenate([jnp.sin(angle), jnp.cos(angle)], axis=-1)         # [B, F, 2k]
    kernel = self.param("kernel", nn.initializers.lecun_normal(batch_axis=(0,)),
                        (features, 2 * self.frequencies, self.size))
    bias = self.param("bias", nn.initializers.zeros, (features, self.size))
    embedded = nn.relu(jnp.einsum("...fk,fkd->...fd", periodic, kernel) + bias)
    return embedded.reshape(*x.shape[:-1], features * self.size)


class ResidualMLP(nn.Module):
  """Features → Dense(width) → ``blocks`` × [LayerNorm → Dense(expand·width) → ReLU → dropout →
  Dense(width)] added back → LayerNorm → classes (a pre-norm residual MLP, as in Gorishniy et
  al. 2021's ResNet baseline for tabular data): deeper than ``FeatureMLP`` without its
  optimisation trouble, and regularised by dropout inside each block.

  ``numeric_embedding`` > 0: each feature enters through a ``PeriodicEmbedding`` of that size."""
  num_classes: int
  width: int = 256
  blocks: int = 3
  expand: int = 2
  dropout: float = 0.2
  numeric_embedding: int = 0
  sigma: float = 0.1

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    features = batch["features"]
    if self.numeric_embedding:
      features = PeriodicEmbedding(self.numeric_embedding, sigma=self.sigma)(features)
    x = nn.Dense(self.width)(features)
    for _ in range(self.blocks):
      h = nn.relu(nn.Dense(self.expand * self.width)(nn.LayerNorm()(x)))
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
      x = x + nn.Dense(self.width)(h)
    return nn.Dense(self.num_classes)(nn.relu(nn.LayerNorm()(x)))
