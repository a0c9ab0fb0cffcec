"""IMDB movie reviews (Maas et al. 2011, aclImdb v1): ``imdb`` (binary sentiment, study S3)
and ``imdb_ratings`` (score = star rating / 10, the review → score data available for S2).

Both read the seed CSV in shared/data (review, sentiment, split, review_id, rating) or the
unpacked ``aclImdb`` folder (``{train,test}/{pos,neg}/<id>_<rating>.txt``), and both strip
the site's ``<br />`` line breaks by the one rule ``strip_html_breaks``, which is also their
``clean`` (``predict --text``).

``imdb`` cuts files holding both an official train and test part (aclImdb, the 50k CSV) to
the ``splits`` option (training uses only the official train part, so the official test
stays unseen); rows of other parts are counted as dropped. Without the option, everything
in the file is read (prediction). Exact duplicate texts share a group, so a copy never
straddles our train/test split.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from lyric_jax.data.errors import DataError
from lyric_jax.data.sources.base import Source
from lyric_jax.data.table import (Table, at_rows, build_table, csv_columns, existing, keep_splits,
                                  known_labels, read_csv_checked, with_scores)

_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def strip_html_breaks(text: pd.Series) -> pd.Series:
  """IMDB reviews keep the site's ``<br />`` line breaks; they are markup, not words."""
  return text.str.replace(_HTML_BREAK, " ", regex=True)


# --- the aclImdb folder layout ------------------------------------------------------------

_IMDB_FOLDERS = {"neg": "negative", "pos": "positive"}
_IMDB_FILE = re.compile(r"^(\d+)_(\d+)\.txt$")


def _acl_imdb_root(path: Path) -> Path:
  """The folder itself, or its ``aclImdb`` child (where the archive unpacks)."""
  return path / "aclImdb" if (path / "aclImdb").is_dir() else path


def _acl_imdb_folders(path: Path) -> list[tuple[Path, str, str | None]]:
  """(folder of .txt files, official split, label or None) in the aclImdb layout.

  Accepts the root (train/ and test/), one split folder (pos/ and neg/), or any
  folder of .txt reviews (unlabelled). ``unsup/`` is never read: it has no labels.
  """
  root = _acl_imdb_root(path)
  split_dirs = [root / s for s in ("test", "train") if (root / s).is_dir()]
  if not split_dirs and any((root / f).is_dir() for f in _IMDB_FOLDERS):
    split_dirs = [root]
  folders = [(d / f, d.name, label) for d in split_dirs for f, label in _IMDB_FOLDERS.items()
             if (d / f).is_dir()]
  return folders or [(root, root.name, None)]


def read_acl_imdb(path: Path) -> pd.DataFrame:
  """The reviews of an aclImdb folder: review, sentiment, split, review_id, rating (None when
  the file name carries none), in the CSV's order (split, label, id)."""
  rows = []
  for folder, split, label in _acl_imdb_folders(path):
    for file in sorted(folder.glob("*.txt"), key=_review_key):
      match = _IMDB_FILE.match(file.name)
      try:
        text = file.read_text(encoding="utf-8")
      except UnicodeDecodeError as e:
        raise DataError(f"{file} is not UTF-8 text ({e.reason} at byte {e.start}).") from None
      rows.append({"review": text, "sentiment": label, "split": split,
                   "review_id": int(match.group(1)) if match else file.stem,
                   "rating": int(match.group(2)) if match else None})
  if not rows:
    raise DataError(f"{path} holds no review .txt files (expected the aclImdb layout "
                    "{train,test}/{pos,neg}/<id>_<rating>.txt)")
  return pd.DataFrame(rows)


def _review_key(file: Path) -> tuple:
  """By id (the name breaks ties, so the order never depends on the file system); names without an id last."""
  match = _IMDB_FILE.match(file.name)
  return match is None, int(match.group(1)) if match else 0, file.name


def _read_reviews(path: Path, required: list[str]) -> tuple[pd.DataFrame, int]:
  """A CSV or an aclImdb folder → its frame with ``<br />`` stripped, malformed row count."""
  if path.is_dir():
    frame, malformed = read_acl_imdb(path), 0
  else:
    frame, malformed = read_csv_checked(path, required)
  return frame.assign(review=strip_html_breaks(frame["review"].astype("string"))), malformed


# --- imdb: binary sentiment ------------------------------------------------------------------

def read_imdb(path: str | Path, labeled: bool = True, splits: Sequence[str] | None = None) -> Table:
  """IMDB reviews (CSV or aclImdb folder) → text, label 'negative'/'positive'."""
  path = existing(path)
  frame, malformed = _read_reviews(path, ["review"] + (["sentiment"] if labeled else []))
  if path.is_dir() and labeled and frame["sentiment"].isna().all():
    raise DataError(f"{path} has no pos/ or neg/ folders, so its reviews have no labels")
  table = build_table(frame, source="imdb", text="review", label="sentiment", features=[],
                      group=["review"], labeled=labeled, malformed=malformed)
  return keep_splits(known_labels(table, set(_IMDB_FOLDERS.values())), frame.get("split"), splits)


def imdb_has_labels(path: Path) -> bool:
  if existing(path).is_dir():
    return any(label is not None for _, _, label in _acl_imdb_folders(path))
  return "sentiment" in csv_columns(path)


IMDB = Source(
    name="imdb",
    candidates=("aclImdb", "imdb_reviews_50k.csv.gz", "imdb_reviews_train25k.csv.gz"),
    read=read_imdb, label_column="sentiment", download_key="aclImdb_v1.tar.gz",
    detect_labels=imdb_has_labels, selection_options=("splits",), text_transform=strip_html_breaks,
    description="Large Movie Review Dataset (Maas et al. 2011): reviews, positive/negative")


# --- imdb_ratings: star rating → score -------------------------------------------------------

def read_imdb_ratings(path: str | Path, labeled: bool = True) -> Table:
  """``review`` text and score = ``rating``/10 from the CSV layout, or the aclImdb folder layout.

  The folder layout is read as ``imdb`` reads it; a review whose file name carries no rating
  is dropped and counted.
  """
  frame, malformed = _read_reviews(Path(path), ["review"] + (["rating"] if labeled else []))
  table = build_table(frame, source="imdb_ratings", text="review", label=None, features=[],
                      labeled=False, malformed=malformed)
  if not labeled:
    return table
  rating = pd.to_numeric(frame["rating"], errors="coerce")
  table = table.drop_rows(at_rows((rating < 1) | (rating > 10), table), "rating outside 1-10")
  return with_scores(table, rating / 10.0, "missing rating")


IMDB_RATINGS = Source(
    name="imdb_ratings",
    candidates=("imdb_reviews_50k.csv.gz", "aclImdb", "imdb_reviews_train25k.csv.gz"),
    read=read_imdb_ratings, label_column="rating", download_key="aclImdb_v1.tar.gz",
    text_transform=strip_html_breaks,
    description="IMDB reviews (Maas et al. 2011), score = star rating / 10 (1-4 and 7-10)")
