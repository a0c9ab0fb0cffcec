"""Reading a large confusion matrix: which labels are mistaken for which.

With 114 genres the matrix is only readable when labels that are confused with
each other sit next to each other, so ``cluster_order`` sorts them by average-linkage
clustering of the symmetric confusion rates; ``confused_pairs`` lists the worst pairs.
"""

from __future__ import annotations

import numpy as np


def _symmetric_rates(confusion: np.ndarray) -> np.ndarray:
  """(rate of i predicted as j + rate of j predicted as i) / 2, diagonal 0."""
  confusion = np.asarray(confusion, float)
  rates = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)
  sym = (rates + rates.T) / 2
  np.fill_diagonal(sym, 0)
  return sym


def cluster_order(confusion: np.ndarray) -> list[int]:
  """Label indices in the leaf order of average-linkage clustering on confusion rates."""
  sim = _symmetric_rates(confusion)
  clusters = {i: [i] for i in range(len(sim))}
  while len(clusters) > 1:
    active = np.array(sorted(clusters))
    block = sim[np.ix_(active, active)].copy()
    np.fill_diagonal(block, -np.inf)
    a, b = (active[k] for k in np.unravel_index(np.argmax(block), block.shape))
    na, nb = len(clusters[a]), len(clusters[b])
    sim[a] = sim[:, a] = (na * sim[a] + nb * sim[b]) / (na + nb)   # average linkage
    clusters[a] = clusters[a] + clusters.pop(b)
  return next(iter(clusters.values()))


def confused_pairs(confusion: np.ndarray, labels: list[str], top: int = 20) -> list[dict]:
  """The ``top`` unordered label pairs by examples confused either way, worst first.

  ``share`` is that count over the two labels' examples, so large and small classes compare.
  """
  confusion = np.asarray(confusion, float)
  support = confusion.sum(1)
  both = confusion + confusion.T
  i, j = np.triu_indices(len(labels), k=1)
  order = np.argsort(-both[i, j], kind="stable")[:top]
  return [{"a": labels[i[k]], "b": labels[j[k]], "a_as_b": int(confusion[i[k], j[k]]),
           "b_as_a": int(confusion[j[k], i[k]]), "count": int(both[i[k], j[k]]),
           "share": float(both[i[k], j[k]] / max(support[i[k]] + support[j[k]], 1))}
          for k in order if both[i[k], j[k]] > 0]
