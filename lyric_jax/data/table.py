"""The canonical table every source returns, the checked CSV reader and the row rules they share."""

from __future__ import annotations

import dataclasses
import re
import warnings
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from lyric_jax.data.errors import DataError

TEXT, LABEL, GROUP, ROW = "text", "label", "group", "row"
ARTIST = "artist"   # optional: the performer, for artist-grouped splits (data/grouping.py)
MAX_CLASSES_REPORTED = 20   # report() lists per-class counts only for tasks with this few classes


@dataclasses.dataclass
class Table:
  """Rows of (text, label, group, features) plus an account of every dropped row.

  ``frame`` has a ``row`` column (the 0-based data row of the source file, see
  ``read_csv_checked``; over a folder, the files' rows numbered on), a ``text`` column,
  a ``label`` column when labelled, a ``group``
  column (rows sharing a group never straddle splits), an ``artist`` column where the
  source names performers, and one float32 column per
  name in ``feature_names``. ``drops`` maps a reason to the number of rows it
  removed, so no row disappears without being reported; ``notes`` counts kept rows
  a rule changed (e.g. a label resolved from several tags); ``class_counts`` maps each
  rule that dropped labelled rows (class labels, not scores) to the rows per class left
  after it, in the order the rules ran.
  """
  frame: pd.DataFrame
  feature_names: tuple[str, ...] = ()
  drops: dict[str, int] = dataclasses.field(default_factory=dict)
  source: str = ""
  notes: dict[str, int] = dataclasses.field(default_factory=dict)
  class_counts: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)

  @property
  def labeled(self) -> bool:
    return LABEL in self.frame

  def __len__(self) -> int:
    return len(self.frame)

  def drop_rows(self, mask: np.ndarray | pd.Series, reason: str) -> "Table":
    """Removes rows where ``mask`` is true, counting them under ``reason``."""
    mask = np.asarray(mask, bool)
    count = int(mask.sum())
    drops, class_counts = dict(self.drops), dict(self.class_counts)
    frame = self.frame.loc[~mask].reset_index(drop=True)
    if count:
      drops[reason] = drops.get(reason, 0) + count
      if LABEL in frame and not pd.api.types.is_float_dtype(frame[LABEL]):
        class_counts.pop(reason, None)   # a rule run again: its entry moves to the end
        class_counts[reason] = {str(k): int(v) for k, v in sorted(frame[LABEL].value_counts().items())}
    return dataclasses.replace(self, frame=frame, drops=drops, class_counts=class_counts)

  def report(self) -> str:
    lines = [f"{self.source}: {len(self)} rows kept"]
    lines += [f"  dropped {n} rows: {reason}" for reason, n in self.drops.items()]
    lines += [f"  kept {n} rows: {note}" for note, n in self.notes.items()]
    if self.class_counts and max(map(len, self.class_counts.values())) <= MAX_CLASSES_REPORTED:
      lines.append("  rows per class after each rule:")
      lines += [f"    {reason}: " + ", ".join(f"{k} {v}" for k, v in counts.items())
                for reason, counts in self.class_counts.items()]
    return "\n".join(lines)


def raw_table(frame: pd.DataFrame, source: str, malformed: int = 0) -> Table:
  """A Table over a file's own columns (plus ``row``), for rules that run before ``build_table``."""
  frame = frame.assign(**{ROW: frame.index.to_numpy()}).reset_index(drop=True)
  return Table(frame, (), {"malformed CSV row": malformed} if malformed else {}, source)


def existing(path: str | Path) -> Path:
  """``path`` as a Path, or the error a reader gives for a missing file or folder."""
  path = Path(path)
  if not path.exists():
    raise DataError(f"Data file not found: {path.resolve()}")
  return path


def read_csv_checked(path: str | Path, required: list[str], **kwargs) -> tuple[pd.DataFrame, int]:
  """Reads a CSV (gzip or not), returning the frame and the number of malformed rows skipped.

  Missing files, non-UTF-8 bytes, corrupt gzip and missing columns raise DataError naming
  the file. The frame's index is each row's 0-based data row in the file, so rows after
  a skipped one keep their numbers (what predictions report as ``row``); every record
  counts, a blank line (an empty row) and a quoted line break (still one row) included.
  """
  path = existing(path)
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", pd.errors.ParserWarning)
    try:
      # index_col=False: pandas would otherwise take a first data row with one field more
      # than the header as a row-name column and shift every other row's fields.
      frame = pd.read_csv(path, on_bad_lines="warn", index_col=False, skip_blank_lines=False, **kwargs)
    except UnicodeDecodeError as e:
      raise DataError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start}); re-encode it as UTF-8.") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, EOFError, OSError, zlib.error) as e:
      raise DataError(f"Could not parse {path} as CSV: {e}") from None
  messages = [str(w.message) for w in caught]
  if any(m.startswith("Length of header or names does not match") for m in messages):
    # pandas then cut every row as long as the first one to the header's width: fields lost.
    raise DataError(f"{path}: the first data row has more fields than the header's {len(frame.columns)} "
                    "column names, so its fields (and those of rows like it) cannot be matched to columns. "
                    "Fix that row, or name every column in the header (e.g. a leading row-name column).")
  # pandas numbers records from 1, the header being record 1.
  skipped = [int(n) - 2 for m in messages for n in re.findall(r"Skipping line (\d+)", m)]
  frame.index = np.setdiff1d(np.arange(len(frame) + len(skipped)), skipped)
  missing = [c for c in required if c not in frame.columns]
  if missing:
    raise DataError(f"{path.name} lacks required column(s) {missing}; it has {list(frame.columns)}")
  return frame, len(skipped)


def concat_files(parts: list[tuple[pd.DataFrame, int]]) -> tuple[pd.DataFrame, int]:
  """Several files' ``read_csv_checked`` results as one: rows numbered on from file to file."""
  frames, offset = [], 0
  for frame, malformed in parts:
    frames.append(frame.set_axis(frame.index + offset))
    offset += len(frame) + malformed
  return pd.concat(frames), sum(m for _, m in parts)


def at_rows(values: pd.Series, table: Table) -> np.ndarray:
  """``values`` of a reader's frame (indexed by data row) at the rows ``table`` kept."""
  return values.loc[table.frame[ROW].to_numpy()].to_numpy()


def with_scores(table: Table, scores: pd.Series, missing_reason: str) -> Table:
  """Adds float scores (over the reader's frame, by data row) as the label column; rows
  without one are dropped, counted."""
  table = dataclasses.replace(table, frame=table.frame.assign(**{LABEL: at_rows(scores, table).astype(np.float64)}))
  return table.drop_rows(~np.isfinite(table.frame[LABEL].to_numpy()), missing_reason)


def keep_splits(table: Table, row_split: pd.Series | None, splits: Sequence[str] | None) -> Table:
  """Drops (and counts) rows whose official split (``row_split``, over the reader's frame) is
  not in ``splits``; no ``splits`` (prediction) or no split column keeps every row."""
  if not splits or row_split is None:
    return table
  wanted = {s.lower() for s in splits}
  return table.drop_rows(~at_rows(as_text(row_split).str.lower().isin(wanted), table), "split not selected")


def known_labels(table: Table, known: set[str]) -> Table:
  """Drops (and counts) rows labelled with something other than the task's classes."""
  if not table.labeled:
    return table
  return table.drop_rows(~table.frame[LABEL].isin(known), f"label not one of {sorted(known)}")


def csv_columns(path: str | Path) -> list[str]:
  """A CSV's column names (its header), with read_csv_checked's errors."""
  return list(read_csv_checked(path, [], nrows=0)[0].columns)


def build_table(frame: pd.DataFrame, *, source: str, text: str | None, label: str | None,
                features: list[str], group: list[str] | None = None, labeled: bool = True,
                malformed: int = 0, prior: Table | None = None, artist: str | None = None) -> Table:
  """Maps a source's columns to the canonical ones and drops (counting) unusable rows.

  Rows with empty text, a missing label or a NaN/non-numeric feature are dropped and
  counted; ``labeled=False`` (prediction on unlabelled files) keeps no label column.
  ``prior`` is the ``raw_table`` that ``frame`` came from: its row numbers, drops,
  notes and class counts carry over. ``artist`` names the performer column, if any.
  """
  # 0-based data row in the file: readers keep read_csv_checked's index when they pre-filter
  # a frame, and a raw_table (``prior``) carries its own row column through drop_rows.
  rows = frame[ROW].to_numpy() if prior is not None else frame.index.to_numpy()
  out = pd.DataFrame({ROW: rows}, index=frame.index)
  if text is not None:
    out[TEXT] = as_text(frame[text])
  if labeled and label is not None:
    out[LABEL] = frame[label].astype("string").str.strip()
  for name in features:
    out[name] = pd.to_numeric(frame[name].map(_bool_to_number), errors="coerce").astype(np.float32)
  if group:
    out[GROUP] = as_text(frame[group[0]]).str.cat([as_text(frame[c]) for c in group[1:]], sep="|")
  else:
    out[GROUP] = np.arange(len(frame)).astype(str)
  if artist is not None:
    out[ARTIST] = as_text(frame[artist])
  # ``prior is not None``, not ``prior``: a Table with no rows left is falsy (__len__).
  table = Table(out.reset_index(drop=True), tuple(features), dict(prior.drops) if prior is not None else {},
                source, dict(prior.notes) if prior is not None else {},
                dict(prior.class_counts) if prior is not None else {})
  if malformed:
    table.drops["malformed CSV row"] = malformed
  if text is not None:
    table = table.drop_rows(table.frame[TEXT].str.strip() == "", "empty text")
  if LABEL in table.frame:
    table = table.drop_rows(table.frame[LABEL].isna() | (table.frame[LABEL] == ""), "missing label")
  if features:
    table = table.drop_rows(~np.isfinite(table.frame[list(features)].to_numpy()).all(axis=1),
                            "NaN or non-numeric feature")
  return table


def as_text(values: pd.Series) -> pd.Series:
  """Python strings, '' where a value is missing (pandas 3's astype(str) keeps NaN)."""
  return values.astype("string").fillna("").astype(str)


def _bool_to_number(value):
  """CSV booleans ('True', 'FALSE') become 1/0 so they can be features."""
  if isinstance(value, str) and value.strip().lower() in ("true", "false"):
    return float(value.strip().lower() == "true")
  return value


def select_labels(table: Table, wanted: list[str] | None, require_all: bool = True) -> Table:
  """Keeps only rows whose label is in ``wanted`` (case-insensitive), each class under its
  most common spelling in the data: 'Jazz' and 'jazz' rows are one class, not two.

  Rows of other labels are counted under 'label not selected' rather than lost silently.
  ``require_all``: a wanted label that no row has raises (a typo in --labels); predict
  passes False, since a file to predict may lack some of a run's labels.
  """
  if not wanted:
    return table
  keys = {w.lower() for w in wanted}
  if len(keys) < len(wanted):
    raise DataError(f"--labels names a label twice (case-insensitively): {list(wanted)}")
  lower = as_text(table.frame[LABEL]).str.lower()
  present = set(lower)
  unknown = [w for w in wanted if w.lower() not in present]
  if require_all and unknown:
    raise DataError(f"Unknown label(s) {unknown} for {table.source}; "
                    f"available: {sorted(table.frame[LABEL].unique())}")
  kept = table.drop_rows(~lower.isin(keys), "label not selected")
  labels = as_text(kept.frame[LABEL])
  counts = labels.value_counts()   # most common first; ties go to the first in the data
  spelling = {}
  for name in counts.index:
    spelling.setdefault(name.lower(), name)
  canonical = labels.str.lower().map(spelling)
  respelt = int((canonical != labels).sum())
  frame = kept.frame.assign(**{LABEL: canonical.to_numpy()})
  notes = {**kept.notes, "label respelt to its most common spelling": respelt} if respelt else kept.notes
  return dataclasses.replace(kept, frame=frame, notes=notes)
