"""Fixed-shape batches: every batch has the same shape, so each step compiles once.

The last partial batch is padded with zero rows of weight 0; losses and metrics are
weighted, so padding rows change nothing.

``weight`` is only the padding mask (1 real row, 0 padding): metrics count with it.
Per-example loss weights travel as an ordinary column, ``sample_weight`` (zero on
padding rows like every column), and only the loss reads them.
"""

from __future__ import annotations

from typing import Iterator, Mapping

import numpy as np

WEIGHT = "weight"
SAMPLE_WEIGHT = "sample_weight"


def num_batches(num_examples: int, batch_size: int) -> int:
  return -(-num_examples // batch_size)


def num_rows(arrays: Mapping[str, np.ndarray]) -> int:
  return len(next(iter(arrays.values())))


def iterate_batches(arrays: Mapping[str, np.ndarray], batch_size: int, *,
                    order: np.ndarray | None = None) -> Iterator[dict[str, np.ndarray]]:
  """Yields dicts of ``batch_size`` rows (in ``order`` if given) plus a ``weight`` column."""
  if WEIGHT in arrays:
    raise ValueError(f"'{WEIGHT}' is the padding mask made here; pass loss weights as '{SAMPLE_WEIGHT}'")
  order = np.arange(num_rows(arrays)) if order is None else order
  for start in range(0, len(order), batch_size):
    idx = order[start:start + batch_size]
    pad = batch_size - len(idx)
    batch = {}
    for key, value in arrays.items():
      part = value[idx]
      if pad:
        part = np.concatenate([part, np.zeros((pad,) + value.shape[1:], value.dtype)])
      batch[key] = part
    batch[WEIGHT] = np.concatenate([np.ones(len(idx), np.float32), np.zeros(pad, np.float32)])
    yield batch


def epoch_order(num_examples: int, data_seed: int, epoch: int) -> np.ndarray:
  """The shuffle of one epoch, a pure function of (seed, epoch) so a resumed run replays it."""
  return np.random.default_rng([data_seed, epoch]).permutation(num_examples)
