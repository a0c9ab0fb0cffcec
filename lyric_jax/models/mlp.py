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
