"""Study S3's sources: IMDB movie reviews (binary) and SemEval 2013-2016 tweets (3-class).

Each reads the seed CSV in shared/data and the original public layout, so users
with the full downloads can point ``--data_dir`` at them:

* ``imdb``: ``imdb_reviews_*.csv.gz`` (review, sentiment, split, review_id, rating) or
  the unpacked ``aclImdb`` folder (``{train,test}/{pos,neg}/<id>_<rating>.txt``).
* ``tweets``: ``semeval2017_task4a_tweets*.csv.gz`` (label, text, split, ...) or the
  SemEval tab-separated files (``id<TAB>label<TAB>text``), one file or a folder.

Files that hold both an official train and test part (aclImdb, the 50k CSV, the
61k tweet CSV) are cut to the ``splits`` option (training uses only the official
train part, so the official test stays unseen); rows of other parts are counted
as dropped. Without the option, everything in the file is read (prediction).
Exact duplicate texts share a group, so a copy never straddles our train/test split.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from lyric_jax.data.errors import DataError
from lyric_jax.data.sources import Source, register
from lyric_jax.data.table import (LABEL, Table, as_text, at_rows, build_table, concat_files, csv_columns,
                                  read_csv_checked)

_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def strip_html_breaks(text: str) -> str:
  """IMDB reviews keep the site's ``<br />`` line breaks; they are markup, not words."""
  return _HTML_BREAK.sub(" ", text)


def _is_csv(path: Path) -> bool:
  return path.name.lower().endswith((".csv", ".csv.gz"))


def _existing(path: Path) -> Path:
  if not path.exists():
    raise DataError(f"Data file not found: {path.resolve()}")
  return path


def _keep_splits(table: Table, row_split: pd.Series | None, splits: Sequence[str] | None) -> Table:
  """Drops (and counts) rows whose official split is not in ``splits``."""
  if not splits or row_split is None:
    return table
  wanted = {s.lower() for s in splits}
  return table.drop_rows(~at_rows(as_text(row_split).str.lower().isin(wanted), table), "split not selected")


def _known_labels(table: Table, known: set[str]) -> Table:
  """Drops (and counts) rows labelled with something other than the task's classes."""
  if not table.labeled:
    return table
  return table.drop_rows(~table.frame[LABEL].isin(known), f"label not one of {sorted(known)}")


# --- IMDB (Maas et al. 2011, aclImdb v1) ----------------------------------------------------

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


def read_imdb(path: str | Path, labeled: bool = True, splits: Sequence[str] | None = None) -> Table:
  """IMDB reviews (CSV or aclImdb folder) → text, label 'negative'/'positive'."""
  path = _existing(Path(path))
  if path.is_dir():
    frame, malformed = read_acl_imdb(path), 0
    if labeled and frame["sentiment"].isna().all():
      raise DataError(f"{path} has no pos/ or neg/ folders, so its reviews have no labels")
  else:
    frame, malformed = read_csv_checked(path, ["review"] + (["sentiment"] if labeled else []))
  frame["review"] = frame["review"].astype("string").str.replace(_HTML_BREAK, " ", regex=True)
  table = build_table(frame, source="imdb", text="review", label="sentiment", features=[],
                      group=["review"], labeled=labeled, malformed=malformed)
  return _keep_splits(_known_labels(table, set(_IMDB_FOLDERS.values())), frame.get("split"), splits)


def imdb_has_labels(path: Path) -> bool:
  if _existing(path).is_dir():
    return any(label is not None for _, _, label in _acl_imdb_folders(path))
  return "sentiment" in csv_columns(path)


register(Source(
    name="imdb",
    candidates=("aclImdb", "imdb_reviews_50k.csv.gz", "imdb_reviews_train25k.csv.gz"),
    read=read_imdb, label_column="sentiment", download_key="aclImdb_v1.tar.gz",
    detect_labels=imdb_has_labels, selection_options=("splits",), text_transform=lambda texts: texts.map(strip_html_breaks),
    description="Large Movie Review Dataset (Maas et al. 2011): reviews, positive/negative"))


# --- SemEval 2013-2016 Task 4A tweets -------------------------------------------------------

# Early SemEval files call neutral tweets 'objective'; task 4A scores them as neutral.
_TWEET_LABEL_ALIASES = {"objective": "neutral", "objective-or-neutral": "neutral"}
_TWEET_LABELS = {"negative", "neutral", "positive"}
_NO_LABEL = {"", "unknown", "nan"}   # the official unlabelled test file says UNKNOWN
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# The order SOURCES.md deduplicates tweet ids in (first occurrence wins).
_POOL_ORDER = ("2013train", "2013dev", "2013test", "2014sarcasm", "2014test", "2015train", "2015test",
               "2016train", "2016dev", "2016devtest", "2016test")


def _decode_escapes(text: str) -> str:
  """The 2013 files carry literal ``\\u2019`` escapes (and UTF-16 surrogate pairs for emoji)."""
  if "\\u" not in text:
    return text
  text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
  return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _read_semeval_tsv(path: Path) -> tuple[pd.DataFrame, int]:
  """``id<TAB>label<TAB>text`` lines (``id<TAB>text`` when unlabelled) → frame, malformed count.

  Rows are the non-blank lines, numbered in the frame's index; a line without a tab is
  malformed (skipped, counted).
  """
  try:
    # Lines end at \n (read_text turns \r\n and \r into it); str.splitlines would also cut
    # a tweet at \x0b, \x1c-\x1e, \x85 or \u2028.
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
  except UnicodeDecodeError as e:
    raise DataError(f"{path} is not UTF-8 text ({e.reason} at byte {e.start}).") from None
  rows = {}
  for i, line in enumerate(lines):
    fields = line.split("\t")
    if len(fields) >= 3:
      rows[i] = (fields[0], fields[1], "\t".join(fields[2:]))
    elif len(fields) == 2:
      rows[i] = (fields[0], None, fields[1])
  frame = pd.DataFrame(list(rows.values()), index=list(rows), columns=["tweet_id", "label", "text"])
  frame["text"] = frame["text"].map(_decode_escapes)
  frame["split"] = "test" if "test" in path.name.lower() and "2017" in path.name else "train"
  return frame, len(lines) - len(rows)


def _pool_rank(file: Path) -> tuple[int, str]:
  for i, name in enumerate(_POOL_ORDER):
    if f"twitter-{name}-" in file.name:
      return i, file.name
  return len(_POOL_ORDER), file.name


def _tweet_files(path: Path) -> list[Path]:
  files = sorted((f for f in path.iterdir() if f.suffix in (".tsv", ".txt") or _is_csv(f)), key=_pool_rank)
  if not files:
    raise DataError(f"{path} holds no .tsv/.txt/.csv tweet files")
  return files


def _read_tweet_file(path: Path, labeled: bool) -> tuple[pd.DataFrame, int]:
  if _is_csv(path):
    return read_csv_checked(path, ["text"] + (["label"] if labeled else []))
  return _read_semeval_tsv(path)


def read_tweets(path: str | Path, labeled: bool = True, splits: Sequence[str] | None = None) -> Table:
  """SemEval tweets (CSV, one TSV, or a folder of them) → text, label negative/neutral/positive.

  A tweet id seen again is dropped (first file in SemEval order wins), as when the
  seed CSV was built; labels are lower-cased and 'objective' counts as neutral.
  """
  path = _existing(Path(path))
  frame, malformed = concat_files([_read_tweet_file(f, labeled)
                                   for f in (_tweet_files(path) if path.is_dir() else [path])])
  if "label" in frame:
    label = frame["label"].astype("string").str.strip().str.lower()
    label = label.replace(_TWEET_LABEL_ALIASES)
    frame["label"] = label.where(~label.isin(_NO_LABEL) & label.notna(), None)
  elif labeled:
    raise DataError(f"{path} has no labels")
  table = build_table(frame, source="tweets", text="text", label="label", features=[],
                      group=["text"], labeled=labeled, malformed=malformed)
  if "tweet_id" in frame:
    ids = pd.Series(at_rows(as_text(frame["tweet_id"]).str.strip(), table))
    # A tweet without an id is no copy of another.
    table = table.drop_rows((ids.duplicated() & (ids != "")).to_numpy(), "duplicate tweet id")
  return _keep_splits(_known_labels(table, _TWEET_LABELS), frame.get("split"), splits)


def tweets_have_labels(path: Path) -> bool:
  files = _tweet_files(path) if _existing(path).is_dir() else [path]
  for file in files:
    if _is_csv(file):
      if "label" in csv_columns(file):
        return True
      continue
    frame, _ = _read_semeval_tsv(file)
    if frame["label"].astype("string").str.strip().str.lower().isin(
        _TWEET_LABELS | set(_TWEET_LABEL_ALIASES)).any():
      return True
  return False


register(Source(
    name="tweets",
    candidates=("semeval2017_task4a_train_pool", "semeval2017_task4a_tweets.csv.gz",
                "semeval2017_task4a_tweets_train.csv.gz"),
    read=read_tweets, label_column="label", download_key="semeval2017_task4a_train_pool",
    detect_labels=tweets_have_labels, selection_options=("splits",),
    description="SemEval 2013-2016 Task 4A tweets: negative/neutral/positive"))
