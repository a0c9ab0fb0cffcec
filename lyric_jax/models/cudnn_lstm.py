"""(Bi)LSTM layers in cuDNN (`jax.experimental.rnn.lstm`) over the project's own parameters.

`RecurrentEncoder(impl='cudnn')` runs each layer as one cuDNN call on a CUDA GPU. The
parameters are `HoistedRNN`'s (`fwd_0/cell/ii/kernel` ...), so checkpoints move freely
between this layer and the scan: `flat_weights` packs them into cuDNN's weight vector inside
the call, and gradients flow back through it to our parameters.

Limits, each refused with the fix (`refusal`): LSTM only (jax has no cuDNN GRU), float32
only, and one replica: cuDNN's primitives have no batching rule, and the library's steps
vmap over the population even for one replica, so `single_replica` runs the call under a
vmap of size 1 and refuses a larger one.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import flax.linen as nn
import jax
import jax.extend
import jax.numpy as jnp
from jax import custom_batching
from jax.experimental import rnn

from lyric_jax.models.hoisted_rnn import CellWeights

# One direction's weights as `CellWeights` returns them: (W_in [E, 4H], b_in [4H], W_h [H, 4H], b_h [4H]).
DirectionWeights = tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray, jnp.ndarray]


def available() -> bool:
  """Whether the default backend is a CUDA GPU.

  Not ROCm: MIOpen orders the LSTM gates differently (`rnn.swap_lstm_gates`) and jax's own
  tests skip its bidirectional mode.
  """
  return (jax.default_backend() == "gpu"
          and "rocm" not in jax.extend.backend.get_backend().platform_version)


def refusal(cell: str = "lstm", dtype: jnp.dtype = jnp.float32, replicas: int = 1) -> str | None:
  """Why impl='cudnn' cannot run a layer of this cell and dtype for this many replicas; None if it can."""
  if cell != "lstm":
    return f"impl='cudnn' runs LSTMs only (jax.experimental.rnn has no {cell!r} cell): use impl='hoisted'"
  if jnp.dtype(dtype) != jnp.float32:
    return f"impl='cudnn' computes in float32 only (jax.experimental.rnn), not {jnp.dtype(dtype).name}"
  if replicas != 1:
    return (f"impl='cudnn' trains one replica (cuDNN's LSTM has no vmap rule), not a population of "
            f"{replicas}: use impl='hoisted' for populations")
  return None


class LSTMParams(nn.Module):
  """One LSTM direction's parameters, created as `HoistedRNN` creates them, without running it."""
  hidden: int

  @nn.compact
  def __call__(self, in_features: int) -> DirectionWeights:
    return CellWeights("lstm", self.hidden, name="cell")(in_features)


def flat_weights(directions: Sequence[DirectionWeights]) -> jnp.ndarray:
  """cuDNN's weight vector `[rnn.get_num_params_in_lstm(...)]` of pseudo-layers in cuDNN's order
  (layer 0 forward, layer 0 backward, layer 1 forward, ...).

  Both orders the gates i, f, g, o. cuDNN computes `W @ x`, so its matrices are ours
  transposed, and it packs every pseudo-layer's W_ih, W_hh before every pseudo-layer's
  b_ih, b_hh (flax's LSTM has no input bias: its b_in is zeros).
  """
  matrices = [m.T for w_in, _, w_h, _ in directions for m in (w_in, w_h)]
  biases = [b for _, b_in, _, b_h in directions for b in (b_in, b_h)]
  return jnp.concatenate([a.ravel() for a in matrices + biases])


def _squeezing_vmap(fun: Callable) -> Callable:
  """`fun` whose vmap over an axis of size 1 runs it once without that axis; larger axes are refused."""
  fun = custom_batching.custom_vmap(fun)

  @fun.def_vmap
  def rule(axis_size, in_batched, *args):
    if message := refusal(replicas=axis_size):
      raise ValueError(message)
    out = fun(*jax.tree.map(lambda a, batched: a[0] if batched else a, list(args), in_batched))
    return jax.tree.map(lambda o: o[None], out), jax.tree.map(lambda _: True, out)

  return fun


def single_replica(forward: Callable, backward: Callable) -> Callable:
  """`(x, weights, lengths) → y`, differentiable in `x` and `weights`, runnable under `jax.vmap`
  over one replica (reverse mode included), from its two passes:
  `forward(x, weights, lengths) → (y, residuals)` and `backward(residuals, dy) → (dx, dweights)`,
  every input and output an array or a tuple of arrays.

  jax supports reverse mode through `custom_vmap` only with a `custom_vjp` outside it, so
  each pass is wrapped on its own.
  """
  primal, forward, backward = map(_squeezing_vmap, (lambda *args: forward(*args)[0], forward, backward))
  wrapped = jax.custom_vjp(primal)
  wrapped.defvjp(forward, lambda residuals, dy: (*backward(residuals, dy), None))   # None: lengths
  return wrapped


def _cudnn_passes(input_size: int, hidden: int, bidirectional: bool) -> tuple[Callable, Callable]:
  """`single_replica`'s forward and backward pass of one cuDNN (bi)LSTM layer from a zero state."""
  config = dict(input_size=input_size, hidden_size=hidden, num_layers=1, dropout=0.0,
                bidirectional=bidirectional, precision=None)
  directions = 2 if bidirectional else 1

  def forward(x, weights, lengths):
    zeros = jnp.zeros((directions, x.shape[0], hidden), x.dtype)
    (y, _, _), residuals = rnn.lstm_fwd(x, zeros, zeros, weights, lengths, **config)
    return y, residuals

  def backward(residuals, dy):
    zeros = jnp.zeros((directions, dy.shape[0], hidden), dy.dtype)   # the final states are not used
    dx, _, _, dweights, _ = rnn.lstm_bwd(**config, residuals=residuals, gradients=(dy, zeros, zeros))
    return dx, dweights

  return forward, backward


def lstm_layer(x: jnp.ndarray, lengths: jnp.ndarray, directions: Sequence[DirectionWeights]) -> jnp.ndarray:
  """One (bi)LSTM layer in cuDNN: `x [B, T, E]`, `lengths [B]` int32, the forward (and backward)
  direction's weights → outputs `[B, T, H * len(directions)]` (forward, then backward).

  The backward direction starts at each row's last real token, as `HoistedRNN(reverse=True)`
  does. Outputs at padded positions are unspecified: the caller masks them.
  """
  call = single_replica(*_cudnn_passes(x.shape[-1], directions[0][2].shape[0], len(directions) == 2))
  # cuDNN fails on length-0 rows (jax-ml/jax#17966): such a row reads one step, then is masked.
  return call(x, flat_weights(directions), jnp.maximum(lengths, 1).astype(jnp.int32))
