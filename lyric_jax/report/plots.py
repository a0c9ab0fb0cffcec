"""PNG plots: learning curves (mean ± std band over replicas), a confusion matrix, and for
score regression the study's error analysis and custom-text predictions."""

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


def regression_errors(true: np.ndarray, predicted: np.ndarray, benchmark: np.ndarray | None,
                      path: str | Path, title: str = "") -> None:
  """Study S2's evaluation figure: |error| histogram (model vs benchmark), predicted vs true,
  residual vs true. Scores are assumed to lie in [0, 1]."""
  true, predicted = np.asarray(true, float), np.asarray(predicted, float)
  fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 4.8))
  bins = np.linspace(0, 1, 20)
  centers = bins[:-1] + np.diff(bins)[0] / 2
  series = [("model", predicted, "tab:blue", 1)]
  if benchmark is not None:
    series.append(("random-sampling benchmark", np.asarray(benchmark, float), "tab:orange", 0))
  for name, pred, color, z in series:
    hist, _ = np.histogram(np.abs(pred - true), bins=bins)
    ax1.plot(centers, hist, color=color, label=f"{name} (MAE {np.abs(pred - true).mean():.3f})", zorder=z)
    ax2.plot(true, pred, ".", color=color, alpha=0.3, markersize=3, zorder=z)
    ax3.plot(true, pred - true, ".", color=color, alpha=0.3, markersize=3, zorder=z)
  ax1.set(xlabel="absolute error", ylabel="examples")
  ax1.legend(fontsize=8)
  ax2.plot([0, 1], [0, 1], color="gray", lw=0.8)
  ax2.set(xlabel="true score", ylabel="predicted score", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), aspect="equal")
  ax3.axhline(0, color="gray", lw=0.8)
  ax3.set(xlabel="true score", ylabel="residual (predicted − true)", xlim=(-0.02, 1.02), ylim=(-1.02, 1.02))
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def text_predictions(texts: list[str], predicted: np.ndarray, path: str | Path,
                     spread: np.ndarray | None = None, ylabel: str = "predicted score") -> None:
  """Bar chart of one prediction per custom text (error bars: std over replicas, if given)."""
  fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(texts)), 4))
  labels = [t if len(t) <= 28 else t[:26] + "…" for t in texts]
  ax.bar(range(len(texts)), predicted, yerr=spread, capsize=4, color="tab:blue")
  ax.set_xticks(range(len(texts)), labels, rotation=20, ha="right", fontsize=8)
  ax.set_ylabel(ylabel)
  predicted = np.asarray(predicted, float)
  ax.set_ylim(min(0.0, predicted.min() - 0.1), max(1.0, predicted.max() + 0.1))   # the score scale
  for i, value in enumerate(predicted):
    ax.text(i, value, f"{value:.2f}", ha="center", va="bottom", fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)
