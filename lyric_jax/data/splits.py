"""Seeded train/val/test splits: stratified by label, grouped so no group straddles splits."""

from __future__ import annotations

import numpy as np

from lyric_jax.data.errors import ConfigError

SPLITS = ("train", "val", "test")


def check_split_fractions(fractions) -> np.ndarray:
  """Train/val/test fractions: three numbers ≥ 0 summing to 1, with room for train and val."""
  values = np.asarray(fractions, float)
  if values.shape != (3,) or (values < 0).any() or not np.isclose(values.sum(), 1.0) or min(values[:2]) == 0:
    raise ConfigError("split fractions must be three numbers ≥ 0 summing to 1, train and val above 0 "
                      f"(e.g. --split=0.8,0.1,0.1), got {values.tolist()}")
  return values


def stratified_group_split(labels: np.ndarray, groups: np.ndarray,
                           fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                           seed: int = 0) -> dict[str, np.ndarray]:
  """Row indices per split.

  Groups (e.g. one track listed under two genres) are assigned whole; each group is
  stratified by the label of its first row, so class proportions match across splits.
  """
  fractions = check_split_fractions(fractions)
  labels, groups = np.asarray(labels), np.asarray(groups)
  unique_groups, first_row, group_of_row = np.unique(groups, return_index=True, return_inverse=True)
  group_labels = labels[first_row]
  rng = np.random.default_rng(seed)
  group_split = np.empty(len(unique_groups), np.int8)
  for label in np.unique(group_labels):
    members = rng.permutation(np.flatnonzero(group_labels == label))
    cuts = np.round(np.cumsum(fractions)[:2] * len(members)).astype(int)
    for split, part in enumerate(np.split(members, cuts)):
      group_split[part] = split
  row_split = group_split[group_of_row]
  return {name: np.flatnonzero(row_split == i) for i, name in enumerate(SPLITS)}


def balanced_group_split(labels: np.ndarray, groups: np.ndarray,
                         fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                         seed: int = 0) -> dict[str, np.ndarray]:
  """Row indices per split, for groups of very different sizes (e.g. all songs of an artist).

  Cutting shuffled groups by number (``stratified_group_split``) would give splits of the
  wrong size and class mix when one group holds a hundred rows. Here the groups go, largest
  first (equal sizes in seeded random order), each to the split where its rows bring the
  class counts closest to ``fractions`` of each class (the least increase of
  sum((count - target)^2 / target)).
  """
  fractions = check_split_fractions(fractions)
  classes, label_of_row = np.unique(np.asarray(labels), return_inverse=True)
  _, group_of_row = np.unique(np.asarray(groups), return_inverse=True)
  label_of_row, group_of_row = label_of_row.reshape(-1), group_of_row.reshape(-1)
  counts = np.zeros((group_of_row.max() + 1 if len(group_of_row) else 0, len(classes)))
  np.add.at(counts, (group_of_row, label_of_row), 1)
  target = fractions[:, None] * counts.sum(0)[None]
  weight = 1 / np.maximum(target, 1e-9)
  order = np.random.default_rng(seed).permutation(len(counts))
  order = order[np.argsort(-counts[order].sum(1), kind="stable")]
  have, group_split = np.zeros_like(target), np.empty(len(counts), np.int8)
  for g in order:
    worse = (((have + counts[g] - target) ** 2 - (have - target) ** 2) * weight).sum(1)
    split = int(np.argmin(np.where(fractions > 0, worse, np.inf)))
    have[split] += counts[g]
    group_split[g] = split
  row_split = group_split[group_of_row]
  return {name: np.flatnonzero(row_split == i) for i, name in enumerate(SPLITS)}

