"""What a model is trained for: its loss and its per-example metric sums.

Metric statistics are *sums over examples* (weighted, so padding rows count 0),
accumulated on device across batches and turned into rates once per epoch on the
host: never averages of per-batch averages.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax


@dataclasses.dataclass(frozen=True)
class Classification:
  num_classes: int
  select_metric: str = "accuracy"   # the validation metric that picks the best epoch

  def loss(self, logits, batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
    weight = batch["weight"]
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"])
    return (ce * weight).sum() / jnp.maximum(weight.sum(), 1e-9)

  def stats(self, logits, batch: Mapping[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
    weight = batch["weight"]
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"])
    true = jax.nn.one_hot(batch["label"], self.num_classes) * weight[:, None]
    pred = jax.nn.one_hot(jnp.argmax(logits, -1), self.num_classes)
    top5 = jax.lax.top_k(logits, min(5, self.num_classes))[1] == batch["label"][:, None]
    return {
        "loss_sum": (ce * weight).sum(),
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
