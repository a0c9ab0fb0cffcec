"""SemEval 2013-2016 Task 4A tweets (study S3): ``tweets``, negative/neutral/positive.

Reads the seed CSV in shared/data (``semeval2017_task4a_tweets*.csv.gz``: label, text, split,
...) or the SemEval tab-separated files (``id<TAB>label<TAB>text``), one file or a folder, so
users with the original downloads can point ``--data_dir`` at them. A file that holds both
an official train and test part (the 61k tweet CSV) is cut to the ``splits`` option
(training uses only the official train part); rows of other parts are counted as dropped.
Without the option, everything in the file is read (prediction). Exact duplicate texts
share a group, so a copy never straddles our train/test split.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import pandas as pd

from lyric_jax.data.errors import DataError
from lyric_jax.data.sources.base import Source
from lyric_jax.data.table import (Table, as_text, at_rows, build_table, concat_files, csv_columns,
                                  existing, keep_splits, known_labels, read_csv_checked)


def _is_csv(path: Path) -> bool:
  return path.name.lower().endswith((".csv", ".csv.gz"))


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
  path = existing(path)
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
  return keep_splits(known_labels(table, _TWEET_LABELS), frame.get("split"), splits)


def tweets_have_labels(path: Path) -> bool:
  files = _tweet_files(path) if existing(path).is_dir() else [path]
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


TWEETS = Source(
    name="tweets",
    candidates=("semeval2017_task4a_train_pool", "semeval2017_task4a_tweets.csv.gz",
                "semeval2017_task4a_tweets_train.csv.gz"),
    read=read_tweets, label_column="label", download_key="semeval2017_task4a_train_pool",
    detect_labels=tweets_have_labels, selection_options=("splits",),
    description="SemEval 2013-2016 Task 4A tweets: negative/neutral/positive")
