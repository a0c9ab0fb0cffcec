"""Study S2 models beyond the registry contract (test_registry_contract): TextCNN's windows,
BatchNorm over real windows only with running stats in eval and its max-pool gradient under
jit and vmap; the BiLSTM's spatial dropout."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models.cnn import POOLINGS, TextCNN, window_mask
from lyric_jax.models.spatial_rnn import SpatialDropoutRNN

B, T, V = 4, 12, 30
LENGTHS = np.array([12, 7, 3, 0], np.int32)     # full, partial, shorter than the kernel, a padding row


def _batch(extra=0, lengths=LENGTHS, seed=0):
  """Real tokens in 1..V-1 up to each length; after it PAD, then `extra` garbage (non-PAD) steps."""
  rng = np.random.default_rng(seed)
  n = len(lengths)
  tokens = np.where(np.arange(T) < lengths[:, None], rng.integers(1, V, size=(n, T)), 0)
  tokens = np.concatenate([tokens, rng.integers(1, V, size=(n, extra))], axis=1)
  return {"tokens": jnp.asarray(tokens, jnp.int32), "lengths": jnp.asarray(lengths)}


def test_window_mask_counts_valid_windows_and_one_for_short_texts():
  mask = window_mask(jnp.array([12, 7, 3, 0]), 12, 5)
  assert mask.shape == (4, 8) and mask.sum(1).tolist() == [8, 3, 1, 0]


class Jitted:
  """A model's eval / train-mode applies, jitted: one compile per shape instead of op-by-op dispatch."""

  def __init__(self, model):
    self.model = model
    self.eval = jax.jit(lambda v, b: model.apply(v, b, train=False))
    self.train = jax.jit(lambda v, b: model.apply(v, b, train=True, mutable=["batch_stats"],
                                                  rngs={"dropout": jax.random.key(1)}))
    self.intermediates = jax.jit(lambda v, b: model.apply(v, b, train=False, capture_intermediates=True,
                                                          mutable=["intermediates"])[1])


@pytest.fixture(scope="module")
def cnn():
  model = TextCNN(num_classes=1, vocab_size=V, embed=6, filters=5, kernel_size=5, dense=4, dropout=0.0)
  variables = jax.jit(lambda key, b: model.init(key, b, train=False))(jax.random.key(0), _batch())
  # non-trivial running statistics, so eval visibly depends on them
  stats = variables["batch_stats"]["batch_norm"]
  variables = {**variables, "batch_stats": {"batch_norm": {"mean": stats["mean"] + 0.3,
                                                           "var": stats["var"] * 2.0}}}
  return Jitted(model), variables


def test_cnn_batchnorm_train_stats_ignore_padding_positions_and_rows(cnn):
  run, variables = cnn
  out, new_state = run.train(variables, _batch(lengths=LENGTHS[:3]))
  # more padding columns (garbage after the lengths) and an extra all-padding row change nothing
  padded_out, padded_state = run.train(variables, _batch(extra=6))
  np.testing.assert_allclose(padded_out[:3], out, rtol=1e-5, atol=1e-5)
  chex.assert_trees_all_close(padded_state, new_state, rtol=1e-5, atol=1e-6)
  # and the batch mean is the mean over real windows only (checked against an explicit computation)
  conv = run.intermediates(variables, _batch(lengths=LENGTHS[:3]))["intermediates"]["conv"]["__call__"][0]
  relu = np.maximum(np.asarray(conv), 0)
  valid = np.asarray(window_mask(jnp.asarray(LENGTHS[:3]), T, 5))
  batch_mean = relu[valid].mean(0)
  momentum = run.model.bn_momentum
  old_mean = variables["batch_stats"]["batch_norm"]["mean"]
  np.testing.assert_allclose(new_state["batch_stats"]["batch_norm"]["mean"],
                             momentum * old_mean + (1 - momentum) * batch_mean, rtol=1e-4, atol=1e-6)


def test_cnn_batchnorm_eval_uses_running_stats(cnn):
  run, variables = cnn
  batch = _batch()
  out_eval = run.eval(variables, batch)
  # eval of one row does not depend on the rest of the batch (running stats, not batch stats)
  reordered = {k: v[::-1] for k, v in batch.items()}
  np.testing.assert_allclose(run.eval(variables, reordered)[::-1], out_eval, rtol=1e-5, atol=1e-6)
  alone = {k: jnp.concatenate([v[1:2], jnp.zeros_like(v[1:])]) for k, v in batch.items()}   # + padding rows
  np.testing.assert_allclose(run.eval(variables, alone)[:1], out_eval[1:2], rtol=1e-5, atol=1e-6)
  # changing the running statistics changes eval output; train mode ignores them
  shifted = {**variables, "batch_stats": jax.tree.map(lambda x: x + 1.0, variables["batch_stats"])}
  assert not np.allclose(run.eval(shifted, batch), out_eval)
  np.testing.assert_allclose(run.train(shifted, batch)[0], run.train(variables, batch)[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pooling", POOLINGS)
def test_every_cnn_pooling_reads_only_windows_inside_the_text(pooling):
  model = TextCNN(num_classes=1, vocab_size=V, embed=6, filters=5, kernel_size=5, dense=4, pooling=pooling,
                  attn_size=3, batch_norm=False)
  run = jax.jit(lambda v, b: model.apply(v, b, train=False))
  variables = jax.jit(lambda key, b: model.init(key, b, train=False))(jax.random.key(0), _batch())
  out = run(variables, _batch())
  chex.assert_shape(out, (B, 1))
  chex.assert_tree_all_finite(out)
  np.testing.assert_allclose(run(variables, _batch(extra=6)), out, rtol=1e-5, atol=1e-6)
  # the padding row pools to zeros whatever the pooling: its score is the dense and head biases alone
  params = variables["params"]
  np.testing.assert_allclose(out[3], params["dense"]["bias"] @ params["head"]["kernel"] + params["head"]["bias"],
                             rtol=1e-5, atol=1e-6)
  assert len({float(x) for x in out[:3, 0]}) == 3


def test_cnn_gradient_is_right_under_jit_and_a_vmapped_population():
  """jit(grad) and jit(vmap(grad)) must match finite differences of the loss.

  Guards the misrouted max-pool gradient seen when masked_max used reduce_max after
  BatchNorm (XLA:CPU recomputed the BatchNorm output with different rounding).
  """
  model = TextCNN(num_classes=1, vocab_size=V, embed=4, filters=6, kernel_size=3, dense=4, dropout=0.0)
  lengths = np.array([12, 9, 5, 11, 8, 0], np.int32)                 # includes a padding row
  batch = _batch(lengths=lengths, seed=3)
  label = jnp.linspace(0.1, 0.9, len(lengths))
  init = jax.jit(lambda key: model.init(key, batch, train=False))
  replicas = [init(jax.random.key(i)) for i in (0, 1)]

  def loss(params, variables):
    out, _ = model.apply({**variables, "params": params}, batch, train=True, mutable=["batch_stats"])
    return (jnp.square(out[:, 0] - label) * (lengths > 0)).sum()

  def conv_bias_grad(variables):
    return jax.grad(loss)(variables["params"], variables)["conv"]["bias"]
  single = jax.jit(conv_bias_grad)(replicas[1])
  population = jax.jit(jax.vmap(conv_bias_grad))(jax.tree.map(lambda a, b: jnp.stack([a, b]), *replicas))[1]
  # central differences along each conv bias (small step: the max-pool and ReLU have kinks)
  params, eps = replicas[1]["params"], 1e-3
  bumped = jax.vmap(lambda d: {**params, "conv": {**params["conv"], "bias": params["conv"]["bias"] + d}})(
      jnp.concatenate([jnp.eye(6), -jnp.eye(6)]) * eps)
  losses = jax.jit(jax.vmap(loss, in_axes=(0, None)))(bumped, replicas[1])
  fd = (losses[:6] - losses[6:]) / (2 * eps)
  np.testing.assert_allclose(single, fd, rtol=1e-2, atol=2e-2)
  np.testing.assert_allclose(population, fd, rtol=1e-2, atol=2e-2)


def test_bilstm_dropout_acts_in_training_only_and_follows_its_key(random_params):
  model = SpatialDropoutRNN(num_classes=3, vocab_size=V, embed=6, hidden=5, spatial_dropout=0.5)
  batch = _batch(lengths=np.array([12, 7, 1, 9], np.int32))
  variables = random_params(model, batch)       # shapes only: skips compiling the orthogonal init
  out = jax.jit(lambda v: model.apply(v, batch, train=False))(variables)
  train = jax.jit(lambda v, key: model.apply(v, batch, train=True, rngs={"dropout": key}))
  train_out = train(variables, jax.random.key(1))
  assert not np.allclose(train_out, out)
  np.testing.assert_array_equal(train(variables, jax.random.key(1)), train_out)
  assert not np.allclose(train(variables, jax.random.key(2)), train_out)


def test_spatial_dropout_drops_whole_channels_over_time():
  import flax.linen as nn
  x = jnp.ones((2, 50, 8))
  y = nn.Dropout(0.5, broadcast_dims=(1,)).apply({}, x, deterministic=False, rngs={"dropout": jax.random.key(0)})
  kept = np.asarray(y != 0)
  assert (kept == kept[:, :1, :]).all() and 0 < kept.mean() < 1   # one decision per (example, channel)
