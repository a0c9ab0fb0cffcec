"""Study S1's sources: song lyrics with per-song features, one genre label.

``tcc_ceds``: the study's own file (Mendeley "Music Dataset: 1950 to 2019"): lemmatised
lyrics and 22 engineered features. ``spotify13``: the stand-in available here, Spotify genre
seeds with audio features and musiXmatch lyric excerpts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from lyric_jax.data.errors import DataError
from lyric_jax.data.grouping import first_listed
from lyric_jax.data.sources.base import Source
from lyric_jax.data.table import Table, as_text, build_table, concat_files, read_csv_checked


# --- tcc_ceds_music.csv (Mendeley "Music Dataset: 1950 to 2019") --------------------------

TCC_FEATURES = [
    "dating", "violence", "world/life", "night/time", "shake the audience", "family/gospel",
    "romantic", "communication", "obscene", "music", "movement/places",
    "light/visual perceptions", "family/spiritual", "like/girls", "sadness", "feelings",
    "danceability", "loudness", "acousticness", "instrumentalness", "valence", "energy",
]


def read_tcc_ceds(path: str | Path, labeled: bool = True) -> Table:
  """The study's own file: lemmatised lyrics, ``genre`` label, 22 engineered features."""
  required = ["artist_name", "track_name", "lyrics"] + TCC_FEATURES + (["genre"] if labeled else [])
  frame, malformed = read_csv_checked(path, required)
  return build_table(frame, source="tcc_ceds", text="lyrics", label="genre", features=TCC_FEATURES,
                     group=["artist_name", "track_name"], labeled=labeled, malformed=malformed,
                     artist="artist_name")


TCC_CEDS = Source(
    name="tcc_ceds",
    candidates=("tcc_ceds_music.csv", "tcc_ceds_music.csv.gz", "tcc_ceds_music_partial.csv.gz"),
    read=read_tcc_ceds, label_column="genre", download_key="tcc_ceds_music.csv",
    description="Music Dataset 1950-2019 (Moura et al. 2020): lyrics + 22 features, 7 genres")


# --- Spotify genre seeds + audio features + musiXmatch lyric excerpts ----------------------

SPOTIFY13_FEATURES = [
    "popularity", "duration_ms", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
    "time_signature",
]
# musiXmatch's free API appends a licence banner and a tracking number to every excerpt.
_MUSIXMATCH_TRAILER = re.compile(r"\s*\.\.\.\s*\*+ This Lyrics is NOT for Commercial use \*+.*$", re.S)


def strip_musixmatch_trailer(lyrics: pd.Series) -> pd.Series:
  return lyrics.str.replace(_MUSIXMATCH_TRAILER, "", regex=True)


def read_spotify13(path: str | Path, labeled: bool = True) -> Table:
  """13 Spotify genres: audio features + lyric excerpts; a song_id never straddles splits.

  A track by several artists lists them ("['DNCE', 'Nicki Minaj']"): the first is its artist.
  """
  required = ["song_id", "lyrics"] + SPOTIFY13_FEATURES + (["song_genre"] if labeled else [])
  files = sorted(Path(path).glob("*_lyrics.csv")) if Path(path).is_dir() else [path]
  if not files:
    raise DataError(f"{path} holds no <genre>_lyrics.csv files")
  frame, malformed = concat_files([read_csv_checked(f, required) for f in files])   # the original per-genre layout
  lyrics = frame["lyrics"].astype("string")
  frame["lyrics"] = strip_musixmatch_trailer(lyrics)
  not_found = lyrics.str.strip().str.lower().eq("lyrics not found").fillna(False).to_numpy()
  if "artist" in frame:
    frame["artist"] = first_listed(as_text(frame["artist"]))
  table = build_table(frame.loc[~not_found], source="spotify13", text="lyrics", label="song_genre",
                      features=SPOTIFY13_FEATURES, group=["song_id"], labeled=labeled,
                      malformed=malformed, artist="artist" if "artist" in frame else None)
  if not_found.any():
    table.drops["'lyrics not found' placeholder"] = int(not_found.sum())
  return table


SPOTIFY13 = Source(
    name="spotify13",
    candidates=("lyrics_spotify13_musixmatch_partial.csv.gz", "spotify13_musixmatch"),
    read=read_spotify13, label_column="song_genre", download_key="spotify13_musixmatch",
    text_transform=strip_musixmatch_trailer,
    description="Spotify 13-genre seeds with audio features and musiXmatch lyric excerpts")
