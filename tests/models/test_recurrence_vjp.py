"""The hand-written LSTM / GRU backward passes against autodiff of the plain scan step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models import hoisted_rnn
from lyric_jax.models.recurrence_vjp import gru_sequence, lstm_sequence
from lyric_jax.models.recurrent import RecurrentEncoder

T, B, H = 7, 3, 4


def _autodiff_states(cell, xs, w_h, b_in, b_h):
  step = hoisted_rnn._step_fn(cell, w_h, b_h, jnp.float32)
  h0 = jnp.zeros(xs.shape[1:2] + (H,))
  return jax.lax.scan(step, (h0, h0) if cell == "lstm" else h0, xs + b_in)[1]


def _manual_states(cell, xs, w_h, b_in, b_h):
  if cell == "lstm":
    return lstm_sequence(xs, w_h, b_in + b_h, 2)
  return gru_sequence(xs, w_h, b_in, b_h[2 * H:], 2)


@pytest.mark.parametrize("cell, gates", [("lstm", 4), ("gru", 3)])
def test_states_and_gradients_match_autodiff(cell, gates):
  rng = np.random.default_rng(0)
  xs = jnp.asarray(rng.normal(size=(T, B, gates * H)), jnp.float32)
  w_h = jnp.asarray(rng.normal(size=(H, gates * H)) / 2, jnp.float32)
  b_in, b_h = (jnp.asarray(rng.normal(size=(gates * H,)), jnp.float32) for _ in range(2))
  if cell == "gru":             # flax's GRU has a recurrent bias on its candidate only
    b_h = b_h.at[:2 * H].set(0.0)
  weights = jnp.asarray(rng.normal(size=(T, B, H)), jnp.float32)
  losses = [lambda *a, f=f: jnp.sum(jnp.sin(f(cell, *a)) * weights) for f in (_autodiff_states, _manual_states)]
  args = (xs, w_h, b_in, b_h)
  np.testing.assert_allclose(_manual_states(cell, *args), _autodiff_states(cell, *args), atol=1e-5)
  expected, got = (jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3)))(*args) for loss in losses)
  if cell == "gru":             # the zero r and z biases are constants, not parameters
    expected, got = (g[:3] + (g[3][2 * H:],) for g in (expected, got))
  for e, g in zip(expected, got):
    np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_encoder_gives_autodiffs_gradients_under_the_population_vmap(cell):
  """'hoisted' (hand-written backward) and 'autodiff' agree on every parameter's gradient, for a
  bidirectional layer over padded rows, with two replicas vmapped as the population is."""
  rng = np.random.default_rng(1)
  x = jnp.asarray(rng.normal(size=(B, T, 5)), jnp.float32)
  lengths = jnp.array([7, 4, 0])
  encoders = {impl: RecurrentEncoder(cell, H, bidirectional=True, impl=impl) for impl in ("hoisted", "autodiff")}
  params = jax.vmap(lambda k: encoders["hoisted"].init(k, x, lengths, train=False))(
      jax.random.split(jax.random.key(0), 2))

  def grads(encoder):
    loss = lambda p: jnp.sum(jnp.tanh(encoder.apply(p, x, lengths, train=True)[0]) * x[..., :1])  # noqa: E731
    return jax.vmap(jax.grad(loss))(params)

  manual, autodiff = grads(encoders["hoisted"]), grads(encoders["autodiff"])
  jax.tree.map(lambda m, a: np.testing.assert_allclose(m, a, rtol=1e-4, atol=1e-6), manual, autodiff)
  assert all(float(jnp.abs(g).max()) > 0 for g in jax.tree.leaves(manual))
