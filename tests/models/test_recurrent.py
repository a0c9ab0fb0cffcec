"""RecurrentEncoder: shapes, masking, padding invariance, NumPy cell reference."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models.recurrent import RecurrentEncoder

B, T, E, H = 4, 7, 5, 6
LENGTHS = np.array([7, 3, 1, 0], np.int32)  # full, partial, single, empty
PAD = np.arange(T)[None, :] >= LENGTHS[:, None]
CONFIGS = pytest.mark.parametrize(
    "cell,bidirectional,num_layers",
    [(c, bi, n) for c in ("lstm", "gru") for bi in (False, True) for n in (1, 2)])


def _inputs(t=T, scale=1.0, seed=0):
  x = np.random.default_rng(seed).normal(size=(B, t, E)) * scale
  return jnp.asarray(x, jnp.float32)


@functools.partial(jax.jit, static_argnums=0)
def _apply(model, params, x, lengths):  # model is static: one compile per config/shape
  return model.apply(params, x, lengths, train=False)


@pytest.fixture(name="run", scope="module")
def run_fixture(random_params):
  """Per config, one compiled forward+backward shared by all tests below."""

  @functools.lru_cache(maxsize=None)
  def run(cell, bidirectional, num_layers):
    model = RecurrentEncoder(cell, H, bidirectional, num_layers)
    x, lengths = _inputs(), jnp.asarray(LENGTHS)
    params = random_params(model, x, lengths)

    def loss(params, x):
      outputs, final = model.apply(params, x, lengths, train=False)
      return jnp.sum(jnp.sin(final)) + jnp.sum(outputs ** 2), (outputs, final)

    (_, (outputs, final)), grads = jax.jit(
        jax.value_and_grad(loss, argnums=(0, 1), has_aux=True))(params, x)
    return model, params, x, outputs, final, grads

  return run


@CONFIGS
def test_shapes_and_padding_is_zero(run, cell, bidirectional, num_layers):
  _, _, _, outputs, final, _ = run(cell, bidirectional, num_layers)
  dirs = 2 if bidirectional else 1
  chex.assert_shape(outputs, (B, T, H * dirs))
  chex.assert_shape(final, (B, H * dirs))
  chex.assert_tree_all_finite((outputs, final))
  assert np.all(np.asarray(outputs)[PAD] == 0.0)
  assert np.all(np.asarray(final)[LENGTHS == 0] == 0.0)  # empty row


@CONFIGS
def test_padding_invariance(run, cell, bidirectional, num_layers):
  """Appending 5 padding steps filled with large garbage changes nothing."""
  model, params, x, outputs, final, _ = run(cell, bidirectional, num_layers)
  longer = jnp.concatenate([x, _inputs(5, scale=10.0, seed=1)], axis=1)
  out_long, final_long = _apply(model, params, longer, jnp.asarray(LENGTHS))
  chex.assert_trees_all_close(out_long[:, :T], outputs, atol=1e-5)
  chex.assert_trees_all_close(final_long, final, atol=1e-5)
  assert np.all(np.asarray(out_long[:, T:]) == 0.0)


@CONFIGS
def test_final_reads_last_real_position(run, cell, bidirectional, num_layers):
  _, _, _, outputs, final, _ = run(cell, bidirectional, num_layers)
  for b, n in enumerate(LENGTHS[LENGTHS > 0]):
    chex.assert_trees_all_close(final[b, :H], outputs[b, n - 1, :H])
    if bidirectional:  # backward ends at position 0
      chex.assert_trees_all_close(final[b, H:], outputs[b, 0, H:])


@CONFIGS
def test_gradients_finite_and_nonzero(run, cell, bidirectional, num_layers):
  *_, (param_grads, x_grad) = run(cell, bidirectional, num_layers)
  chex.assert_tree_all_finite((param_grads, x_grad))
  for path, g in jax.tree_util.tree_leaves_with_path(param_grads):
    assert np.any(np.asarray(g) != 0), jax.tree_util.keystr(path)
  assert np.all(np.asarray(x_grad)[PAD] == 0.0)  # padding is never read


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_bidirectional_padded_equals_unpadded_one_at_a_time(run, cell, num_layers):
  model, params, x, outputs, final, _ = run(cell, True, num_layers)
  for b, n in enumerate(LENGTHS[LENGTHS > 0]):
    out_b, final_b = _apply(model, params, x[b:b + 1, :n], jnp.array([n]))
    chex.assert_trees_all_close(outputs[b, :n], out_b[0], atol=1e-5)
    chex.assert_trees_all_close(final[b], final_b[0], atol=1e-5)


def _sigmoid(z):
  return 1.0 / (1.0 + np.exp(-z))


def _np_lstm(p, xs):
  """Flax layout: input kernels i{i,f,g,o} (no bias); recurrent h{i,f,g,o} + bias."""
  def gate(g, x, h):
    return x @ p["i" + g]["kernel"] + h @ p["h" + g]["kernel"] + p["h" + g]["bias"]

  c = h = np.zeros(H)
  hs = []
  for x in xs:
    i, f = _sigmoid(gate("i", x, h)), _sigmoid(gate("f", x, h))
    g, o = np.tanh(gate("g", x, h)), _sigmoid(gate("o", x, h))
    c = f * c + i * g
    h = o * np.tanh(c)
    hs.append(h)
  return np.stack(hs)


def _np_gru(p, xs):
  """Flax layout: i{r,z,n} kernel + bias; h{r,z} kernel; hn kernel + bias inside r*()."""
  h = np.zeros(H)
  hs = []
  for x in xs:
    r = _sigmoid(x @ p["ir"]["kernel"] + p["ir"]["bias"] + h @ p["hr"]["kernel"])
    z = _sigmoid(x @ p["iz"]["kernel"] + p["iz"]["bias"] + h @ p["hz"]["kernel"])
    n = np.tanh(x @ p["in"]["kernel"] + p["in"]["bias"]
                + r * (h @ p["hn"]["kernel"] + p["hn"]["bias"]))
    h = (1 - z) * n + z * h
    hs.append(h)
  return np.stack(hs)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_matches_numpy_reference(run, cell, bidirectional):
  _, params, x, outputs, final, _ = run(cell, bidirectional, 1)
  ref_cell = {"lstm": _np_lstm, "gru": _np_gru}[cell]
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), params["params"])
  for b, n in enumerate(LENGTHS[LENGTHS > 0]):
    xs = np.asarray(x[b, :n], np.float64)
    ref = ref_cell(p["fwd_0"]["cell"], xs)
    ref_final = ref[-1]
    if bidirectional:  # backward reads the real tokens right to left
      bwd = ref_cell(p["bwd_0"]["cell"], xs[::-1])[::-1]
      ref_final = np.concatenate([ref_final, bwd[0]])
      ref = np.concatenate([ref, bwd], axis=-1)
    np.testing.assert_allclose(outputs[b, :n], ref, atol=1e-5)
    np.testing.assert_allclose(final[b], ref_final, atol=1e-5)


def test_dropout_between_layers_only_in_training(run):
  model, params, x, eval_out, _, _ = run("gru", True, 2)
  lengths = jnp.asarray(LENGTHS)
  dropped = model.clone(dropout=0.5)
  chex.assert_trees_all_close(_apply(dropped, params, x, lengths)[0], eval_out)
  train_out, _ = jax.jit(functools.partial(dropped.apply, train=True))(
      params, x, lengths, rngs={"dropout": jax.random.key(1)})
  assert not np.allclose(train_out, eval_out)
  assert np.all(np.asarray(train_out)[PAD] == 0.0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_training_and_inference_steps_compute_the_same_function(run, cell):
  """train=False runs its own, forward-only step (hoisted_rnn.lstm_inference / gru_inference);
  the tests above check it against NumPy, this one the training step against it."""
  model, params, x, outputs, final, _ = run(cell, True, 2)
  lengths = jnp.asarray(LENGTHS)
  trained = jax.jit(functools.partial(model.apply, train=True))(params, x, lengths, rngs={"dropout": jax.random.key(1)})
  chex.assert_trees_all_close(trained, (outputs, final), atol=1e-5)


def test_unroll_does_not_change_result(run):
  model, params, x, outputs, final, _ = run("lstm", True, 1)
  chex.assert_trees_all_close(
      _apply(model.clone(unroll=4), params, x, jnp.asarray(LENGTHS)),
      (outputs, final), atol=1e-6)


def test_default_init(random_params):
  model = RecurrentEncoder("lstm", H, bidirectional=True)
  x, lengths = _inputs(), jnp.asarray(LENGTHS)
  (outputs, final), params = jax.jit(
      functools.partial(model.init_with_output, train=False))(
          jax.random.key(0), x, lengths)
  chex.assert_trees_all_equal_shapes(params, random_params(model, x, lengths))
  chex.assert_tree_all_finite((outputs, final))


def test_unknown_cell_raises(random_params):
  with pytest.raises(ValueError, match="cell"):
    random_params(RecurrentEncoder("rnn", H), _inputs(), jnp.asarray(LENGTHS))


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple"])
def test_hoisted_and_flax_layers_share_params_and_agree(cell):
  """The implementations: identical initial params, same outputs and gradients."""
  x, lengths = _inputs(), jnp.asarray(LENGTHS)
  models = [RecurrentEncoder(cell, H, bidirectional=True, impl=impl) for impl in ("hoisted", "scan", "flax")]
  # Jitted: run op by op, each grad's scans and their transposes cost seconds more than compiling.
  inits = [jax.jit(functools.partial(m.init, train=False))(jax.random.key(0), x, lengths) for m in models]
  chex.assert_trees_all_equal(*inits)

  def loss(model, params):
    outputs, final = model.apply(params, x, lengths, train=False)
    return jnp.sum(jnp.sin(final)) + jnp.sum(outputs ** 2)

  results = [jax.jit(jax.value_and_grad(functools.partial(loss, m)))(inits[0]) for m in models]
  chex.assert_trees_all_close(*results, rtol=1e-5, atol=1e-5)


def test_bf16_compute_keeps_f32_params_and_stays_close(random_params):
  x, lengths = _inputs(), jnp.asarray(LENGTHS)
  f32 = RecurrentEncoder("lstm", H, bidirectional=True)
  bf16 = RecurrentEncoder("lstm", H, bidirectional=True, dtype=jnp.bfloat16)
  params = random_params(f32, x, lengths)
  chex.assert_trees_all_equal_dtypes(bf16.init(jax.random.key(0), x, lengths, train=False), params)
  out16, out32 = _apply(bf16, params, x, lengths), _apply(f32, params, x, lengths)
  chex.assert_trees_all_close(out16, out32, atol=5e-2)
  assert np.all(np.asarray(out16[0])[PAD] == 0.0)


def test_unknown_impl_raises(random_params):
  with pytest.raises(ValueError, match="impl must be one of"):
    random_params(RecurrentEncoder("lstm", H, impl="magic"), _inputs(), jnp.asarray(LENGTHS))
