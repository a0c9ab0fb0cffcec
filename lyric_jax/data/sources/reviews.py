"""Metal-Archives album reviews (study S2): review text → a float score in [0, 1].

* ``metal_archives``: the study's review table: ``review_content`` is the text and the
  score is parsed from ``review_title`` ("Crushing - 85%" → 0.85).
* ``synthetic_reviews``: generated reviews in the Metal-Archives layout, so the
  experiment and its tests run anywhere.

(The review → score data available here is ``imdb_ratings``, in ``sources.imdb``.) Scores
are stored as floats in the table's label column; ``Preprocessor(target='score')`` passes
them through unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from lyric_jax.data.errors import DataError
from lyric_jax.data.sources.base import GeneratedSource, Source
from lyric_jax.data.table import Table, as_text, at_rows, build_table, read_csv_checked, with_scores

# The study's own pattern, str.extract('(.*) - (\d+)%'): a search, greedy, so the last
# " - N%" in a title is the score.
_TITLE_SCORE = re.compile(r"(.*) - (\d+)%", re.S)
BAD_TITLE_POLICIES = ("error", "drop")


def parse_title_score(title: str) -> float | None:
  """'Review title - 85%' → 0.85; None when the title carries no ' - N%' with 0 ≤ N ≤ 100."""
  match = _TITLE_SCORE.search(str(title))
  if match is None or int(match.group(2)) > 100:
    return None
  return int(match.group(2)) / 100


# --- Metal-Archives reviews (study S2's corpus) -------------------------------------------

def metal_archives_table(frame: pd.DataFrame, *, labeled: bool = True, malformed: int = 0,
                         on_bad_title: str = "error", source: str = "metal_archives") -> Table:
  """Canonical table from a frame with ``review_content`` and (if labelled) ``review_title``.

  A missing/empty title is a missing label (dropped, counted). A title without a
  percentage is a format error: by default it raises, naming the rows; with
  ``on_bad_title='drop'`` such rows are dropped and counted instead.
  """
  if on_bad_title not in BAD_TITLE_POLICIES:
    raise DataError(f"on_bad_title must be one of {BAD_TITLE_POLICIES}, got {on_bad_title!r}")
  # Reviews of one album are kept in one split when the file says which album they review.
  group = next((cols for cols in (["album_id"], ["band_name", "album_name"])
                if all(c in frame for c in cols)), None)
  table = build_table(frame, source=source, text="review_content", label=None, features=[],
                      group=group, labeled=False, malformed=malformed)
  if not labeled:
    return table
  titles = as_text(frame["review_title"]).str.strip()
  # None (no percentage) and empty titles both become NaN here; only the former is an error.
  scores = titles.map(lambda t: parse_title_score(t) if t else None).astype(np.float64)
  bad = scores.isna() & (titles != "")
  if bad.any() and on_bad_title == "error":
    examples = "; ".join(f"row {i} (0-based data row): {titles.loc[i][:80]!r}" for i in bad.index[bad][:5])
    raise DataError(f"{int(bad.sum())} review title(s) have no ' - N%' score: {examples}. "
                    "Fix them, or pass on_bad_title='drop' (--bad_titles=drop) to drop and count them.")
  table = table.drop_rows(at_rows(bad, table), "title without a score percentage")
  return with_scores(table, scores, "missing review title")


def read_metal_archives(path: str | Path, labeled: bool = True, on_bad_title: str = "error") -> Table:
  required = ["review_content"] + (["review_title"] if labeled else [])
  frame, malformed = read_csv_checked(path, required)
  return metal_archives_table(frame, labeled=labeled, malformed=malformed, on_bad_title=on_bad_title)


METAL_ARCHIVES = Source(
    name="metal_archives",
    candidates=("reviews.csv", "reviews.csv.gz", "metal_archives_reviews.csv",
                "metal_archives_reviews.csv.gz"),
    read=read_metal_archives, label_column="review_title", download_key="metal_archives_reviews",
    description="Metal-Archives album reviews: review_content, score from 'title - 85%'")


# --- synthetic reviews ---------------------------------------------------------------------

_GOOD = [f"good{i}" for i in range(20)]
_BAD = [f"bad{i}" for i in range(20)]
_FILLER = [f"riff{i}" for i in range(60)]


def synthetic_reviews_frame(num_examples: int = 400, seed: int = 0, sentiment_rate: float = 0.3) -> pd.DataFrame:
  """Reviews in the Metal-Archives layout whose share of 'good' words tracks the score.

  Scores are whole percentages skewed high, like the study's corpus; text has capitals
  and punctuation so the Keras filters matter.
  """
  rng = np.random.default_rng(seed)
  rows = []
  for i in range(num_examples):
    score = int(np.clip(np.round(rng.beta(4, 2) * 100), 0, 100))
    words = []
    for _ in range(int(rng.integers(12, 60))):
      if rng.random() < sentiment_rate:
        words.append(rng.choice(_GOOD) if rng.random() < score / 100 else rng.choice(_BAD))
      else:
        words.append(rng.choice(_FILLER))
    sentences = [" ".join(words[j:j + 8]).capitalize() + rng.choice([".", "!", "...", ","])
                 for j in range(0, len(words), 8)]
    rows.append({"album_id": i, "review_title": f"Review {i} - {score}%",
                 "review_content": " ".join(sentences)})
  return pd.DataFrame(rows)


def generate_reviews(num_examples: int = 400, seed: int = 0) -> Table:
  return metal_archives_table(synthetic_reviews_frame(num_examples, seed), source="synthetic_reviews")


SYNTHETIC_REVIEWS = GeneratedSource(
    name="synthetic_reviews", candidates=(), read=read_metal_archives, generate=generate_reviews,
    label_column="review_title",
    description="deterministic generated reviews in the Metal-Archives layout (score from title)")
