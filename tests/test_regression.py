"""Score regression: objective sums vs NumPy, loss vs padding/sample weights, sample-weight
formula, the random-sampling benchmark, and the Preprocessor's score target."""

import chex
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from lyric_jax.data import sources
from lyric_jax.data.batches import iterate_batches
from lyric_jax.data.encode import Preprocessor, TextSpec
from lyric_jax.data.errors import DataError
from lyric_jax.data.weights import balancing_weights, inverse_frequency_weights, score_bins
from lyric_jax.train.metrics import (build_objective, random_sampling_benchmark, regression_summary,
                                     sample_training_distribution, summarize)
from lyric_jax.train.objectives import ObjectiveSpec, Regression


def test_stats_sum_over_examples_like_numpy_and_ignore_padding_rows():
  rng = np.random.default_rng(0)
  pred, true = rng.uniform(size=37).astype(np.float32), rng.uniform(size=37).astype(np.float32)
  objective = Regression("mae")
  total = None
  for batch in iterate_batches({"label": true, "pred": pred[:, None]}, 8):   # 5 batches, last padded
    stats = objective.stats(jnp.asarray(batch["pred"]), batch)
    total = stats if total is None else {k: total[k] + stats[k] for k in stats}
  s = summarize(objective, total)
  error = pred.astype(np.float64) - true
  assert s["count"] == 37
  assert s["mae"] == pytest.approx(np.abs(error).mean(), rel=1e-5)
  assert s["rmse"] == pytest.approx(np.sqrt((error ** 2).mean()), rel=1e-5)
  assert s["bias"] == pytest.approx(error.mean(), abs=1e-6)
  assert s["neg_mae"] == -s["mae"] and s["loss"] == pytest.approx(s["mae"], rel=1e-5)
  assert regression_summary(pred, true)["mae"] == pytest.approx(s["mae"], rel=1e-5)


def test_sample_weights_reach_the_loss_but_not_the_metrics():
  batch = {"label": jnp.array([0.0, 1.0, 0.5, 0.0]), "weight": jnp.array([1.0, 1.0, 1.0, 0.0])}
  outputs = jnp.array([[0.5], [0.5], [0.5], [9.0]])               # last row is padding
  plain = Regression("mae")
  assert float(plain.loss(outputs, batch)) == pytest.approx((0.5 + 0.5 + 0) / 3)
  weighted = {**batch, "sample_weight": jnp.array([3.0, 0.0, 0.0, 5.0])}
  assert float(plain.loss(outputs, weighted)) == pytest.approx(3 * 0.5 / 3)   # Σ w·loss / real rows
  chex.assert_trees_all_close({k: v for k, v in plain.stats(outputs, weighted).items() if k != "loss_sum"},
                              {k: v for k, v in plain.stats(outputs, batch).items() if k != "loss_sum"})
  mse = Regression("mse")
  assert float(mse.loss(outputs, batch)) == pytest.approx((0.25 + 0.25) / 3)


def test_huber_is_squared_for_small_errors_and_absolute_with_unit_slope_for_large_ones():
  batch = {"label": jnp.zeros(3), "weight": jnp.ones(3)}
  huber = Regression("huber")
  small, large, larger = (float(huber.loss(jnp.array([[e]] * 3), batch)) for e in (0.05, 0.3, 0.5))
  assert small == pytest.approx(0.5 * 0.05 ** 2 / 0.1)           # ½e²/δ inside δ = 0.1
  assert large == pytest.approx(0.3 - 0.05) and larger - large == pytest.approx(0.2)   # |e| - δ/2 beyond
  assert ObjectiveSpec("regression", "huber").loss == "huber"


def test_objective_spec_validates_and_builds():
  assert isinstance(build_objective(ObjectiveSpec("regression", "mse"), 0), Regression)
  assert ObjectiveSpec("regression", "mae").target == "score" and ObjectiveSpec().target == "classes"
  with pytest.raises(ValueError, match="takes loss"):
    ObjectiveSpec("regression", "cross_entropy")
  with pytest.raises(ValueError, match="sample_weights"):
    ObjectiveSpec(sample_weights="balanced")


def test_sample_weight_formula_on_a_hand_example():
  # scores 0.1 … 1.0 → edges 0.1, 0.19, …, 1.0; right-closed bins, lowest edge included
  scores = np.array([0.1, 0.15, 0.2, 0.25, 0.25, 1.0, 0.9, 0.5])
  np.testing.assert_array_equal(score_bins(scores, 10), [0, 0, 1, 1, 1, 9, 8, 4])
  expected = pd.cut(scores, np.linspace(0.1, 1.0, 11), include_lowest=True, labels=False)
  np.testing.assert_array_equal(score_bins(scores, 10), expected)        # = the study's pandas.cut
  # bin counts: bin0 2, bin1 3, bin9 1, bin8 1, bin4 1 → raw weights 1/count
  raw = np.array([1 / 2, 1 / 2, 1 / 3, 1 / 3, 1 / 3, 1, 1, 1])
  np.testing.assert_allclose(inverse_frequency_weights(score_bins(scores), "sum"), raw / raw.sum(), rtol=1e-6)
  weights = balancing_weights(scores, target="score")
  np.testing.assert_allclose(weights, raw / raw.mean(), rtol=1e-6)
  assert weights.mean() == pytest.approx(1.0) and weights.dtype == np.float32
  # each bin carries the same total weight: the rebalancing the study wanted
  assert {round(float(weights[score_bins(scores) == b].sum()), 5) for b in (0, 1, 4, 8, 9)} == {round(8 / 5, 5)}
  np.testing.assert_allclose(balancing_weights(np.array([0, 0, 1]), target="classes"), [0.75, 0.75, 1.5])


def test_random_sampling_benchmark_draws_from_the_training_distribution():
  train = np.array([0.2] * 30 + [0.9] * 70)
  draws = sample_training_distribution(train, 20000, seed=0)
  assert set(np.unique(draws)) == {0.2, 0.9} and (draws == 0.9).mean() == pytest.approx(0.7, abs=0.02)
  bench = random_sampling_benchmark(train, np.array([0.9] * 100), seeds=(0, 1, 2))
  assert bench["mae_mean"] == pytest.approx(0.3 * 0.7, abs=0.05) and bench["mae_std"] > 0
  assert len(bench["per_seed"]) == 3 and bench["median_constant"]["mae"] == pytest.approx(0.0)


def test_preprocessor_score_target_passes_scores_through(tmp_path):
  table = sources.get("synthetic_reviews").load(num_examples=30)
  pre = Preprocessor.fit(table, [], TextSpec(tokenizer="keras", max_len="max", min_frequency=1), target="score")
  assert pre.num_outputs == 1 and pre.labels == []
  encoded = pre.encode(table)
  assert encoded["label"].dtype == np.float32
  np.testing.assert_allclose(encoded["label"], table.frame["label"].to_numpy(), rtol=1e-6)
  pre.save(tmp_path)
  assert Preprocessor.load(tmp_path).target == "score"
  with pytest.raises(DataError, match="not numeric"):
    pre.scores(["0.5", "high"])
