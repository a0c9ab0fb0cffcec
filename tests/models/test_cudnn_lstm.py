"""impl='cudnn': our LSTM parameters in cuDNN's layout, the one-replica vmap, the refusals.

On a CPU, jax's pure-JAX `rnn.lstm_ref` (cuDNN's weight layout and length semantics) stands in
for the cuDNN kernel; the tests marked `requires_gpu` run the kernel itself.
"""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.experimental import rnn

from lyric_jax.models import cudnn_lstm
from lyric_jax.models.recurrent import RecurrentEncoder

B, T, E, H = 4, 7, 5, 6
LENGTHS = jnp.array([7, 3, 1, 0], jnp.int32)  # full, partial, single, empty


def _has_gpu() -> bool:
  try:
    return bool(jax.devices("gpu")) and cudnn_lstm.available()
  except RuntimeError:
    return False


requires_gpu = pytest.mark.skipif(not _has_gpu(), reason="runs the cuDNN kernel: needs a CUDA GPU")


def _inputs(seed=0):
  return jnp.asarray(np.random.default_rng(seed).normal(size=(B, T, E)), jnp.float32)


def _lstm_via_reference(x, h_0, c_0, weights, seq_lengths, *, input_size, hidden_size, num_layers, dropout,
                        bidirectional, precision=None):
  """`rnn.lstm` over `rnn.lstm_ref`, which reads the same flat weight vector."""
  unpacked = rnn.unpack_lstm_weights(weights, input_size, hidden_size, num_layers, bidirectional)
  return rnn.lstm_ref(x, h_0, c_0, *unpacked, seq_lengths, input_size, hidden_size, num_layers, dropout,
                      bidirectional)


def _reference_fwd(x, h_0, c_0, w, seq_lengths, **config):
  """`rnn.lstm_fwd`'s signature; its residuals are the inputs."""
  return _lstm_via_reference(x, h_0, c_0, w, seq_lengths, **config), (x, h_0, c_0, w, seq_lengths)


def _reference_bwd(residuals, gradients, **config):
  """`rnn.lstm_bwd`'s signature: cotangents of x, h_0, c_0, w and (zeros) seq_lengths."""
  *inputs, seq_lengths = residuals
  _, pullback = jax.vjp(lambda *inputs: _lstm_via_reference(*inputs, seq_lengths, **config), *inputs)
  return (*pullback(gradients), jnp.zeros_like(seq_lengths))


@pytest.fixture(name="reference_kernel")
def reference_kernel_fixture(monkeypatch):
  """impl='cudnn' takes its cuDNN path on any backend, with `lstm_ref` in place of the kernel."""
  monkeypatch.setattr(rnn, "lstm_fwd", _reference_fwd)
  monkeypatch.setattr(rnn, "lstm_bwd", _reference_bwd)
  monkeypatch.setattr(cudnn_lstm, "available", lambda: True)
  yield
  jax.clear_caches()   # no compiled trace of the stand-in outlives the test


def _loss(model, params, x, lengths=LENGTHS):
  outputs, final = model.apply(params, x, lengths, train=False)
  return jnp.sum(jnp.sin(final)) + jnp.sum(outputs ** 2), (outputs, final)


def _value_and_grad(model, params, x):
  return jax.jit(jax.value_and_grad(functools.partial(_loss, model), has_aux=True))(params, x)


def _directions(params, bidirectional):
  names = ["fwd_0", "bwd_0"][:2 if bidirectional else 1]
  return [cudnn_lstm.LSTMParams(H).apply({"params": params["params"][n]}, E) for n in names]


def test_flat_weights_have_cudnns_size_and_unpack_to_our_matrices(random_params):
  params = random_params(RecurrentEncoder("lstm", H, bidirectional=True), _inputs(), LENGTHS)
  directions = _directions(params, bidirectional=True)
  flat = cudnn_lstm.flat_weights(directions)
  chex.assert_shape(flat, (rnn.get_num_params_in_lstm(E, H, 1, True),))
  w_ih, w_hh, b_ih, b_hh = rnn.unpack_lstm_weights(flat, E, H, 1, True)
  for i, (w_in, b_in, w_h, b_h) in enumerate(directions):
    chex.assert_trees_all_equal((w_ih[i], w_hh[i], b_ih[i], b_hh[i]), (w_in.T, w_h.T, b_in, b_h))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_flat_weights_through_lstm_ref_equal_our_scan_layer(random_params, bidirectional):
  """lstm_ref zeroes padded outputs and starts the backward pass at each row's last real token, as we do."""
  model = RecurrentEncoder("lstm", H, bidirectional)
  x = _inputs()
  params = random_params(model, x, LENGTHS)
  outputs, final = model.apply(params, x, LENGTHS, train=False)
  zeros = jnp.zeros((2 if bidirectional else 1, B, H))
  y, h_n, _ = _lstm_via_reference(x, zeros, zeros, cudnn_lstm.flat_weights(_directions(params, bidirectional)),
                                  LENGTHS, input_size=E, hidden_size=H, num_layers=1, dropout=0.0,
                                  bidirectional=bidirectional)
  chex.assert_trees_all_close(y, outputs, atol=1e-5)
  real = np.asarray(LENGTHS) > 0   # lstm_ref's final state of an empty row reads index -1
  chex.assert_trees_all_close(jnp.concatenate(list(h_n), axis=-1)[real], final[real], atol=1e-5)


@pytest.mark.parametrize("bidirectional,num_layers", [(False, 1), (True, 1), (True, 2)])
def test_cudnn_path_matches_the_scan(reference_kernel, random_params, bidirectional, num_layers):
  x = _inputs()
  scan, cudnn = (RecurrentEncoder("lstm", H, bidirectional, num_layers, impl=impl) for impl in ("hoisted", "cudnn"))
  params = random_params(scan, x, LENGTHS)   # non-zero biases: a misplaced one shows
  got = _value_and_grad(cudnn, params, x)
  chex.assert_trees_all_close(got, _value_and_grad(scan, params, x), atol=1e-5)
  (_, (outputs, final)), _ = got
  assert np.all(np.asarray(outputs)[np.arange(T)[None] >= np.asarray(LENGTHS)[:, None]] == 0.0)
  assert np.all(np.asarray(final)[np.asarray(LENGTHS) == 0] == 0.0)


def test_cudnn_path_initialises_the_scans_params(reference_kernel):
  x = _inputs()
  inits = [RecurrentEncoder("lstm", H, bidirectional=True, impl=impl).init(jax.random.key(0), x, LENGTHS, train=False)
           for impl in ("hoisted", "cudnn")]
  chex.assert_trees_all_equal(*inits)


def _population_value_and_grad(model, params, x):
  """Value and gradient of a population (leading params axis) on one shared batch, as the train step vmaps."""
  return jax.jit(jax.vmap(jax.value_and_grad(functools.partial(_loss, model), has_aux=True),
                          in_axes=(0, None)))(params, x)


def _population(random_params, size):
  """Random params of `size` replicas, stacked on a leading axis."""
  model, x = RecurrentEncoder("lstm", H, bidirectional=True), _inputs()
  return jax.tree.map(lambda *p: jnp.stack(p), *(random_params(model, x, LENGTHS, seed=s) for s in range(size)))


def test_one_replica_runs_under_the_population_vmap(reference_kernel, random_params):
  x = _inputs()
  scan, cudnn = (RecurrentEncoder("lstm", H, bidirectional=True, impl=impl) for impl in ("hoisted", "cudnn"))
  params = _population(random_params, 1)
  chex.assert_trees_all_close(_population_value_and_grad(cudnn, params, x),
                              _population_value_and_grad(scan, params, x), atol=1e-5)


def test_a_population_is_refused(reference_kernel, random_params):
  model = RecurrentEncoder("lstm", H, bidirectional=True, impl="cudnn")
  with pytest.raises(ValueError, match="one replica .* not a population of 2: use impl='hoisted'"):
    _population_value_and_grad(model, _population(random_params, 2), _inputs())


@pytest.mark.parametrize("cell,dtype,message", [("gru", jnp.float32, "LSTMs only .*'gru'"),
                                                ("simple", jnp.float32, "LSTMs only"),
                                                ("lstm", jnp.bfloat16, "float32 only")])
def test_what_cudnn_cannot_run_is_refused(random_params, cell, dtype, message):
  with pytest.raises(ValueError, match=message):
    random_params(RecurrentEncoder(cell, H, impl="cudnn", dtype=dtype), _inputs(), LENGTHS)


@pytest.mark.skipif(cudnn_lstm.available(), reason="the fallback runs where cuDNN does not")
def test_without_cuda_the_hoisted_layer_runs(random_params):
  x = _inputs()
  scan, cudnn = (RecurrentEncoder("lstm", H, bidirectional=True, impl=impl) for impl in ("hoisted", "cudnn"))
  params = random_params(scan, x, LENGTHS)
  chex.assert_trees_all_equal(cudnn.apply(params, x, LENGTHS, train=False),
                              scan.apply(params, x, LENGTHS, train=False))


@requires_gpu
@pytest.mark.parametrize("bidirectional,num_layers", [(False, 1), (True, 1), (True, 2)])
def test_cudnn_kernel_matches_the_scan(random_params, bidirectional, num_layers):
  x = _inputs()
  scan, cudnn = (RecurrentEncoder("lstm", H, bidirectional, num_layers, impl=impl) for impl in ("hoisted", "cudnn"))
  params = random_params(scan, x, LENGTHS)
  with jax.default_matmul_precision("highest"):   # no TF32 on either side
    got, want = _value_and_grad(cudnn, params, x), _value_and_grad(scan, params, x)
    population = jax.tree.map(lambda a: a[None], params)
    got_population = _population_value_and_grad(cudnn, population, x)
  chex.assert_trees_all_close(got, want, atol=1e-4, rtol=1e-4)
  chex.assert_trees_all_close(got_population, jax.tree.map(lambda a: a[None], want), atol=1e-4, rtol=1e-4)


@requires_gpu
def test_cudnn_kernel_refuses_a_population(random_params):
  model = RecurrentEncoder("lstm", H, bidirectional=True, impl="cudnn")
  with pytest.raises(ValueError, match="not a population of 2"):
    _population_value_and_grad(model, _population(random_params, 2), _inputs())
