"""Length-masked LSTM/GRU/simple-RNN encoder (uni/bidirectional, stacked) on flax `nn.RNN`.

Padding is never read: the backward direction uses `nn.RNN(seq_lengths=...,
reverse=True, keep_order=True)`, which flips only the real prefix of each row,
and outputs at padded positions are zeroed (nn.RNN leaves them non-zero).
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.pooling import length_mask

# 'simple' is the Elman RNN h' = tanh(W x + U h + b): study S3's vanilla-RNN baseline.
CELLS = {"lstm": nn.OptimizedLSTMCell, "gru": nn.GRUCell, "simple": nn.SimpleCell}


class RecurrentEncoder(nn.Module):
  """Stacked, optionally bidirectional LSTM/GRU over padded `[B, T, E]` input.

  Lengths must lie in `[0, T]`. Returns `(outputs [B, T, H*dirs], final
  [B, H*dirs])`: outputs are exactly 0 at padded positions; `final` is the
  forward state at the last real token, concatenated (if bidirectional) with
  the backward state after it has read from the last real token back to
  position 0. A length-0 row gives zero outputs and a zero final state.
  """

  cell: str
  hidden: int
  bidirectional: bool = False
  num_layers: int = 1
  dropout: float = 0.0  # between stacked layers only
  unroll: int = 1

  @nn.compact
  def __call__(self, x: jnp.ndarray, lengths: jnp.ndarray, *,
               train: bool) -> tuple[jnp.ndarray, jnp.ndarray]:
    if self.cell not in CELLS:
      raise ValueError(f"cell must be one of {sorted(CELLS)}, got {self.cell!r}")
    lengths = jnp.asarray(lengths, jnp.int32)
    mask = length_mask(lengths, x.shape[1])[..., None]

    def rnn(name):
      # parent=None: otherwise the cell binds to *this* module as 'GRUCell_0'
      # etc. and the params ignore the RNN's name (fwd_0/cell is clearer).
      cell = CELLS[self.cell](self.hidden, parent=None)
      return nn.RNN(cell, unroll=self.unroll, name=name)

    for layer in range(self.num_layers):
      if layer:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
      # Forward needs no seq_lengths: causal, and padded outputs are zeroed below.
      outs = [rnn(f"fwd_{layer}")(x)]
      if self.bidirectional:
        outs.append(rnn(f"bwd_{layer}")(
            x, seq_lengths=lengths, reverse=True, keep_order=True))
      x = jnp.where(mask, jnp.concatenate(outs, axis=-1), 0.0)

    # Every cell emits its hidden state as output, so the final states are
    # read from the (masked) outputs instead of nn.RNN(return_carry=True),
    # which would stack the whole carry history (and for length 0 it returns
    # the carry at index -1, i.e. after reading padding).
    last = jnp.maximum(lengths - 1, 0)[:, None, None]
    final = jnp.take_along_axis(x[..., :self.hidden], last, axis=1)[:, 0]
    if self.bidirectional:
      final = jnp.concatenate([final, x[:, 0, self.hidden:]], axis=-1)
    return x, final
