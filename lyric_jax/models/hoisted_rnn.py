"""One recurrent direction with the input projection hoisted out of the time loop.

flax's cells multiply the input inside the scan: T small `[B, E] x [E, G*H]`
matmuls forward and T more for the weight gradient. Here `x @ W_in` is one
`[B*T, E] x [E, G*H]` matmul before the scan, which then carries only `h @ W_h`
(one fused matmul for all gates; flax's GRUCell does six separate ones per step).
`bench.knobs` measures the gain (`hoist=False` keeps the input matmul inside the
scan, to separate the hoisting from lax.scan vs nn.RNN); `RecurrentEncoder(impl=...)`
picks the layer.

The parameters have the names, shapes and initialisers of flax's
`OptimizedLSTMCell` / `GRUCell` / `SimpleCell` under `nn.RNN` (`<name>/cell/ii/kernel`
...), so both implementations give identical initial weights and read each other's
checkpoints; only the floating-point summation order differs.
"""
from __future__ import annotations

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


class _CellWeights(nn.Module):
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


def _project(x, w, b, dtype):
  return jnp.dot(x.astype(dtype), w.astype(dtype), preferred_element_type=jnp.float32) + b


def _step_fn(cell: str, w_h: jnp.ndarray, b_h: jnp.ndarray, dtype, project_input=None):
  """(carry, projected input x_t @ W_in + b_in) → (carry, h_t) for one time step.

  With ``project_input`` the step receives x_t and projects it itself.
  """
  hidden = w_h.shape[0]

  def recur(h):
    return _project(h, w_h, b_h, dtype)

  def lstm(carry, xi):
    c, h = carry
    i, f, g, o = jnp.split(xi + recur(h), 4, axis=-1)
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return (c, h), h

  def gru(h, xi):
    hh = recur(h)
    r = jax.nn.sigmoid(xi[:, :hidden] + hh[:, :hidden])
    z = jax.nn.sigmoid(xi[:, hidden:2 * hidden] + hh[:, hidden:2 * hidden])
    n = jnp.tanh(xi[:, 2 * hidden:] + r * hh[:, 2 * hidden:])
    h = (1.0 - z) * n + z * h
    return h, h

  def simple(h, xi):
    h = jnp.tanh(xi + recur(h))
    return h, h

  step = {"lstm": lstm, "gru": gru, "simple": simple}[cell]
  if project_input is None:
    return step
  return lambda carry, x: step(carry, project_input(x))


class HoistedRNN(nn.Module):
  """One direction over `[B, T, E]`: outputs `[B, T, H]` (padded positions: unspecified).

  `reverse=True` reads each row's real prefix (`seq_lengths`) backwards and returns
  outputs in input order, as `nn.RNN(reverse=True, keep_order=True)` does.
  `dtype=jnp.bfloat16` computes the matmuls in bf16 with f32 accumulation and
  f32 parameters and carries.
  """
  cell: str
  hidden: int
  reverse: bool = False
  unroll: int = 1
  dtype: jnp.dtype = jnp.float32
  hoist: bool = True

  @nn.compact
  def __call__(self, x: jnp.ndarray, seq_lengths: jnp.ndarray | None = None) -> jnp.ndarray:
    w_in, b_in, w_h, b_h = _CellWeights(self.cell, self.hidden, name="cell")(x.shape[-1])
    project = lambda inputs: _project(inputs, w_in, b_in, self.dtype)
    xs = project(x) if self.hoist else x          # [B, T, G*H] or [B, T, E]
    if self.reverse:
      xs = flip_sequences(xs, seq_lengths, num_batch_dims=1, time_major=False)
    h0 = jnp.zeros(x.shape[:1] + (self.hidden,), jnp.float32)
    carry = (h0, h0) if self.cell == "lstm" else h0
    step = _step_fn(self.cell, w_h, b_h, self.dtype, project_input=None if self.hoist else project)
    _, outputs = jax.lax.scan(step, carry, jnp.swapaxes(xs, 0, 1), unroll=self.unroll)
    outputs = jnp.swapaxes(outputs, 0, 1)
    if self.reverse:
      outputs = flip_sequences(outputs, seq_lengths, num_batch_dims=1, time_major=False)
    return outputs
