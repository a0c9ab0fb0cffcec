"""LSTM and GRU recurrences with a hand-written backward pass (``jax.custom_vjp``).

Autodiff of ``lax.scan`` accumulates the recurrent weight gradient inside the backward loop
(T small matmuls per gate added into a carried sum). Here, as in cuDNN's and oneDNN's RNN
primitives, the backward loop carries only the gradient of the state (its matmul by ``W_h^T``
per step: the LSTM's as ``[B, 3H] x [3H, H]`` for i, f, g plus ``[B, H] x [H, H]`` for o), and the
gate gradients and the recurrent weight gradient (one ``[H, T*B] x [T*B, G*H]`` GEMM) follow it in bulk.
The forward pass is the inference step's form (one ``[H, G*H]`` matmul, one tanh over the gates).
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp


def _previous(states):
  return jnp.concatenate([jnp.zeros_like(states[:1]), states[:-1]], axis=0)


def _weight_gradient(states, d_pre):
  """sum_t h_{t-1}^T d_pre_t as one 2-D GEMM (an einsum contracting t and b runs ~2× slower on XLA:CPU).

  Flattened batch-major: a batch split over devices stays split ([T, B] → [T*B] would make the
  partitioner gather the whole [T, B, G*H] onto every device); same speed on one device.
  """
  h = jnp.swapaxes(_previous(states), 0, 1)
  d_pre = jnp.swapaxes(d_pre, 0, 1)
  return h.reshape(-1, h.shape[-1]).T @ d_pre.reshape(-1, d_pre.shape[-1])


def _lstm_forward(xs, w_h, b, unroll):
  hidden = w_h.shape[0]
  scale = jnp.repeat(jnp.asarray([0.5, 0.5, 1.0, 0.5], xs.dtype), hidden)

  def step(carry, x):
    c, h = carry
    acts = jnp.tanh((x + h @ w_h + b) * scale) * scale + (1.0 - scale)
    i, f, g, o = jnp.split(acts, 4, axis=-1)
    c = f * c + i * g
    h = o * jnp.tanh(c)
    return (c, h), (h, c, acts)

  zeros = jnp.zeros(xs.shape[1:2] + (hidden,), xs.dtype)
  _, (hs, cs, acts) = jax.lax.scan(step, (zeros, zeros), xs, unroll=unroll)
  return hs, (hs, cs, acts, w_h)


def _lstm_backward(unroll, residuals, d_hs):
  hs, cs, acts, w_h = residuals
  i, f, g, o = jnp.split(acts, 4, axis=-1)
  tanh_c = jnp.tanh(cs)
  # Everything that does not depend on the carried gradients, in bulk outside the loop; the loop
  # emits only [B, H] rows (stacking a [B, 4H] row per step cost XLA:CPU ~80 µs a step).
  d_c_from_h = o * (1.0 - tanh_c * tanh_c)
  k_c = jnp.concatenate([g * i * (1.0 - i), _previous(cs) * f * (1.0 - f), i * (1.0 - g * g)], axis=-1)
  k_h = tanh_c * o * (1.0 - o)
  w_ifg, w_o = w_h.T[:3 * w_h.shape[0]], w_h.T[3 * w_h.shape[0]:]

  def step(carry, inputs):
    d_h_next, d_c_next = carry
    d_h_out, a, f_t, kc, kh = inputs
    d_h = d_h_out + d_h_next
    d_c = d_c_next + d_h * a
    return (((jnp.tile(d_c, 3) * kc) @ w_ifg + (d_h * kh) @ w_o), d_c * f_t), (d_h, d_c)

  zeros = jnp.zeros_like(hs[0])
  _, (d_h, d_c) = jax.lax.scan(step, (zeros, zeros), (d_hs, d_c_from_h, f, k_c, k_h), reverse=True, unroll=unroll)
  d_pre = jnp.concatenate([jnp.tile(d_c, 3) * k_c, d_h * k_h], axis=-1)
  return d_pre, _weight_gradient(hs, d_pre), d_pre.sum((0, 1))


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def lstm_sequence(xs, w_h, b, unroll=1):
  """xs [T, B, 4H] (x W_in), w_h [H, 4H], b [4H] (b_in + b_h) → hidden states [T, B, H] from a zero state.

  The bias is added inside the loop, fused into the step's elementwise work: added to the hoisted
  projection it was one more pass over [T, B, 4H] (12 ms of a 215 ms LSTM train step).
  """
  return _lstm_forward(xs, w_h, b, unroll)[0]


lstm_sequence.defvjp(lambda xs, w_h, b, unroll: _lstm_forward(xs, w_h, b, unroll), _lstm_backward)


def _gru_forward(xs, w_h, b_in, b_hn, unroll):
  hidden = w_h.shape[0]

  def step(h, x):
    x = x + b_in
    hh = h @ w_h
    r, z = jnp.split(0.5 * jnp.tanh(0.5 * (x[..., :2 * hidden] + hh[..., :2 * hidden])) + 0.5, 2, axis=-1)
    h_n = hh[..., 2 * hidden:] + b_hn
    n = jnp.tanh(x[..., 2 * hidden:] + r * h_n)
    h = (1.0 - z) * n + z * h
    return h, (h, r, z, n, h_n)

  _, (hs, r, z, n, h_n) = jax.lax.scan(step, jnp.zeros(xs.shape[1:2] + (hidden,), xs.dtype), xs, unroll=unroll)
  return hs, (hs, r, z, n, h_n, w_h)


def _gru_backward(unroll, residuals, d_hs):
  hs, r, z, n, h_n, w_h = residuals
  h_prev = _previous(hs)
  k_n = (1.0 - z) * (1.0 - n * n)
  k_z = (h_prev - n) * z * (1.0 - z)
  k_r = h_n * r * (1.0 - r)
  w_h_t = w_h.T

  def step(d_h_next, inputs):
    d_h_out, kn, kz, kr, r_t, z_t = inputs
    d_h = d_h_out + d_h_next
    d_n = d_h * kn
    d_hh = jnp.concatenate([d_n * kr, d_h * kz, d_n * r_t], axis=-1)
    return d_hh @ w_h_t + d_h * z_t, d_h

  _, d_h = jax.lax.scan(step, jnp.zeros_like(hs[0]), (d_hs, k_n, k_z, k_r, r, z), reverse=True, unroll=unroll)
  d_n = d_h * k_n
  d_xs = jnp.concatenate([d_n * k_r, d_h * k_z, d_n], axis=-1)
  d_hh = jnp.concatenate([d_n * k_r, d_h * k_z, d_n * r], axis=-1)
  return d_xs, _weight_gradient(hs, d_hh), d_xs.sum((0, 1)), (d_n * r).sum((0, 1))


@functools.partial(jax.custom_vjp, nondiff_argnums=(4,))
def gru_sequence(xs, w_h, b_in, b_hn, unroll=1):
  """xs [T, B, 3H] (x W_in), w_h [H, 3H], b_in [3H], b_hn [H] → hidden states [T, B, H] from a zero
  state (b_in added inside the loop, as lstm_sequence's bias)."""
  return _gru_forward(xs, w_h, b_in, b_hn, unroll)[0]


gru_sequence.defvjp(lambda xs, w_h, b_in, b_hn, unroll: _gru_forward(xs, w_h, b_in, b_hn, unroll), _gru_backward)
