"""One recurrent direction with the input projection hoisted out of the time loop.

flax's cells multiply the input inside the scan: T small `[B, E] x [E, G*H]`
matmuls forward and T more for the weight gradient. Here `x @ W_in` is one
`[T*B, E] x [E, G*H]` matmul before the scan (time-major, so each step reads a
contiguous slice), which then carries only the per-gate `h @ W_h`.
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

from lyric_jax.models import recurrence_vjp

# Per cell kind: gate names and whether the input / recurrent projection of each gate
# has a bias, in flax's layout.
GATES = {
    "lstm": {"gates": ("i", "f", "g", "o"), "input_bias": False, "hidden_bias": ("i", "f", "g", "o")},
    "gru": {"gates": ("r", "z", "n"), "input_bias": True, "hidden_bias": ("n",)},
    "simple": {"gates": ("",), "input_bias": True, "hidden_bias": ()},
}


# Cells whose training scan runs recurrence_vjp's hand-written backward pass (others: autodiff).
MANUAL_VJP_CELLS = ("lstm", "gru")


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


def _project(x, w, b, dtype):
  return jnp.dot(x.astype(dtype), w.astype(dtype), preferred_element_type=jnp.float32) + b


def _step_fn(cell: str, w_h: jnp.ndarray, b_h: jnp.ndarray, dtype, project_input=None,
             inference: bool = False):
  """(carry, projected input x_t @ W_in + b_in) → (carry, h_t) for one time step.

  With ``project_input`` the step receives x_t and projects it itself. The recurrent
  matmul is one `[B, H] x [H, H]` per gate: in training, on XLA:CPU, that is faster than
  one fused `[H, G*H]` matmul whose output is then sliced per gate (`bench.knobs`).
  ``inference`` (no gradient will be taken) picks the LSTM and GRU steps that run fastest
  forward-only; they compute the same function as the training steps.
  """
  gates = len(GATES[cell]["gates"])
  w_gates, b_gates = jnp.split(w_h, gates, axis=-1), jnp.split(b_h, gates)

  def pre_activations(xi, h):
    """x_t W_in + b_in + h W_h + b_h of each gate; the GRU's candidate keeps them apart."""
    return [(x, _project(h, w, b, dtype)) for x, w, b in zip(jnp.split(xi, gates, axis=-1), w_gates, b_gates)]

  def lstm(carry, xi):
    c, h = carry
    i, f, g, o = (x + hh for x, hh in pre_activations(xi, h))
    c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
    h = jax.nn.sigmoid(o) * jnp.tanh(c)
    return (c, h), h

  def lstm_inference(carry, xi):
    # One [H, 4H] matmul and *one* tanh over all gates, each sigmoid as s·tanh(s·x) + (1 - s)
    # with s = 0.5 (s = 1 leaves g's tanh): XLA:CPU runs a step ~2× faster this way than
    # per-gate sigmoids fused with the slicing of the step's input; its backward pass,
    # though, is slower than the per-gate form's (BENCHMARKS.md, "An inference step").
    c, h = carry
    a = jnp.tanh((xi + _project(h, w_h, b_h, dtype)) * lstm_scale)
    i, f, g, o = jnp.split(a * lstm_scale + (1.0 - lstm_scale), 4, axis=-1)
    c = f * c + i * g
    h = o * jnp.tanh(c)
    return (c, h), h

  def gru(h, xi):
    (xr, hr), (xz, hz), (xn, hn) = pre_activations(xi, h)
    r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
    h = (1.0 - z) * jnp.tanh(xn + r * hn) + z * h
    return h, h

  def gru_inference(h, xi):
    # r and z through one tanh over their concatenated pre-activations (see lstm_inference;
    # for the GRU the per-gate matmuls stay faster than one fused one).
    (xr, hr), (xz, hz), (xn, hn) = pre_activations(xi, h)
    r, z = jnp.split(0.5 * jnp.tanh(0.5 * jnp.concatenate([xr + hr, xz + hz], axis=-1)) + 0.5, 2, axis=-1)
    h = (1.0 - z) * jnp.tanh(xn + r * hn) + z * h
    return h, h

  def simple(h, xi):
    ((x, hh),) = pre_activations(xi, h)
    h = jnp.tanh(x + hh)
    return h, h

  if inference and cell == "lstm":
    lstm_scale = jnp.repeat(jnp.asarray([0.5, 0.5, 1.0, 0.5]), w_h.shape[0])   # gates i, f, g, o
  steps = {"lstm": lstm_inference, "gru": gru_inference} if inference else {"lstm": lstm, "gru": gru}
  step = {**steps, "simple": simple}[cell]
  if project_input is None:
    return step
  return lambda carry, x: step(carry, project_input(x))


class HoistedRNN(nn.Module):
  """One direction over `[B, T, E]`: outputs `[B, T, H]` (padded positions: unspecified).

  `reverse=True` reads each row's real prefix (`seq_lengths`) backwards and returns
  outputs in input order, as `nn.RNN(reverse=True, keep_order=True)` does.
  `dtype=jnp.bfloat16` computes the matmuls in bf16 with f32 accumulation and
  f32 parameters and carries. `inference=True` (no gradient will be taken) picks the
  step that is fastest forward-only; both compute the same function. In training, an f32
  LSTM or GRU runs `recurrence_vjp`'s hand-written backward pass (`manual_vjp`; False: JAX's
  autodiff of the scan, the same gradients).
  """
  cell: str
  hidden: int
  reverse: bool = False
  unroll: int = 1
  dtype: jnp.dtype = jnp.float32
  hoist: bool = True
  manual_vjp: bool = True

  @nn.compact
  def __call__(self, x: jnp.ndarray, seq_lengths: jnp.ndarray | None = None, *,
               inference: bool = False) -> jnp.ndarray:
    w_in, b_in, w_h, b_h = CellWeights(self.cell, self.hidden, name="cell")(x.shape[-1])
    project = lambda inputs: _project(inputs, w_in, b_in, self.dtype)
    # Time-major before the projection: transposing [B, T, E] is cheaper than [B, T, G*H],
    # and the scan then reads each step's slice contiguously.
    xs = jnp.swapaxes(x, 0, 1)                     # [T, B, E]
    if self.reverse:
      xs = flip_sequences(xs, seq_lengths, num_batch_dims=1, time_major=True)
    manual = (self.manual_vjp and self.hoist and not inference and self.dtype == jnp.float32
              and self.cell in MANUAL_VJP_CELLS)
    if manual:   # the recurrences add the input bias inside their loops
      xs = _project(xs, w_in, 0.0, self.dtype)     # [T, B, G*H]
    elif self.hoist:
      xs = project(xs)
    if manual and self.cell == "lstm":
      outputs = recurrence_vjp.lstm_sequence(xs, w_h, b_in + b_h, self.unroll)
    elif manual:   # the GRU's recurrent bias is its candidate's, inside r * (h W_hn + b_hn)
      outputs = recurrence_vjp.gru_sequence(xs, w_h, b_in, b_h[2 * self.hidden:], self.unroll)
    else:
      h0 = jnp.zeros(x.shape[:1] + (self.hidden,), jnp.float32)
      step = _step_fn(self.cell, w_h, b_h, self.dtype, project_input=None if self.hoist else project,
                      inference=inference)
      _, outputs = jax.lax.scan(step, (h0, h0) if self.cell == "lstm" else h0, xs, unroll=self.unroll)
    if self.reverse:
      outputs = flip_sequences(outputs, seq_lengths, num_batch_dims=1, time_major=True)
    return jnp.swapaxes(outputs, 0, 1)
