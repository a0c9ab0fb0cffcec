"""PNG plots: learning curves (mean ± std band over replicas) and a confusion matrix."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # headless: plots are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors  # noqa: E402

from lyric_jax.report.confusions import cluster_order  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def curve_metrics(history: list[dict]) -> tuple[str, ...]:
  """Loss, accuracy, and precision/recall/F1: the positive class's for binary tasks, else macro."""
  summary = history[0]["train"][0] if history else {}
  kind = ("precision", "recall", "f1") if "f1" in summary else ("macro_precision", "macro_recall", "macro_f1")
  return ("loss", "accuracy") + tuple(m for m in kind if m in summary)


def learning_curves(history: list[dict], path: str | Path, metrics=None) -> None:
  """One panel per metric (train and val per epoch, mean ± std band over replicas)."""
  metrics = tuple(metrics or curve_metrics(history))
  columns = min(3, len(metrics))
  rows = -(-len(metrics) // columns)
  fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.5 * rows), squeeze=False)
  for ax in axes.flat[len(metrics):]:
    ax.axis("off")
  epochs = [r["epoch"] for r in history]
  for ax, metric in zip(axes.flat, metrics):
    for split, color in (("train", "tab:blue"), ("val", "tab:orange")):
      values = np.array([[s[metric] for s in r[split]] for r in history])
      mean, std = values.mean(1), values.std(1)
      ax.plot(epochs, mean, color=color, label=split)
      ax.fill_between(epochs, mean - std, mean + std, color=color, alpha=0.2)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric)
    ax.legend()
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def confusion_matrix(confusion: np.ndarray, labels: list[str], path: str | Path,
                     title: str = "") -> None:
  """Row-normalised confusion (true × predicted); counts annotated when the matrix is small.

  Above 20 labels, rows and columns are sorted so that labels confused with each other
  are neighbours (``confusions.cluster_order``), and a square-root colour scale keeps the
  small off-diagonal rates visible.
  """
  confusion = np.asarray(confusion, float)
  labels = list(labels)
  large = len(labels) > 20
  if large:
    order = cluster_order(confusion)
    confusion, labels = confusion[np.ix_(order, order)], [labels[i] for i in order]
  rates = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)
  size = max(4, (0.15 if large else 0.35) * len(labels) + 2)
  fig, ax = plt.subplots(figsize=(size, size))
  norm = colors.PowerNorm(0.5, vmin=0, vmax=1) if large else colors.Normalize(0, 1)
  im = ax.imshow(rates, cmap="Blues", norm=norm)
  fontsize = 6 if large else 8
  ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=fontsize)
  ax.set_yticks(range(len(labels)), labels, fontsize=fontsize)
  ax.set_xlabel("predicted")
  ax.set_ylabel("true")
  if not large:
    for i in range(len(labels)):
      for j in range(len(labels)):
        ax.text(j, i, f"{confusion[i, j]:.0f}", ha="center", va="center", fontsize=7,
                color="white" if rates[i, j] > 0.5 else "black")
  else:
    title = f"{title}\nrows/columns ordered by confusion clustering; colour: sqrt(row share)".strip()
  ax.set_title(title)
  fig.colorbar(im, ax=ax, fraction=0.046 if not large else 0.02)
  fig.tight_layout()
  fig.savefig(path, dpi=150 if large else 120)
  plt.close(fig)
