"""One loader per public data format, each returning the canonical ``Table``.

A source knows which file names to look for in the data directory (full
original first, partial copy second) and how to map its columns. Every source is
registered by name in ``SOURCES`` so experiments and ``lyric_jax.predict`` can
rebuild the same reader from a run's config.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path
from typing import Callable

import pandas as pd

from lyric_jax.data import download
from lyric_jax.data.errors import DataError, naming_file
from lyric_jax.data.grouping import first_listed
from lyric_jax.data.table import Table, as_text, build_table, concat_files, read_csv_checked


@dataclasses.dataclass(frozen=True)
class Source:
  """A named data format: where to find it and how to read a file of it."""
  name: str
  candidates: tuple[str, ...]            # file names tried in the data dir, in order
  read: Callable[..., Table]             # read(path, labeled=True, **options) -> Table
  label_column: str | None = None        # the file's label column (absent in unlabelled files)
  download_key: str | None = None        # manifest entry fetched when no candidate exists
  description: str = ""
  # The reader's text transforms (e.g. punctuation stripping), for raw text that does not
  # come through ``read`` (``predict --text``); None = the text is used as given. Keyword
  # arguments it shares with ``read`` receive the run's dataset options.
  text_transform: Callable[..., pd.Series] | None = None
  # Formats that are not one CSV (folders of .txt, tab-separated files) say themselves
  # whether a file holds labels; None = look for label_column in the CSV header.
  detect_labels: Callable[[Path], bool] | None = None
  # Options that pick which rows of the training file to use (e.g. the official train
  # split); a file given to predict is read whole, so these are not applied there.
  selection_options: tuple[str, ...] = ()

  def clean(self, text: str, options: dict | None = None) -> str:
    """One raw text (``predict --text``, explain) cleaned as ``read`` cleans a file's texts
    with the dataset ``options``."""
    if self.text_transform is None:
      return text
    wanted = inspect.signature(self.text_transform).parameters
    kwargs = {k: v for k, v in (options or {}).items() if k in wanted}
    return str(self.text_transform(pd.Series([text], dtype=object), **kwargs).iloc[0])

  def locate(self, data_dir: str | Path | None = None) -> Path | None:
    """The file (or folder) ``load`` reads from ``data_dir``, downloading it if missing; None
    for generated data (no candidates), whose options are its whole identity."""
    if not self.candidates:
      return None
    return download.find_file(download.resolve_data_dir(data_dir), list(self.candidates),
                              download_key=self.download_key)

  def load(self, data_dir: str | Path | None = None, **options) -> Table:
    return self.read_file(self.locate(data_dir), labeled=True, options=options)

  def read_file(self, path: str | Path, labeled: bool, options: dict | None = None) -> Table:
    """Reads one file with a run's dataset options (so prediction reads as training did)."""
    options = options or {}
    known = [p for p in inspect.signature(self.read).parameters if p not in ("path", "labeled")]
    unknown = sorted(set(options) - set(known))
    if unknown:
      raise DataError(f"Dataset {self.name!r} has no option(s) {unknown} (--dataset_options); it takes {known}")
    with naming_file(path):
      return self.read(path, labeled=labeled, **options)


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
  SOURCES[source.name] = source
  return source


def get(name: str) -> Source:
  if name not in SOURCES:
    raise DataError(f"Unknown dataset {name!r}; available: {sorted(SOURCES)}")
  return SOURCES[name]


# --- S1: tcc_ceds_music.csv (Mendeley "Music Dataset: 1950 to 2019") ----------------------

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


register(Source(
    name="tcc_ceds",
    candidates=("tcc_ceds_music.csv", "tcc_ceds_music.csv.gz", "tcc_ceds_music_partial.csv.gz"),
    read=read_tcc_ceds, label_column="genre", download_key="tcc_ceds_music.csv",
    description="Music Dataset 1950-2019 (Moura et al. 2020): lyrics + 22 features, 7 genres"))


# --- S1 stand-in: Spotify genre seeds + audio features + musiXmatch lyric excerpts ----------

SPOTIFY13_FEATURES = [
    "popularity", "duration_ms", "danceability", "energy", "key", "loudness", "mode",
    "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo",
    "time_signature",
]
# musiXmatch's free API appends a licence banner and a tracking number to every excerpt.
_MUSIXMATCH_TRAILER = re.compile(r"\s*\.\.\.\s*\*+ This Lyrics is NOT for Commercial use \*+.*$", re.S)


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
  frame["lyrics"] = lyrics.str.replace(_MUSIXMATCH_TRAILER, "", regex=True)
  not_found = lyrics.str.strip().str.lower().eq("lyrics not found").fillna(False).to_numpy()
  if "artist" in frame:
    frame["artist"] = first_listed(as_text(frame["artist"]))
  table = build_table(frame.loc[~not_found], source="spotify13", text="lyrics", label="song_genre",
                      features=SPOTIFY13_FEATURES, group=["song_id"], labeled=labeled,
                      malformed=malformed, artist="artist" if "artist" in frame else None)
  if not_found.any():
    table.drops["'lyrics not found' placeholder"] = int(not_found.sum())
  return table


register(Source(
    name="spotify13",
    candidates=("lyrics_spotify13_musixmatch_partial.csv.gz", "spotify13_musixmatch"),
    read=read_spotify13, label_column="song_genre", download_key="spotify13_musixmatch",
    description="Spotify 13-genre seeds with audio features and musiXmatch lyric excerpts"))
