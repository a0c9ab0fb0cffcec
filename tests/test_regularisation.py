"""Schedules, weight decay and label smoothing: what each flag changes in one update or loss."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lyric_jax.data.errors import DataError
from lyric_jax.train.loop import FitConfig
from lyric_jax.train.objectives import Classification, ObjectiveSpec
from lyric_jax.train.state import lr_multiplier, make_optimizer


def test_cosine_multiplier_warms_up_then_decays_to_zero():
  constant = lr_multiplier()
  assert float(constant(0)) == float(constant(10_000)) == 1.0
  cosine = lr_multiplier("cosine", total_steps=100, warmup=0.1)
  values = np.array([float(cosine(t)) for t in range(101)])
  np.testing.assert_allclose(values[[0, 5, 10, 55, 100]], [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-6)
  assert (np.diff(values[10:]) <= 1e-7).all()
  assert float(lr_multiplier("cosine", total_steps=100)(0)) == 1.0   # no warmup: starts at the peak


def _one_update(tx, params, grads, lr=0.1):
  state = tx.init(params)
  state.hyperparams["learning_rate"] = jnp.asarray(lr)
  updates, _ = tx.update(grads, state, params)
  return optax.apply_updates(params, updates)


def test_schedule_scales_the_update_and_adamw_decays_weights():
  params, grads = {"w": jnp.ones(3)}, {"w": jnp.full(3, 0.5)}
  plain = _one_update(make_optimizer("adam"), params, grads)
  warming = _one_update(make_optimizer("adam", schedule=lr_multiplier("cosine", 100, warmup=0.5)), params, grads)
  chex.assert_trees_all_close(warming, params)                           # step 0 of a warmup: factor 0
  chex.assert_trees_all_close(_one_update(make_optimizer("adam", schedule=lr_multiplier("cosine", 100)),
                                          params, grads), plain)         # step 0 of a cosine: factor 1
  zero = {"w": jnp.zeros(3)}
  decayed = _one_update(make_optimizer("adamw", weight_decay=0.5), params, zero)
  np.testing.assert_allclose(decayed["w"], 1 - 0.1 * 0.5, rtol=1e-6)    # lr · decay · w, with no gradient


def test_label_smoothing_changes_only_the_training_loss():
  logits = jnp.array([[4.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
  batch = {"label": jnp.array([0, 1]), "weight": jnp.ones(2)}
  plain, smooth = Classification(3), Classification(3, label_smoothing=0.3)
  targets = jax.nn.one_hot(batch["label"], 3) * 0.7 + 0.1
  expected = -(targets * jax.nn.log_softmax(logits)).sum(-1).mean()
  np.testing.assert_allclose(smooth.loss(logits, batch), expected, rtol=1e-6)
  assert smooth.loss(logits, batch) > plain.loss(logits, batch)
  chex.assert_trees_all_close(smooth.stats(logits, batch), plain.stats(logits, batch))   # reported metrics


def test_bad_settings_are_refused_with_their_names():
  with pytest.raises(DataError, match="schedule"):
    FitConfig(schedule="linear")
  with pytest.raises(DataError, match="warmup"):
    FitConfig(warmup=1.5)
  with pytest.raises(ValueError, match="label_smoothing"):
    ObjectiveSpec(kind="regression", loss="mae", label_smoothing=0.1)
