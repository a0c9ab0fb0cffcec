"""Training a score regressor: frozen embeddings stay put, BatchNorm statistics are kept
per replica (population = separate runs), early stopping restores the best epoch."""

import dataclasses

import chex
import jax
import numpy as np
import pytest

from lyric_jax.data import sources
from lyric_jax.data.batches import SAMPLE_WEIGHT, iterate_batches
from lyric_jax.data.encode import Preprocessor, TextSpec
from lyric_jax.data.glove import EmbeddingSpec
from lyric_jax.data.weights import balancing_weights
from lyric_jax.run.build import EMBEDDING_PARAM, optimizer_for
from lyric_jax.run.pipeline import split_table
from lyric_jax.run.spec import RunSpec
from lyric_jax.models import registry
from lyric_jax.train.checkpoint import TRAIN_STATE
from lyric_jax.train.loop import FitConfig, fit, initial_loop_state
from lyric_jax.train.objectives import ObjectiveSpec, Regression

SPEC = RunSpec(experiment="t", dataset="synthetic_reviews", model="cnn",
               objective=ObjectiveSpec("regression", "mae", sample_weights="inverse_bin"))


@pytest.fixture(scope="module")
def tiny():
  table = sources.get("synthetic_reviews").load(num_examples=160)
  parts = split_table(table, SPEC)
  pre = Preprocessor.fit(parts["train"], [], TextSpec(tokenizer="keras", max_len="p95", min_frequency=1),
                         target="score")
  data = {k: pre.encode(v) for k, v in parts.items()}
  data["train"][SAMPLE_WEIGHT] = balancing_weights(data["train"]["label"], target="score")
  model = registry.build("cnn", num_classes=1, vocab_size=pre.vocab_size, embed=4, filters=6, dense=4)
  return model, data


def run_fit(tiny, tmp_path, name, spec=SPEC, overrides=None, **cfg):
  model, data = tiny
  cfg = FitConfig(**{"epochs": 2, "batch_size": 16, "progress": False, **cfg})
  spec = dataclasses.replace(spec, fit=cfg)
  (tmp_path / name).mkdir(exist_ok=True)
  return fit(model, Regression("mae"), data, cfg, tmp_path / name, tx=optimizer_for(spec, data["train"]),
             param_overrides=overrides)


def replica(tree, i):
  return jax.tree.map(lambda x: np.asarray(x[i]), tree)


def initial_params(tiny, spec, overrides=None, **cfg):
  model, data = tiny
  cfg = FitConfig(**{"batch_size": 16, **cfg})
  sample = next(iterate_batches(data["train"], 16))
  return initial_loop_state(model, sample, cfg, optimizer_for(spec, data["train"]), overrides)[TRAIN_STATE].params


def test_frozen_embedding_stays_and_batchnorm_statistics_are_per_replica(tiny, tmp_path):
  """A vmapped population with BatchNorm equals its replicas trained alone; a frozen
  (pretrained) embedding never moves while every other parameter trains.

  SGD, not Adam, for the equality: Adam's first update is ≈ lr·sign(g), which turns
  rounding-level gradients (BatchNorm cancels shift directions exactly in theory) into
  ±lr steps, so vmapped and single runs would drift apart without any real difference.
  (Adam with a frozen embedding is exercised end to end in tests/e2e.)
  """
  model, _ = tiny
  vectors = np.random.default_rng(0).normal(size=(model.vocab_size, 4)).astype(np.float32)
  spec = dataclasses.replace(SPEC, embedding=EmbeddingSpec(vectors="fixture", freeze=True))
  overrides = {EMBEDDING_PARAM: vectors}
  cfg = {"optimizer": "sgd", "learning_rates": (0.2,)}
  together = run_fit(tiny, tmp_path, "pop", spec, overrides, seeds=(0, 1), **cfg)
  alone = run_fit(tiny, tmp_path, "alone", spec, overrides, seeds=(1,), **cfg)
  start = initial_params(tiny, spec, overrides, seeds=(0, 1), **cfg)
  for i in range(2):
    trained, init = replica(together.state.params, i), replica(start, i)
    np.testing.assert_array_equal(trained["embed"]["embedding"], vectors)       # frozen, as loaded
    for (path, new), old in zip(jax.tree_util.tree_leaves_with_path(trained), jax.tree.leaves(init)):
      if jax.tree_util.keystr(path) != "['embed']['embedding']":
        assert not np.allclose(new, old), f"{jax.tree_util.keystr(path)} did not train"
  stats = together.state.model_state["batch_stats"]["batch_norm"]
  assert not np.allclose(stats["mean"][0], stats["mean"][1])        # each replica has its own statistics
  assert not np.allclose(stats["mean"][1], 0.0)                      # and they were updated
  chex.assert_trees_all_close(replica(together.state.model_state, 1), replica(alone.state.model_state, 0),
                              rtol=1e-4, atol=1e-6)
  chex.assert_trees_all_close(replica(together.state.params, 1), replica(alone.state.params, 0),
                              rtol=1e-4, atol=1e-5)


def test_early_stopping_restores_the_best_epoch(tiny, tmp_path):
  result = run_fit(tiny, tmp_path, "early", epochs=40, patience=2, learning_rates=(1e-1,))
  last, best = result.history[-1]["epoch"], int(result.best_epoch[0])
  assert last < 40 and last - best == 2
  val_mae = [r["val"][0]["mae"] for r in result.history]
  assert best == int(np.argmin(val_mae)) + 1
  assert result.val[0]["mae"] == pytest.approx(min(val_mae), rel=1e-5)      # best weights, not the last
  assert result.val[0]["mae"] < result.history[-1]["val"][0]["mae"]
  # not frozen: the embedding kept training after the best epoch (final ≠ best)
  assert not np.allclose(replica(result.state.params, 0)["embed"]["embedding"],
                         replica(result.best["params"], 0)["embed"]["embedding"])
