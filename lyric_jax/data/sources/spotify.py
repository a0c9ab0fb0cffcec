"""Study S4: the Spotify Tracks dataset (114 genres × ~1,000 tracks, audio features, no text).

Categorical columns become plain float columns here, so every downstream step
(standardisation fitted on train, batching, models) sees only numbers:
``key`` (pitch class 0–11) and ``time_signature`` (beats per bar: 1, 3–7) are
one-hot, because their codes are names, not magnitudes; ``mode`` and
``explicit`` are 0/1. Codes the Spotify API uses for "not detected" (key -1,
time signature 0) get an all-zero one-hot. The same ``track_id`` is listed
under several genres, so it is the row group: a track never straddles splits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lyric_jax.data.sources.base import Source
from lyric_jax.data.table import Table, build_table, read_csv_checked

NUMERIC = ["popularity", "duration_ms", "danceability", "energy", "loudness", "speechiness",
           "acousticness", "instrumentalness", "liveness", "valence", "tempo"]
BINARY = ["explicit", "mode"]
KEYS = tuple(range(12))
TIME_SIGNATURES = (1, 3, 4, 5, 6, 7)
ONE_HOT = {"key": KEYS, "time_signature": TIME_SIGNATURES}
RAW_COLUMNS = NUMERIC + BINARY + list(ONE_HOT)
FEATURES = NUMERIC + BINARY + [f"{column}_{value}" for column, values in ONE_HOT.items()
                               for value in values]
LABEL_COLUMN, GROUP_COLUMN = "track_genre", "track_id"


def one_hot(values: pd.Series, categories: tuple[int, ...], prefix: str) -> pd.DataFrame:
  """One float column per category; a missing value stays NaN (so the row is dropped and
  counted), an unknown code (e.g. 'not detected') is all zeros."""
  numbers = pd.to_numeric(values, errors="coerce")
  columns = {f"{prefix}_{c}": (numbers == c).astype(np.float32) for c in categories}
  frame = pd.DataFrame(columns, index=values.index)
  frame[numbers.isna().to_numpy()] = np.nan
  return frame


def read_spotify_tracks(path: str | Path, labeled: bool = True) -> Table:
  """The Kaggle/HuggingFace ``dataset.csv`` layout (an unnamed index column may lead)."""
  required = [GROUP_COLUMN] + RAW_COLUMNS + ([LABEL_COLUMN] if labeled else [])
  frame, malformed = read_csv_checked(path, required)
  frame = pd.concat([frame] + [one_hot(frame[c], cats, c) for c, cats in ONE_HOT.items()], axis=1)
  # A row without a track_id cannot share a track with anything: it is its own group.
  ids = frame[GROUP_COLUMN].astype("string")
  frame[GROUP_COLUMN] = ids.fillna(pd.Series([f"row{i}" for i in range(len(frame))], index=frame.index,
                                             dtype="string"))
  return build_table(frame, source="spotify114", text=None, label=LABEL_COLUMN, features=FEATURES,
                     group=[GROUP_COLUMN], labeled=labeled, malformed=malformed)


SPOTIFY114 = Source(
    name="spotify114",
    candidates=("spotify_tracks.csv", "dataset.csv", "spotify_tracks_114genres_dev.csv.gz",
                "spotify_tracks_114genres.csv.gz"),
    read=read_spotify_tracks, label_column=LABEL_COLUMN, download_key="spotify_tracks.csv",
    description="Spotify Tracks Dataset (Pandya 2022): 114 genres, audio features, no text")
