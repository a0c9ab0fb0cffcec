"""Study S4's nets over one row of audio features: softmax regression and the LSTM stacks.

(The study's MLPs are ``mlp.FeatureMLP`` with hidden 100/150/150/150.)

What the LSTMs run over — the study does not say, so it is a choice (``sequence``):

* ``'step'`` (default): the whole feature row is ONE time step, [B, 1, F]. This is the
  usual Keras recipe for feeding table rows to an LSTM (``X.reshape(N, 1, F)``), so the
  likeliest reading of the study. From a zero state, one step never uses the recurrent
  kernels or the forget gate (their gradients are exactly 0): the "LSTM" is a gated
  feed-forward layer, and the study's LSTM-vs-MLP gap is not evidence of recurrence.
* ``'features'``: each feature is one time step, [B, F, 2F]. Step f carries x_f in slot f
  and a 1 in slot F+f, so the first layer gives every feature its own slope and bias
  (x_f·w_f + b_f) and the LSTM recurs over the F features in the table's fixed column
  order. About F times the compute of 'step'.

Every row has all F features, so there is no padding and the last output is a real step.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import flax.linen as nn
import jax.numpy as jnp

SEQUENCES = ("step", "features")


def as_sequence(features: jnp.ndarray, sequence: str) -> jnp.ndarray:
  """[B, F] features → [B, T, D] LSTM input (see the module docstring)."""
  if sequence == "step":
    return features[:, None, :]
  if sequence == "features":
    eye = jnp.eye(features.shape[-1], dtype=features.dtype)
    slots = features[:, :, None] * eye                     # [B, F, F]: x_f in slot f
    return jnp.concatenate([slots, jnp.broadcast_to(eye, slots.shape)], -1)
  raise ValueError(f"sequence must be one of {SEQUENCES}, got {sequence!r}")


class SoftmaxRegression(nn.Module):
  """Multinomial logistic regression: one dense layer from features to logits."""
  num_classes: int

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    del train
    return nn.Dense(self.num_classes)(batch["features"])


class TabularLSTM(nn.Module):
  """[Dense(dense) → ReLU] → LSTM(lstm[0]) → … → LSTM(lstm[-1]) → last step → Dense(classes).

  ``dense=0`` skips the dense layer. ReLU after it, because a linear layer straight into
  an LSTM's input projection would only re-parametrise that projection.
  """
  num_classes: int
  dense: int = 0
  lstm: Sequence[int] = (80,)
  sequence: str = "step"

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    del train
    x = as_sequence(batch["features"], self.sequence)
    if self.dense:
      x = nn.relu(nn.Dense(self.dense)(x))
    for size in self.lstm:
      x = nn.RNN(nn.OptimizedLSTMCell(size))(x)
    return nn.Dense(self.num_classes)(x[:, -1])


class DenseLSTM(TabularLSTM):
  """Study S4's best net: Dense(250) → LSTM(80)."""
  dense: int = 250
  lstm: Sequence[int] = (80,)


class LSTMStack(TabularLSTM):
  """Study S4: LSTM(80) → LSTM(150)."""
  dense: int = 0
  lstm: Sequence[int] = (80, 150)
