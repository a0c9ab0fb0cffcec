"""Per-example sample weights that rebalance a skewed label distribution (study S2).

The study bins training scores into 10 equal-width intervals between the lowest and
highest score (pandas ``cut(..., include_lowest=True)``: right-closed, the first bin
also holds the minimum), weights each review by 1 / (reviews in its bin), and
normalises the weights to sum to 1. Under Keras' loss (Σ wᵢ·lossᵢ / batch size) that
scales the loss by 1/N; we normalise to mean 1 instead, which keeps the loss on the
metric's scale. The relative weights, and so the optimum, are the same.
"""

from __future__ import annotations

import numpy as np

from lyric_jax.data.errors import DataError


def score_bins(scores: np.ndarray, num_bins: int = 10, lo: float | None = None,
               hi: float | None = None) -> np.ndarray:
  """Bin index in [0, num_bins) of each score; equal-width bins over [lo, hi] (default: data range).

  Intervals are right-closed with the lowest edge included, as pandas.cut(include_lowest=True).
  """
  scores = np.asarray(scores, np.float64)
  if not np.isfinite(scores).all():
    raise DataError("sample weights need finite scores")
  lo = scores.min() if lo is None else lo
  hi = scores.max() if hi is None else hi
  edges = np.linspace(lo, hi, num_bins + 1)
  # searchsorted(side='left') over the inner edges: x equal to an edge belongs to the
  # bin on its left (right-closed); the minimum lands in bin 0.
  return np.clip(np.searchsorted(edges[1:-1], scores, side="left"), 0, num_bins - 1)


def inverse_frequency_weights(groups: np.ndarray, normalize: str = "mean") -> np.ndarray:
  """Weight ∝ 1 / (number of examples sharing the example's group), float32.

  ``normalize='mean'`` scales the weights to mean 1 (our default), ``'sum'`` to sum 1
  (the study's normalisation).
  """
  groups = np.asarray(groups)
  if len(groups) == 0:
    raise DataError("cannot compute sample weights for an empty training split")
  _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
  weights = 1.0 / counts[inverse]
  if normalize == "sum":
    weights = weights / weights.sum()
  elif normalize == "mean":
    weights = weights / weights.mean()
  else:
    raise ValueError(f"normalize must be 'mean' or 'sum', got {normalize!r}")
  return weights.astype(np.float32)


def balancing_weights(labels: np.ndarray, *, target: str, num_bins: int = 10,
                      normalize: str = "mean") -> np.ndarray:
  """Inverse-bin weights for scores (equal-width bins), inverse-class weights for class ids."""
  groups = score_bins(labels, num_bins) if target == "score" else np.asarray(labels)
  return inverse_frequency_weights(groups, normalize)
