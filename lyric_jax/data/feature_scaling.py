"""How feature columns are scaled for the nets, fitted on the training split only.

'standard' subtracts the mean and divides by the standard deviation. 'quantile' maps each
column through its training quantiles to a standard normal (as scikit-learn's
``QuantileTransformer(output_distribution='normal')``): skewed columns such as S4's
duration_ms, speechiness or instrumentalness stop being dominated by a few outliers, and a
value outside the training range lands at the edge rather than far beyond it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

FEATURE_TRANSFORMS = ("standard", "quantile")
QUANTILES = 1001          # knots per column (sklearn's default is 1,000)
_EDGE = 1e-7              # quantile ranks are clipped to [ε, 1 - ε]: ndtri(ε) ≈ -5.2, never ±inf


def fit_quantiles(features: np.ndarray, n: int = QUANTILES) -> list[list[float]]:
  """[F][n] each column's training quantiles at ranks 0, 1/(n-1), …, 1 (non-decreasing)."""
  if not len(features):
    return [[0.0, 1.0]] * features.shape[1]
  return np.quantile(features, np.linspace(0, 1, n), axis=0).T.tolist()


def quantile_normal(raw: np.ndarray, quantiles: list[list[float]]) -> np.ndarray:
  """[N, F] raw features → [N, F] standard-normal scores of their training ranks.

  A value tied with several knots (a 0/1 column) gets the middle of their ranks: the mean
  of interpolating upwards and downwards, as scikit-learn does.
  """
  out = np.empty(raw.shape, np.float64)
  for j, knots in enumerate(quantiles):
    knots = np.asarray(knots)
    ranks = np.linspace(0, 1, len(knots))
    up = np.interp(raw[:, j], knots, ranks)
    down = 1 - np.interp(-raw[:, j], -knots[::-1], ranks)
    out[:, j] = ndtri(np.clip(0.5 * (up + down), _EDGE, 1 - _EDGE))
  return out
