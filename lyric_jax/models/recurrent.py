"""Length-masked LSTM/GRU/simple-RNN encoder (uni/bidirectional, stacked).

Padding is never read: the backward direction flips only the real prefix of each
row (`seq_lengths`), and outputs at padded positions are zeroed (the scan leaves
them non-zero). Interchangeable layers run each direction (same parameters):
`impl='hoisted'` (default: `hoisted_rnn`, input projection outside the scan,
measured fastest by `bench.knobs`), `impl='scan'` (the same without hoisting) and
`impl='flax'` (`nn.RNN` over flax's cell); `impl='autodiff'` is 'hoisted' differentiated by
JAX instead of `recurrence_vjp`'s hand-written backward pass (kept to measure it). `impl='cudnn'` runs each LSTM layer as one cuDNN
call on a CUDA GPU (`cudnn_lstm`: one replica, float32; elsewhere, e.g. predicting on a CPU,
it runs the hoisted layer, which has the same parameters).
"""
from __future__ import annotations

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models import cudnn_lstm
from lyric_jax.models.hoisted_rnn import HoistedRNN
from lyric_jax.models.pooling import length_mask

# 'simple' is the Elman RNN h' = tanh(W x + U h + b): study S3's vanilla-RNN baseline.
CELLS = {"lstm": nn.OptimizedLSTMCell, "gru": nn.GRUCell, "simple": nn.SimpleCell}
# 'hoisted' and 'scan': hoisted_rnn with / without the input projection outside the scan
# ('autodiff': 'hoisted' without its hand-written backward pass);
# 'cudnn': cudnn_lstm on a CUDA GPU, 'hoisted' elsewhere.
IMPLS = ("hoisted", "autodiff", "scan", "flax", "cudnn")


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
  impl: str = "hoisted"
  dtype: jnp.dtype = jnp.float32  # matmul compute dtype (not 'flax'; 'cudnn': f32 only); params stay f32

  @nn.compact
  def __call__(self, x: jnp.ndarray, lengths: jnp.ndarray, *,
               train: bool) -> tuple[jnp.ndarray, jnp.ndarray]:
    if self.cell not in CELLS:
      raise ValueError(f"cell must be one of {sorted(CELLS)}, got {self.cell!r}")
    if self.impl not in IMPLS:
      raise ValueError(f"impl must be one of {IMPLS}, got {self.impl!r}")
    impl = self.impl
    if impl == "cudnn":
      if message := cudnn_lstm.refusal(self.cell, self.dtype):
        raise ValueError(message)
      if not cudnn_lstm.available():
        impl = "hoisted"
    lengths = jnp.asarray(lengths, jnp.int32)
    mask = length_mask(lengths, x.shape[1])[..., None]

    def direction(name, x, reverse):
      if impl != "flax":
        return HoistedRNN(self.cell, self.hidden, reverse=reverse, unroll=self.unroll,
                          dtype=self.dtype, hoist=impl in ("hoisted", "autodiff"), manual_vjp=impl == "hoisted",
                          name=name)(x, lengths, inference=not train)
      # parent=None: otherwise the cell binds to *this* module as 'GRUCell_0'
      # etc. and the params ignore the RNN's name (fwd_0/cell is clearer).
      rnn = nn.RNN(CELLS[self.cell](self.hidden, parent=None), unroll=self.unroll, name=name)
      if reverse:
        return rnn(x, seq_lengths=lengths, reverse=True, keep_order=True)
      return rnn(x)

    for layer in range(self.num_layers):
      if layer:
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
      names = [f"fwd_{layer}", f"bwd_{layer}"][:2 if self.bidirectional else 1]
      if impl == "cudnn":
        y = cudnn_lstm.lstm_layer(x, lengths, [cudnn_lstm.LSTMParams(self.hidden, name=n)(x.shape[-1])
                                               for n in names])
      else:  # forward needs no seq_lengths: causal, and padded outputs are zeroed below
        y = jnp.concatenate([direction(n, x, reverse=n.startswith("bwd")) for n in names], axis=-1)
      x = jnp.where(mask, y, 0.0)

    # Every cell emits its hidden state as output, so the final states are
    # read from the (masked) outputs instead of nn.RNN(return_carry=True),
    # which would stack the whole carry history (and for length 0 it returns
    # the carry at index -1, i.e. after reading padding).
    last = jnp.maximum(lengths - 1, 0)[:, None, None]
    final = jnp.take_along_axis(x[..., :self.hidden], last, axis=1)[:, 0]
    if self.bidirectional:
      final = jnp.concatenate([final, x[:, 0, self.hidden:]], axis=-1)
    return x, final
