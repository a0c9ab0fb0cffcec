"""Small files in the public IMDB and SemEval layouts (study S3), written for tests.

Every text mixes sentiment words with filler and carries its own id word five times
(``docN``), so a vocabulary with min frequency 5 holds exactly the id words of the
texts it was trained on: a test can tell which split a vocabulary saw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WORDS = {
    "positive": ["great", "wonderful", "superb", "loved", "gem"],
    "negative": ["awful", "boring", "terrible", "hated", "dull"],
    "neutral": ["today", "monday", "report", "update", "schedule"],
}
FILLER = ["the", "movie", "was", "and", "plot", "a", "it", "film"]


def text(i: int, label: str, rng: np.random.Generator, html: bool = False) -> str:
  words = [rng.choice(WORDS[label]) if rng.random() < 0.4 else rng.choice(FILLER)
           for _ in range(int(rng.integers(6, 14)))]
  body = " ".join(words + [f"doc{i}"] * 5)
  return body.replace(" and ", " and<br /><br />", 1) if html else body


def reviews(n: int = 80, seed: int = 0, labels=("negative", "positive")) -> pd.DataFrame:
  """IMDB CSV layout: review, sentiment, split, review_id, rating (<br /> tags included)."""
  rng = np.random.default_rng(seed)
  rows = []
  for i in range(n):
    label = labels[i % len(labels)]
    rows.append({"review": text(i, label, rng, html=True), "sentiment": label, "split": "train",
                 "review_id": i // 2, "rating": 9 if label == "positive" else 2})
  return pd.DataFrame(rows)


def write_acl_imdb(root: Path, frame: pd.DataFrame, split: str = "train", unsup: int = 2) -> Path:
  """The aclImdb folder layout: <root>/aclImdb/<split>/{pos,neg}/<id>_<rating>.txt (+ unsup/)."""
  base = root / "aclImdb" / split
  for i, row in frame.reset_index(drop=True).iterrows():
    folder = base / ("pos" if row["sentiment"] == "positive" else "neg")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{i}_{row['rating']}.txt").write_text(row["review"], encoding="utf-8")
  (base / "unsup").mkdir(parents=True, exist_ok=True)
  for i in range(unsup):   # unlabelled reviews: never read as training data
    (base / "unsup" / f"{i}_0.txt").write_text("unlabelled words here", encoding="utf-8")
  return root / "aclImdb"


def tweets(n: int = 90, seed: int = 0) -> pd.DataFrame:
  """Seed CSV layout: label, text, split, source_file, tweet_id."""
  rng = np.random.default_rng(seed)
  labels = ("negative", "neutral", "positive")
  return pd.DataFrame([{"label": labels[i % 3], "text": text(i, labels[i % 3], rng), "split": "train",
                        "source_file": "twitter-2016train-A", "tweet_id": 1000 + i} for i in range(n)])


def write_semeval_tsv(path: Path, frame: pd.DataFrame, labeled: bool = True) -> Path:
  """The SemEval layout: id<TAB>label<TAB>text (label UNKNOWN when unlabelled)."""
  lines = [f"{r.tweet_id}\t{r.label if labeled else 'UNKNOWN'}\t{r.text}" for r in frame.itertuples()]
  path.parent.mkdir(parents=True, exist_ok=True)
  path.write_text("\n".join(lines) + "\n", encoding="utf-8")
  return path
