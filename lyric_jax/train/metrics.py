"""Host-side metrics: rates from the sums objectives compute on device, the validation
metric that picks the best epoch, prediction-file columns and the trivial baselines.

Every number a run reports goes through ``summarize``: training's per-epoch summaries
(of ``objective.stats``), and ``evaluate``/``population_summaries`` of given outputs (one
replica's in predict, the population's mean for the ensemble, a classic baseline's), which
sum ``objective.output_stats`` the same way.
"""

from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from lyric_jax.train.objectives import Classification, ObjectiveSpec, Regression

# --- the validation metric that picks each replica's best epoch ------------------------------

# Validation metrics that may pick the best epoch (all higher-is-better).
SELECT_METRICS = ("accuracy", "top5_accuracy", "macro_precision", "macro_recall", "macro_f1",
                  "precision", "recall", "f1")


def resolve_select_metric(name: str, num_classes: int) -> str:
  """'f1'/'precision'/'recall' are the positive class's for a binary task, else the macro average.

  So one setting (e.g. study S3's "best validation F1") serves binary and multi-class runs.
  """
  if name not in SELECT_METRICS:
    raise ValueError(f"select_metric must be one of {SELECT_METRICS}, got {name!r}")
  if name in ("precision", "recall", "f1") and num_classes != 2:
    return f"macro_{name}"
  return name


def build_objective(spec: ObjectiveSpec, num_classes: int, select_metric: str = "accuracy"):
  """The run's objective, picking epochs by ``select_metric`` resolved for ``num_classes``
  (a regression always picks by ``neg_mae``)."""
  if spec.kind == "regression":
    return Regression(loss_name=spec.loss)
  return Classification(num_classes, select_metric=resolve_select_metric(select_metric, num_classes),
                        label_smoothing=spec.label_smoothing)


# --- summaries of summed statistics ----------------------------------------------------------

def summarize(objective, stats: Mapping[str, np.ndarray]) -> dict:
  """Rates from one replica's summed statistics (``objective.output_stats``, fetched to host)."""
  if isinstance(objective, Regression):
    return regression_summary_from_sums({k: float(v) for k, v in stats.items()})
  return classification_summary(np.asarray(stats["confusion"]), float(stats["loss_sum"]),
                                float(stats["top5_correct"]))


def classification_summary(confusion: np.ndarray, loss_sum: float = 0.0,
                           top5_correct: float = 0.0) -> dict:
  """Accuracy, per-class accuracy (recall), macro precision/recall/F1 from a confusion matrix.

  Binary tasks also get ``precision``/``recall``/``f1`` of the positive class, the
  second label (labels are sorted, so 'positive' after 'negative', '1' after '0').
  """
  total = confusion.sum()
  support = confusion.sum(1)
  predicted = confusion.sum(0)
  hits = np.diag(confusion)
  recall = np.divide(hits, support, out=np.zeros_like(hits, dtype=float), where=support > 0)
  precision = np.divide(hits, predicted, out=np.zeros_like(hits, dtype=float), where=predicted > 0)
  denom = precision + recall
  f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
  present = support > 0   # macro averages over classes that occur in this split
  summary = {
      "loss": float(loss_sum / max(total, 1e-9)),
      "accuracy": float(hits.sum() / max(total, 1e-9)),
      "top5_accuracy": float(top5_correct / max(total, 1e-9)),
      "macro_precision": float(precision[present].mean()) if present.any() else 0.0,
      "macro_recall": float(recall[present].mean()) if present.any() else 0.0,
      "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
      "per_class_accuracy": recall.tolist(),
      "confusion": confusion.tolist(),
      "count": float(total),
  }
  if len(confusion) == 2:
    summary.update(precision=float(precision[1]), recall=float(recall[1]), f1=float(f1[1]))
  return summary


def regression_summary_from_sums(sums: Mapping[str, float]) -> dict[str, float]:
  count = max(sums["count"], 1e-9)
  mae = sums["abs_error_sum"] / count
  return {
      "loss": sums["loss_sum"] / count,
      "mae": mae,
      "neg_mae": -mae,
      "rmse": float(np.sqrt(sums["squared_error_sum"] / count)),
      "bias": sums["error_sum"] / count,      # mean(predicted − true): > 0 overestimates
      "count": sums["count"],
  }


# --- metrics of given outputs (predict, the ensemble, classic baselines) ---------------------

def evaluate(objective, outputs: Mapping[str, np.ndarray], labels: np.ndarray) -> dict:
  """The objective's summary of per-example ``outputs`` for ``labels`` (class ids or scores)."""
  return population_summaries(objective, {k: np.asarray(v)[None] for k, v in outputs.items()}, labels)[0]


def population_summaries(objective, outputs: Mapping[str, np.ndarray], labels: np.ndarray,
                         chunk: int = 16384) -> list[dict]:
  """One summary per replica of outputs stacked as [P, N, ...], all rows weighing 1.

  Stats are summed over ``chunk``-row slices, so a large file never needs [P, N, C] one-hots at once.
  """
  labels = np.asarray(labels)
  stats_of = jax.vmap(objective.output_stats, in_axes=(0, None))
  stats = None
  for start in range(0, len(labels), chunk):
    rows = slice(start, start + chunk)
    batch = {"label": jnp.asarray(labels[rows]), "weight": jnp.ones(len(labels[rows]), jnp.float32)}
    part = stats_of({k: np.asarray(v)[:, rows] for k, v in outputs.items()}, batch)
    stats = part if stats is None else jax.tree.map(jnp.add, stats, part)
  stats = jax.device_get(stats)
  population = len(next(iter(outputs.values())))
  return [summarize(objective, jax.tree.map(lambda x: x[i], stats)) for i in range(population)]


def regression_summary(predicted: np.ndarray, true: np.ndarray, loss_name: str = "mae") -> dict[str, float]:
  """The summary of per-example predicted scores (the trivial baselines)."""
  return evaluate(Regression(loss_name), {"score": np.asarray(predicted, np.float32)}, true)


# --- prediction files ------------------------------------------------------------------------

def prediction_columns(objective, outputs: Mapping[str, np.ndarray], labels: list[str]) -> dict:
  """Columns of a predictions file: the predicted class and each class's probability, or the score."""
  if isinstance(objective, Regression):
    return {"predicted": np.asarray(outputs["score"])}
  probs = np.asarray(outputs["probabilities"])
  columns = {"predicted": np.asarray(labels)[probs.argmax(-1)]}
  columns.update({f"p_{label}": probs[:, i] for i, label in enumerate(labels)})
  return columns


# --- trivial baselines, computed on the evaluation split -------------------------------------

def trivial_baseline(objective, train_labels: np.ndarray, eval_labels: np.ndarray, seeds) -> dict:
  """The trivial baseline a run must beat: the majority class, or for scores study S2's
  benchmark (scores drawn from the training distribution, one draw per seed)."""
  if isinstance(objective, Regression):
    return random_sampling_benchmark(np.asarray(train_labels, float), np.asarray(eval_labels, float),
                                     seeds, objective.loss_name)
  majority = pd.Series(np.asarray(train_labels)).value_counts().idxmax()
  return {"name": "majority class", "label": str(majority),
          "accuracy": float((np.asarray(eval_labels) == majority).mean())}


def sample_training_distribution(train_scores: np.ndarray, n: int, seed: int) -> np.ndarray:
  """``n`` draws from the empirical training score distribution.

  Equivalent to the study's inverse-CDF sampling over the observed score values.
  """
  return np.random.default_rng([seed, 2]).choice(np.asarray(train_scores, float), size=n, replace=True)


def random_sampling_benchmark(train_scores: np.ndarray, eval_scores: np.ndarray, seeds,
                              loss_name: str = "mae") -> dict:
  """Study S2's benchmark "predicts" by sampling from the training scores (informed random
  guessing). Its MAE varies with the draw, so it is reported as mean ± std over the run's
  seeds, like the model; the constant training median is added because it is the best
  constant under MAE: a stricter floor than random sampling."""
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
