"""Split groups: which rows must share a split for a test score to measure generalisation.

``RunSpec.grouping`` picks one of ``GROUPINGS``:

* ``artist`` (the default): rows share a group when they share the reader's group
  (a track listed under several tags, a Spotify song_id), the same normalised artist
  (``artist_key``: "Bob Marley & The Wailers" = "Bob Marley", "Ke$ha" = "Kesha") or the
  same normalised text (``text_key``: a lyric or review copied under another name).
  The keys are merged transitively (union-find), so no artist and no text sits in two
  splits. Sources without artists merge by text only; sources without text by the
  reader's group only.
* ``track``: the reader's group column alone (what runs before spec version 2 used:
  for lyrics, the exact artist + track string).
* ``none``: every row its own group, a plain row split, to measure what grouping is worth.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import unicodedata

import numpy as np
import pandas as pd

from lyric_jax.data.errors import DataError
from lyric_jax.data.table import ARTIST, GROUP, TEXT, Table

GROUPINGS = ("artist", "track", "none")
# Keys in the order they are merged; each one's count is the groups it merged away.
KEYS = ("track", "artist", "text")

# A credit after a name: "X feat. Y", "X (ft. Y)"; "Little Feat" and "FT Island" stay.
_FEATURING = re.compile(r"(?<=\S)\s*[(\[]?\s*\b(?:feat\.?|ft\.|featuring)\s+\S.*$")
_AND_THE = re.compile(r"\s+and\s+the\s+\S.*$")       # after & and + became "and"
_LEADING_THE = re.compile(r"^the\s+(?=\S)")


def artist_key(name: str) -> str:
  """A performer's name folded so that spellings of one artist meet ('' = no artist).

  Lower case without accents; ``$`` → s; a "feat./ft./featuring …" credit dropped; ``&``
  and ``+`` read as "and"; an "and the …" backing band and a leading "the" dropped; then
  everything but letters and digits (spaces included) removed. "Bob Marley & The
  Wailers", "bob marley" and "Bob Marley feat. Lauryn Hill" all give "bobmarley".
  """
  name = unicodedata.normalize("NFKD", str(name).lower())
  name = "".join(c for c in name if not unicodedata.combining(c)).replace("$", "s")
  name = _FEATURING.sub("", name.strip())
  name = re.sub(r"\s*[&+]\s*", " and ", name)
  name = _LEADING_THE.sub("", _AND_THE.sub("", name.strip()))
  return re.sub(r"[\W_]+", "", name)


def first_listed(names: pd.Series) -> pd.Series:
  """The first artist of list-valued cells ("['DNCE', 'Nicki Minaj']" → 'DNCE'), others as given."""
  def first(cell: str) -> str:
    if cell.startswith("[") and cell.endswith("]"):
      try:
        listed = ast.literal_eval(cell)
      except (ValueError, SyntaxError):
        return cell
      return str(listed[0]) if isinstance(listed, list) and listed else cell
    return cell
  return names.map(first)


def text_key(text: str) -> str:
  """A text with case, punctuation and spacing removed: copies that differ only there meet."""
  return re.sub(r"[\W_]+", "", str(text).lower())


@dataclasses.dataclass(frozen=True)
class SplitGroups:
  """A group id per row of a table, and how many groups each key merged."""
  ids: np.ndarray
  grouping: str
  merged: dict[str, int]     # KEYS used → groups that key merged away (in KEYS order)

  @property
  def num_groups(self) -> int:
    return int(len(np.unique(self.ids)))

  def largest(self) -> int:
    return int(np.bincount(self.ids).max()) if len(self.ids) else 0

  def describe(self) -> str:
    return describe_groups(self.to_json())

  def to_json(self) -> dict:
    return {"grouping": self.grouping, "rows": int(len(self.ids)), "groups": self.num_groups,
            "merged": dict(self.merged), "largest_group": self.largest()}


_KEY_NAMES = {"track": "track key", "artist": "artist key", "text": "text hash"}


def describe_groups(summary: dict) -> str:
  """One line from ``SplitGroups.to_json()`` (printed by a run, and in its RESULTS.md)."""
  merged = ", ".join(f"{_KEY_NAMES[k]} merged {n:,}" for k, n in summary["merged"].items())
  return (f"split groups ({summary['grouping']}): {summary['rows']:,} rows → {summary['groups']:,} groups"
          + (f" ({merged}; largest group {summary['largest_group']:,} rows)" if merged else ""))


def split_groups(table: Table, grouping: str) -> SplitGroups:
  """The rows' split groups under ``grouping`` (see the module docstring)."""
  if grouping not in GROUPINGS:
    raise DataError(f"grouping must be one of {GROUPINGS}, got {grouping!r}")
  frame = table.frame
  if grouping == "none":
    return SplitGroups(np.arange(len(table)), grouping, {})
  # Numbered in the sorted order of the group strings, so "track" splits exactly as
  # runs before this module did (they passed the strings themselves).
  track = np.unique(frame[GROUP].to_numpy(str), return_inverse=True)[1].reshape(-1)
  merged = {"track": len(table) - int(len(np.unique(track)))}
  if grouping == "track":
    return SplitGroups(track, grouping, merged)
  keys = {"artist": frame[ARTIST].map(artist_key) if ARTIST in frame else None,
          "text": frame[TEXT].map(text_key) if TEXT in frame else None}
  # merge_by wants ids that are row numbers: each track's first row.
  ids = np.unique(track, return_index=True)[1][track]
  groups = len(table) - merged["track"]
  for name, values in keys.items():
    if values is not None:
      ids = merge_by(ids, values.to_numpy())
      merged[name], groups = groups - len(np.unique(ids)), len(np.unique(ids))
  return SplitGroups(np.unique(ids, return_inverse=True)[1].reshape(-1), grouping, merged)


def merge_by(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
  """Group ids where rows sharing a value (other than '') also share a group (union-find).

  Each pass gives every row the smallest id among the rows that share its value or its
  current group; it stops when nothing changes (a few passes: chains of keys are short).
  """
  codes = pd.factorize(pd.Series(values, dtype=object).where(lambda v: v != "", None))[0]
  keyed = codes >= 0
  ids = ids.copy()
  while True:
    smallest = np.full(codes.max() + 1 if keyed.any() else 0, len(ids))
    np.minimum.at(smallest, codes[keyed], ids[keyed])
    new = ids.copy()
    new[keyed] = smallest[codes[keyed]]
    group_smallest = np.full(len(ids), len(ids))   # ids are row numbers: one slot each
    np.minimum.at(group_smallest, ids, new)
    new = np.minimum(new, group_smallest[ids])
    new = new[new]                                  # ids point at rows: follow them (path halving)
    if np.array_equal(new, ids):
      return ids
    ids = new
