"""Trivial baselines a score regressor must beat, computed on the evaluation split.

Study S2's benchmark "predicts" by sampling from the distribution of training scores
(informed random guessing). Its MAE varies with the draw, so it is reported as mean ±
std over the run's seeds, like the model. The constant training median is added
because it is the best constant under MAE: a stricter floor than random sampling.
"""

from __future__ import annotations

import numpy as np

from lyric_jax.train.objectives import regression_summary


def sample_training_distribution(train_scores: np.ndarray, n: int, seed: int) -> np.ndarray:
  """``n`` draws from the empirical training score distribution.

  Equivalent to the study's inverse-CDF sampling over the observed score values.
  """
  return np.random.default_rng([seed, 2]).choice(np.asarray(train_scores, float), size=n, replace=True)


def random_sampling_benchmark(train_scores: np.ndarray, eval_scores: np.ndarray, seeds,
                              loss_name: str = "mae") -> dict:
  per_seed = [regression_summary(sample_training_distribution(train_scores, len(eval_scores), s),
                                 eval_scores, loss_name) for s in seeds]
  median = regression_summary(np.full(len(eval_scores), np.median(train_scores)), eval_scores, loss_name)
  return {
      "name": "random sampling from the training score distribution",
      "seeds": list(seeds),
      "per_seed": per_seed,
      **{f"{m}_mean": float(np.mean([s[m] for s in per_seed])) for m in ("mae", "rmse", "bias")},
      **{f"{m}_std": float(np.std([s[m] for s in per_seed])) for m in ("mae", "rmse", "bias")},
      "train_median": float(np.median(train_scores)),
      "median_constant": median,
  }
