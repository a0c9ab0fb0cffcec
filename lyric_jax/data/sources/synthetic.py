"""A deterministic synthetic lyrics source, so every experiment runs anywhere in a minute.

Each genre owns a slice of the vocabulary and a mean of the engineered features;
songs mix genre words with shared filler words over several lines, so the task is
learnable but not trivial for text-only, feature-only or combined models.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lyric_jax.data.errors import require
from lyric_jax.data.sources.base import GeneratedSource
from lyric_jax.data.table import Table, build_table, read_csv_checked

GENRES = ("rock", "pop", "jazz", "rap", "country", "metal", "reggae", "blues")
NUM_FEATURES = 8
FEATURES = [f"feature_{i}" for i in range(NUM_FEATURES)]
_SHARED_WORDS = [f"la{i}" for i in range(60)]


def synthetic_frame(num_examples: int = 600, num_classes: int = 4, seed: int = 0,
                    genre_word_rate: float = 0.3) -> pd.DataFrame:
  """Songs as a DataFrame with columns text, genre, feature_0..7 (same seed, same rows)."""
  require(2 <= num_classes <= len(GENRES), f"num_classes must be in [2, {len(GENRES)}], got {num_classes}")
  require(num_examples >= 1, f"num_examples must be at least 1, got {num_examples}")
  genre_words = {g: [f"{g}{i}" for i in range(25)] for g in GENRES[:num_classes]}
  # The genres' feature profiles are fixed; ``seed`` only draws songs from them, so a
  # model trained on one seed's songs can be evaluated on another's.
  feature_means = np.random.default_rng(1234).normal(0, 1, (len(GENRES), NUM_FEATURES))[:num_classes]
  rng = np.random.default_rng(seed)
  rows = []
  for _ in range(num_examples):
    label = int(rng.integers(num_classes))
    genre = GENRES[label]
    lines = []
    for _ in range(int(rng.integers(2, 9))):
      words = [(rng.choice(genre_words[genre]) if rng.random() < genre_word_rate
                else rng.choice(_SHARED_WORDS)) for _ in range(int(rng.integers(3, 10)))]
      lines.append(" ".join(words))
    features = feature_means[label] + rng.normal(0, 1.5, NUM_FEATURES)
    rows.append({"text": "\n".join(lines), "genre": genre, **dict(zip(FEATURES, features))})
  return pd.DataFrame(rows)


def read_synthetic(path: str | Path, labeled: bool = True) -> Table:
  frame, malformed = read_csv_checked(path, ["text"] + FEATURES + (["genre"] if labeled else []))
  return build_table(frame, source="synthetic", text="text", label="genre", features=FEATURES,
                     labeled=labeled, malformed=malformed)


def generate_synthetic(num_examples: int = 600, num_classes: int = 4, seed: int = 0) -> Table:
  frame = synthetic_frame(num_examples, num_classes, seed)
  return build_table(frame, source="synthetic", text="text", label="genre", features=FEATURES)


SYNTHETIC = GeneratedSource(name="synthetic", candidates=(), read=read_synthetic, generate=generate_synthetic,
                            label_column="genre",
                            description="deterministic generated songs (genre vocabulary + features)")
