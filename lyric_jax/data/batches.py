"""Fixed-shape batches: every batch has the same shape, so each step compiles once.

The last partial batch is padded with zero rows of weight 0; losses and metrics are
weighted, so padding rows change nothing.

``weight`` is only the padding mask (1 real row, 0 padding): metrics count with it.
Per-example loss weights travel as an ordinary column, ``sample_weight`` (zero on
padding rows like every column), and only the loss reads them.

Length buckets: with a few ``boundaries``, each batch holds rows of one bucket only and is
cut to that bucket's length, so a batch of short texts stops paying for the longest one. A
step then compiles once per bucket. Models read ``lengths`` and mask past them (the
registry contract test: more padding never changes an output), so cutting trailing
padding changes no output.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Sequence

import numpy as np

WEIGHT = "weight"
SAMPLE_WEIGHT = "sample_weight"
LENGTHS = "lengths"
# Arrays whose axis 1 is the padded sequence that ``lengths`` counts (a HAN's: its lines).
SEQUENCE_KEYS = ("tokens", "word_lengths")
BUCKET_MULTIPLE = 8   # boundaries are multiples of this (and ≥ it): few shapes, kernels fit


def num_batches(num_examples: int, batch_size: int) -> int:
  return -(-num_examples // batch_size)


def num_rows(arrays: Mapping[str, np.ndarray]) -> int:
  return len(next(iter(arrays.values())))


def iterate_batches(arrays: Mapping[str, np.ndarray], batch_size: int, *, order: np.ndarray | None = None,
                    boundaries: Sequence[int] = ()) -> Iterator[dict[str, np.ndarray]]:
  """Yields dicts of ``batch_size`` rows (in ``order`` if given) plus a ``weight`` column.

  With ``boundaries`` (``bucket_boundaries``), rows are grouped by length bucket, each
  bucket's rows kept in ``order``, and the batches of all buckets interleaved in the order
  of their first row, so a shuffled ``order`` still shuffles them."""
  if WEIGHT in arrays:
    raise ValueError(f"'{WEIGHT}' is the padding mask made here; pass loss weights as '{SAMPLE_WEIGHT}'")
  order = np.arange(num_rows(arrays)) if order is None else order
  for idx, seq_len in batch_plan(arrays, batch_size, order, boundaries):
    yield _batch(arrays, idx, batch_size, seq_len)


def batch_plan(arrays: Mapping[str, np.ndarray], batch_size: int, order: np.ndarray,
               boundaries: Sequence[int] = ()) -> list[tuple[np.ndarray, int | None]]:
  """(row indices, sequence length to cut to or None) of each batch, in the order they run."""
  if not boundaries or LENGTHS not in arrays:
    return [(order[s:s + batch_size], None) for s in range(0, len(order), batch_size)]
  bucket = np.searchsorted(np.asarray(boundaries), arrays[LENGTHS][order])   # the smallest boundary ≥ length
  plan = []
  for b, bound in enumerate(boundaries):
    positions = np.flatnonzero(bucket == b)   # where in ``order`` this bucket's rows are
    plan += [(positions[s:s + batch_size], bound) for s in range(0, len(positions), batch_size)]
  plan.sort(key=lambda p: p[0][0])
  return [(order[positions], bound) for positions, bound in plan]


def steps_per_epoch(arrays: Mapping[str, np.ndarray], batch_size: int, boundaries: Sequence[int] = ()) -> int:
  """Batches in one epoch (with buckets: each bucket's last batch may be partial)."""
  return len(batch_plan(arrays, batch_size, np.arange(num_rows(arrays)), boundaries))


def bucket_boundaries(arrays: Mapping[str, np.ndarray], num_buckets: int) -> tuple[int, ...]:
  """Sequence lengths that cut the rows of ``arrays`` (the training split) into about
  ``num_buckets`` equal groups: quantiles of their lengths, rounded up to ``BUCKET_MULTIPLE``;
  the last is the padded length. () = no buckets (one asked for, or no sequence)."""
  if num_buckets <= 1 or LENGTHS not in arrays or SEQUENCE_KEYS[0] not in arrays or not num_rows(arrays):
    return ()
  max_len = arrays[SEQUENCE_KEYS[0]].shape[1]
  cuts = np.quantile(arrays[LENGTHS], np.arange(1, num_buckets) / num_buckets)
  cuts = np.maximum(BUCKET_MULTIPLE, np.ceil(cuts / BUCKET_MULTIPLE) * BUCKET_MULTIPLE).astype(int)
  return tuple(sorted({int(c) for c in cuts if c < max_len} | {max_len}))


def padded_length(arrays: Mapping[str, np.ndarray], boundaries: Sequence[int]) -> np.ndarray:
  """[N]: the sequence length each row is stepped through (its bucket's, or the padded one)."""
  max_len = arrays[SEQUENCE_KEYS[0]].shape[1]
  if not boundaries:
    return np.full(num_rows(arrays), max_len)
  return np.asarray(boundaries)[np.searchsorted(np.asarray(boundaries), arrays[LENGTHS])]


def _batch(arrays: Mapping[str, np.ndarray], idx: np.ndarray, batch_size: int,
           seq_len: int | None) -> dict[str, np.ndarray]:
  pad = batch_size - len(idx)
  batch = {}
  for key, value in arrays.items():
    part = value[idx]
    if seq_len is not None and key in SEQUENCE_KEYS:
      part = part[:, :seq_len]
    if pad:
      part = np.concatenate([part, np.zeros((pad,) + part.shape[1:], value.dtype)])
    batch[key] = part
  batch[WEIGHT] = np.concatenate([np.ones(len(idx), np.float32), np.zeros(pad, np.float32)])
  return batch


def epoch_order(num_examples: int, data_seed: int, epoch: int) -> np.ndarray:
  """The shuffle of one epoch, a pure function of (seed, epoch) so a resumed run replays it."""
  return np.random.default_rng([data_seed, epoch]).permutation(num_examples)
