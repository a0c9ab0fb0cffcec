"""Recurrent directions in one scan, with the input projection hoisted out of the time loop.

flax's cells multiply the input inside the scan: T small `[B, E] x [E, G*H]`
matmuls forward and T more for the weight gradient. Here `x @ W_in` is one
`[T*B, E] x [E, G*H]` matmul before the scan (time-major, so each step reads a
contiguous slice), which then carries only the per-gate `h @ W_h`; the biases are
folded into that projection, and both directions of a bidirectional layer run in
the same loop.
`bench.knobs` measures the gain (`hoist=False` keeps the input matmul inside the
scan, to separate the hoisting from lax.scan vs nn.RNN); `RecurrentEncoder(impl=...)`
picks the layer.

The parameters have the names, shapes and initialisers of flax's
`OptimizedLSTMCell` / `GRUCell` / `SimpleCell` under `nn.RNN` (`<name>/cell/ii/kernel`
...), so both implementations give identical initial weights and read each other's
checkpoints; only the floating-point summation order differs.
"""
from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen.recurrent import flip_sequences

# Per cell kind: gate names and whether the input / recurrent projection of each gate
# has a bias, in flax's layout.
GATES = {
    "lstm": {"gates": ("i", "f", "g", "o"), "input_bias": False, "hidden_bias": ("i", "f", "g", "o")},
    "gru": {"gates": ("r", "z", "n"), "input_bias": True, "hidden_bias": ("n",)},
    "simple": {"gates": ("",), "input_bias": True, "hidden_bias": ()},
}


class _Weights(nn.Module):
  """A kernel (and bias) stored as flax's Dense / DenseParams store them."""
  features: int
  use_bias: bool
  kernel_init: nn.initializers.Initializer

  @nn.compact
  def __call__(self, in_features: int):
    kernel = self.param("kernel", self.kernel_init, (in_features, self.features))
    bias = self.param("bias", nn.initializers.zeros_init(), (self.features,)) if self.use_bias else None
    return kernel, bias


class CellWeights(nn.Module):
  """All gates' weights, concatenated: `(W_in [E, G*H], b_in [G*H], W_h [H, G*H], b_h [G*H])`."""
  cell: str
  hidden: int

  @nn.compact
  def __call__(self, in_features: int):
    layout = GATES[self.cell]
    zeros = jnp.zeros((self.hidden,))
    w_in, b_in, w_h, b_h = [], [], [], []
    for gate in layout["gates"]:
      k, b = _Weights(self.hidden, layout["input_bias"], nn.initializers.lecun_normal(),
                      name=f"i{gate}")(in_features)
      w_in.append(k)
      b_in.append(zeros if b is None else b)
    for gate in layout["gates"]:
      k, b = _Weights(self.hidden, gate in layout["hidden_bias"], nn.initializers.orthogonal(),
                      name=f"h{gate}")(self.hidden)
      w_h.append(k)
      b_h.append(zeros if b is None else b)
    cat = lambda parts: jnp.concatenate(parts, axis=-1)
    return cat(w_in), cat(b_in), cat(w_h), cat(b_h)


class DirectionParams(nn.Module):
  """One direction's weights, created under ``<name>/cell/...`` without running it; the
  layers that run them (``scan_directions``, ``cudnn_lstm``) share this layout."""
  cell: str
  hidden: int

  @nn.compact
  def __call__(self, in_features: int):
    return CellWeights(self.cell, self.hidden, name="cell")(in_features)


def _dot(x, w, dtype, spec: str):
  """``spec``'s product in ``dtype``, as float32. XLA:CPU has no batched bf16 × bf16 → f32 dot,
  so a bf16 product is rounded to bf16 before the cast."""
  out = jnp.einsum(spec, x.astype(dtype), w.astype(dtype),
                   preferred_element_type=jnp.float32 if jnp.dtype(dtype) == jnp.float32 else dtype)
  return out.astype(jnp.float32)


def _step_fn(cell: str, w_h: jnp.ndarray, b_inside: jnp.ndarray | None, dtype, project_input=None):
  """(carry, projected input [D, B, G*H]) → (carry, h_t [D, B, H]) for one time step of D directions.

  Every bias but the GRU candidate's recurrent one is folded into the input projection
  (``fold_biases``), so a step adds nothing but ``h @ W_h``. With ``project_input`` the step
  receives x_t and projects it itself. The recurrent matmul is one batched `[D, B, H] x [D, H, H]`
  per gate: on XLA:CPU that is faster than one fused `[H, G*H]` matmul whose output is then
  sliced per gate (`bench.knobs`).
  """
  gates = len(GATES[cell]["gates"])
  w_gates = jnp.split(w_h, gates, axis=-1)   # split once, outside the loop

  def recurrent(h):
    return [_dot(h, w, dtype, "dbh,dhk->dbk") for w in w_gates]

  def lstm(carry, xi):
    c, h = carry
    i, f, g, o = (x + hh for x, hh in zip(jnp.split(xi, gates, axis=-1), recurrent(h)))
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return (c, h), h

  def gru(h, xi):
    (xr, xz, xn), (hr, hz, hn) = jnp.split(xi, gates, axis=-1), recurrent(h)
    r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
    h = (1.0 - z) * jnp.tanh(xn + r * (hn + b_inside)) + z * h
    return h, h

  def simple(h, xi):
    h = jnp.tanh(xi + recurrent(h)[0])
    return h, h

  step = {"lstm": lstm, "gru": gru, "simple": simple}[cell]
  if project_input is None:
    return step
  return lambda carry, x: step(carry, project_input(x))


def fold_biases(cell: str, b_in: jnp.ndarray, b_h: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray | None]:
  """(bias added to the input projection, bias left inside the step). A recurrent bias adds to the
  gate's pre-activation like the input bias, except the GRU candidate's, which the reset gate scales."""
  if cell != "gru":
    return b_in + b_h, None
  hidden = b_h.shape[-1] // 3
  return b_in + b_h.at[..., 2 * hidden:].set(0.0), b_h[..., 2 * hidden:]


def scan_directions(cell: str, weights: Sequence[tuple], x: jnp.ndarray, seq_lengths: jnp.ndarray,
                    reverse: Sequence[bool], *, unroll: int = 1, dtype=jnp.float32,
                    hoist: bool = True) -> list[jnp.ndarray]:
  """Directions over `[B, T, E]` in ONE scan: outputs `[B, T, H]` each (padded positions: unspecified).

  Each direction's weights (``DirectionParams``) are stacked on a leading axis, so both
  directions of a bidirectional layer share one loop: XLA:CPU pays per loop step and per op in
  its body (jax-ml/jax#40150), and one loop of batched matmuls costs far less than two.
  A ``reverse`` direction reads each row's real prefix (``seq_lengths``) backwards and returns
  outputs in input order, as `nn.RNN(reverse=True, keep_order=True)` does. ``dtype=bfloat16``
  computes the matmuls in bf16 with f32 accumulation, parameters and carries.
  """
  stack = lambda i: jnp.stack([w[i] for w in weights])
  w_in, w_h = stack(0), stack(2)                                      # [D, E, G*H], [D, H, G*H]
  b_in, b_inside = fold_biases(cell, stack(1), stack(3))              # [D, G*H], [D, H] | None
  hidden = w_h.shape[1]
  # Time-major before the projection: transposing [B, T, E] is cheaper than [B, T, G*H],
  # and the scan then reads each step's slice contiguously.
  xs = jnp.swapaxes(x, 0, 1)                                          # [T, B, E]
  xs = jnp.stack([flip_sequences(xs, seq_lengths, num_batch_dims=1, time_major=True) if r else xs
                  for r in reverse], axis=1)                          # [T, D, B, E]
  project = lambda inputs: _dot(inputs, w_in, dtype, "...dbe,deg->...dbg") + b_in[:, None]
  if hoist:
    xs = project(xs)                                                  # [T, D, B, G*H]
  if b_inside is not None:
    b_inside = b_inside[:, None]                                      # [D, 1, H]
  h0 = jnp.zeros((len(weights), x.shape[0], hidden), jnp.float32)
  carry = (h0, h0) if cell == "lstm" else h0
  step = _step_fn(cell, w_h, b_inside, dtype, project_input=None if hoist else project)
  _, outputs = jax.lax.scan(step, carry, xs, unroll=unroll)         # [T, D, B, H]
  return [jnp.swapaxes(flip_sequences(outputs[:, d], seq_lengths, num_batch_dims=1, time_major=True)
                       if r else outputs[:, d], 0, 1) for d, r in enumerate(reverse)]
