"""What a model is trained for: its loss and its per-example metric sums.

Metric statistics are *sums over examples* (weighted, so padding rows count 0),
accumulated on device across batches and turned into rates once per epoch on the
host: never averages of per-batch averages.

Two weights, two jobs: ``batch['weight']`` is the padding mask (1 real row, 0
padding) and decides what every metric counts; the optional
``batch['sample_weight']`` (e.g. inverse score-bin frequency, study S2) reweights
only the loss that is optimised. Metrics stay plain per-example rates.

Every objective offers the same interface: ``loss``, ``outputs`` (per-example predictions:
class probabilities or scores), ``output_stats`` (summed statistics of given outputs),
``stats`` (the same from the model's raw outputs), ``summarize`` (host), and host-side
``prediction_columns``/``baseline`` for prediction files and reports. Metrics always come
from ``output_stats`` + ``summarize``, whether the outputs are one replica's (training's
evaluation, ``predict``), the population's mean (the ensemble) or a classic baseline's
(``evaluate``), so every number a run reports is computed the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd


@dataclasses.dataclass(frozen=True)
class ObjectiveSpec:
  """What a run optimises (part of the RunSpec, so ``predict`` rebuilds the same objective).

  ``sample_weights='inverse_bin'`` weights each training example by 1 / (count of its
  bin): score runs use ``weight_bins`` equal-width bins over the training score range
  (study S2), classification runs use the classes themselves.
  """
  kind: str = "classification"     # 'classification' | 'regression'
  loss: str = "cross_entropy"      # classification: 'cross_entropy'; regression: 'mae' | 'mse'
  sample_weights: str = "none"     # 'none' | 'inverse_bin'
  weight_bins: int = 10

  def __post_init__(self):
    losses = {"classification": ("cross_entropy",), "regression": tuple(REGRESSION_LOSSES)}
    if self.kind not in losses:
      raise ValueError(f"objective kind must be one of {sorted(losses)}, got {self.kind!r}")
    if self.loss not in losses[self.kind]:
      raise ValueError(f"a {self.kind} objective takes loss {losses[self.kind]}, got {self.loss!r}")
    if self.sample_weights not in ("none", "inverse_bin"):
      raise ValueError(f"sample_weights must be 'none' or 'inverse_bin', got {self.sample_weights!r}")

  @property
  def target(self) -> str:
    """How labels are encoded (``Preprocessor`` target mode): class ids or float scores."""
    return "score" if self.kind == "regression" else "classes"


def build_objective(spec: ObjectiveSpec, num_classes: int, select_metric: str = "accuracy"):
  if spec.kind == "regression":
    return Regression(loss_name=spec.loss)
  return Classification(num_classes, select_metric=resolve_select_metric(select_metric, num_classes))


def loss_weights(batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
  """Per-example weights of the optimised loss: padding mask × optional sample weights."""
  weight = batch["weight"]
  return weight * batch["sample_weight"] if "sample_weight" in batch else weight


def weighted_mean_loss(per_example: jnp.ndarray, batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
  """Σ sample_weight·loss over real rows / number of real rows (Keras' sample_weight semantics).

  Dividing by the row count rather than by Σ sample_weight keeps each example's weight
  meaningful across batches; with weights normalised to mean 1 the loss stays on the
  scale of the unweighted metric (so learning rates transfer).
  """
  return (per_example * loss_weights(batch)).sum() / jnp.maximum(batch["weight"].sum(), 1e-9)


@dataclasses.dataclass(frozen=True)
class Classification:
  num_classes: int
  select_metric: str = "accuracy"   # the validation metric that picks the best epoch

  def loss(self, logits, batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"])
    return weighted_mean_loss(ce, batch)

  def stats(self, logits, batch: Mapping[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
    return self.output_stats(self.outputs(logits), batch)

  def output_stats(self, outputs: Mapping[str, jnp.ndarray], batch: Mapping[str, jnp.ndarray]) -> dict:
    """Summed statistics of class probabilities (any model's, or a mean of several)."""
    probs, weight = outputs["probabilities"], batch["weight"]
    true_prob = jnp.take_along_axis(probs, batch["label"][:, None], -1)[:, 0]
    # Clipped: a probability that underflowed to 0 (or a baseline's exact 0) costs -log(tiny), not inf.
    ce = -jnp.log(jnp.maximum(true_prob, jnp.finfo(probs.dtype).tiny))
    true = jax.nn.one_hot(batch["label"], self.num_classes) * weight[:, None]
    pred = jax.nn.one_hot(jnp.argmax(probs, -1), self.num_classes)
    top5 = jax.lax.top_k(probs, min(5, self.num_classes))[1] == batch["label"][:, None]
    return {
        "loss_sum": (ce * loss_weights(batch)).sum(),
        "count": weight.sum(),
        "confusion": true.T @ pred,               # [true, predicted], weighted counts
        "top5_correct": (top5.any(-1) * weight).sum(),
    }

  def summarize(self, stats: Mapping[str, np.ndarray]) -> dict[str, float | list]:
    """Rates from summed statistics of one replica."""
    return classification_summary(np.asarray(stats["confusion"]), float(stats["loss_sum"]),
                                  float(stats["top5_correct"]))

  def outputs(self, logits) -> dict[str, jnp.ndarray]:
    return {"probabilities": jax.nn.softmax(logits, -1)}

  # --- host side (numpy): prediction files, evaluation of chosen outputs, baseline ---

  def prediction_columns(self, outputs: Mapping[str, np.ndarray], labels: list[str]) -> dict:
    probs = np.asarray(outputs["probabilities"])
    columns = {"predicted": np.asarray(labels)[probs.argmax(-1)]}
    columns.update({f"p_{label}": probs[:, i] for i, label in enumerate(labels)})
    return columns

  def baseline(self, train_labels: np.ndarray, eval_labels: np.ndarray, seeds) -> dict:
    """Always predicting the training split's majority class."""
    del seeds
    majority = pd.Series(np.asarray(train_labels)).value_counts().idxmax()
    return {"name": "majority class", "label": str(majority),
            "accuracy": float((np.asarray(eval_labels) == majority).mean())}


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


# --- Regression (study S2: review text → score) --------------------------------------------

REGRESSION_LOSSES = {"mae": jnp.abs, "mse": jnp.square}


def _scores(outputs: jnp.ndarray) -> jnp.ndarray:
  """A model's [B, 1] (one output unit) or [B] output as [B] predicted scores."""
  return outputs[..., 0] if outputs.ndim == 2 else outputs


@dataclasses.dataclass(frozen=True)
class Regression:
  """Score regression trained with MAE (study S2's choice) or MSE.

  Stats are weighted sums over examples (absolute, squared and signed error), so MAE,
  RMSE and bias are exact per-example means however the data were batched.
  """
  loss_name: str = "mae"
  select_metric: str = "neg_mae"    # higher is better, like every select metric

  def __post_init__(self):
    if self.loss_name not in REGRESSION_LOSSES:
      raise ValueError(f"regression loss must be one of {sorted(REGRESSION_LOSSES)}, got {self.loss_name!r}")

  def loss(self, outputs, batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
    error = _scores(outputs) - batch["label"]
    return weighted_mean_loss(REGRESSION_LOSSES[self.loss_name](error), batch)

  def stats(self, outputs, batch: Mapping[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
    return self.output_stats(self.outputs(outputs), batch)

  def output_stats(self, outputs: Mapping[str, jnp.ndarray], batch: Mapping[str, jnp.ndarray]) -> dict:
    weight = batch["weight"]
    error = outputs["score"] - batch["label"]
    return {
        "loss_sum": (REGRESSION_LOSSES[self.loss_name](error) * loss_weights(batch)).sum(),
        "abs_error_sum": (jnp.abs(error) * weight).sum(),
        "squared_error_sum": (jnp.square(error) * weight).sum(),
        "error_sum": (error * weight).sum(),
        "count": weight.sum(),
    }

  def summarize(self, stats: Mapping[str, np.ndarray]) -> dict[str, float]:
    return regression_summary_from_sums({k: float(v) for k, v in stats.items()})

  def outputs(self, outputs) -> dict[str, jnp.ndarray]:
    return {"score": _scores(outputs)}

  def prediction_columns(self, outputs: Mapping[str, np.ndarray], labels: list[str]) -> dict:
    del labels
    return {"predicted": np.asarray(outputs["score"])}

  def baseline(self, train_scores: np.ndarray, eval_scores: np.ndarray, seeds) -> dict:
    """Study S2's benchmark: scores drawn from the training score distribution (one draw per seed)."""
    from lyric_jax.train.baselines import random_sampling_benchmark   # numpy only; avoids a cycle
    return random_sampling_benchmark(np.asarray(train_scores, float), np.asarray(eval_scores, float),
                                     seeds, self.loss_name)


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


def regression_summary(predicted: np.ndarray, true: np.ndarray, loss_name: str = "mae") -> dict[str, float]:
  """The summary of per-example predicted scores (the trivial baselines)."""
  return evaluate(Regression(loss_name), {"score": np.asarray(predicted, np.float32)}, true)


# --- Metrics of given outputs (predict, the ensemble, classic baselines) -------------------

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
  return [objective.summarize(jax.tree.map(lambda x: x[i], stats)) for i in range(population)]
