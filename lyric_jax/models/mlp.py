"""Multi-layer perceptrons over engineered features (study S1's metadata net, S4's MLPs)."""

from __future__ import annotations

from typing import Mapping, Sequence

import flax.linen as nn
import jax.numpy as jnp


class MLP(nn.Module):
  """Dense → ReLU (→ dropout) for each hidden size; returns the last hidden activation."""
  hidden: Sequence[int]
  dropout: float = 0.0

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    for size in self.hidden:
      x = nn.relu(nn.Dense(size)(x))
      if self.dropout:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return x


class FeatureMLP(nn.Module):
  """Study S1 metadata net: features (22) → 18 → 12 → 8 → classes, ReLU between."""
  num_classes: int
  hidden: Sequence[int] = (18, 12, 8)
  dropout: float = 0.0

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    x = MLP(self.hidden, self.dropout)(batch["features"], train=train)
    return nn.Dense(self.num_classes)(x)
