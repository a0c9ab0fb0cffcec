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


class ResidualMLP(nn.Module):
  """Features → Dense(width) → ``blocks`` × [LayerNorm → Dense(expand·width) → ReLU → dropout →
  Dense(width)] added back → LayerNorm → classes (a pre-norm residual MLP, as in Gorishniy et
  al. 2021's ResNet baseline for tabular data): deeper than ``FeatureMLP`` without its
  optimisation trouble, and regularised by dropout inside each block."""
  num_classes: int
  width: int = 256
  blocks: int = 3
  expand: int = 2
  dropout: float = 0.2

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    x = nn.Dense(self.width)(batch["features"])
    for _ in range(self.blocks):
      h = nn.relu(nn.Dense(self.expand * self.width)(nn.LayerNorm()(x)))
      h = nn.Dropout(self.dropout, deterministic=not train)(h)
      x = x + nn.Dense(self.width)(h)
    return nn.Dense(self.num_classes)(nn.relu(nn.LayerNorm()(x)))
