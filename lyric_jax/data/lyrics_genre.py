"""Study S0 sources: lyrics → one genre, cleaned by the study's rules (``data.clean``).

``metrolyrics``: the study's own Kaggle file (index, song, year, artist, genre, lyrics).
``lastfm17``: Last.fm top tracks of 17 crowd tags with Genius lyrics (line breaks kept),
turned into a single-label genre task as documented at ``GENRES`` and ``assign_genres``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lyric_jax.data import clean
from lyric_jax.data.errors import DataError
from lyric_jax.data.sources import Source, register
from lyric_jax.data.table import Table, as_text, build_table, raw_table, read_csv_checked

# --- MetroLyrics (Kaggle "380,000+ lyrics from MetroLyrics", lyrics.csv) ------------------


def read_metrolyrics(path: str | Path, labeled: bool = True, english_only: bool = True) -> Table:
  """The study's file, cleaned exactly by its rules; a song (artist + song) never straddles splits."""
  required = ["song", "artist", "lyrics"] + (["genre"] if labeled else [])
  frame, malformed = read_csv_checked(path, required)
  raw = raw_table(frame, "metrolyrics", malformed)
  raw = raw.drop_rows(clean.is_null(raw.frame["lyrics"]), "null lyrics")
  table = build_table(raw.frame, source="metrolyrics", text="lyrics", label="genre", features=[],
                      group=["artist", "song"], labeled=labeled, prior=raw)
  return clean.clean_lyrics(table, english_only=english_only)


register(Source(
    name="metrolyrics", candidates=("lyrics.csv", "lyrics.csv.gz"), read=read_metrolyrics,
    label_column="genre", download_key="lyrics.csv", text_transform=clean.transform,
    description="MetroLyrics 380k (Kaggle, study S0's corpus): 11 genres after cleaning"))


# --- Last.fm 17 tags + Genius lyrics ------------------------------------------------------

# Tag → genre. Rap and Hip-Hop are one genre (their top lists overlap heavily). The tags
# 80s, british and acoustic describe an era, a country and an instrumentation, not a
# genre: they never give a label, and a song carrying only them is dropped.
GENRES = {
    "rock": "rock", "metal": "metal", "punk": "punk", "hardcore": "hardcore", "country": "country",
    "blues": "blues", "jazz": "jazz", "reggae": "reggae", "rnb": "rnb", "rap": "rap", "Hip-Hop": "rap",
    "electronic": "electronic", "indie": "indie", "alternative": "alternative",
}
GENRE_ORDER = tuple(dict.fromkeys(GENRES.values()))   # breaks rank ties deterministically
MULTI_GENRE_RULES = ("best_rank", "drop")
SUSPECT_CHARS = (100, 10_000)   # SOURCES.md: outside this, most likely a wrong Genius match


def song_keys(frame: pd.DataFrame) -> pd.Series:
  return as_text(frame["artist"]) + "\x1f" + as_text(frame["track"])


def assign_genres(raw: Table, multi_genre: str = "best_rank") -> Table:
  """Adds a single ``genre`` per song (artist + track) and drops songs that have none.

  A song's genres are its tags (``all_tags`` plus the ``tag`` of each of its rows)
  mapped by ``GENRES``. No genre → dropped. Several genres (e.g. rap + rnb, blues +
  jazz) → ``multi_genre='best_rank'`` keeps the genre in whose Last.fm top list the
  song ranks highest (lowest ``rank``; a tag without a row of its own ranks last, ties
  follow ``GENRE_ORDER``), counted in ``notes``; ``'drop'`` drops the song, counted.
  """
  if multi_genre not in MULTI_GENRE_RULES:
    raise DataError(f"multi_genre must be one of {MULTI_GENRE_RULES}, got {multi_genre!r}")
  frame = raw.frame
  song = song_keys(frame)
  tags = as_text(frame["tag"])
  if "all_tags" in frame:
    tags = tags + "|" + as_text(frame["all_tags"])
  song_tags = tags.groupby(song).agg(lambda t: set("|".join(t).split("|")))
  ranks = (pd.DataFrame({"song": song, "genre": frame["tag"].map(GENRES), "rank": _ranks(frame)})
           .dropna(subset=["genre"]).groupby(["song", "genre"])["rank"].min().to_dict())

  def choose(key: str) -> tuple[str | None, int]:
    genres = sorted({GENRES[t] for t in song_tags[key] if t in GENRES}, key=GENRE_ORDER.index)
    if len(genres) > 1 and multi_genre == "best_rank":
      return min(genres, key=lambda g: ranks.get((key, g), np.inf)), len(genres)
    return (genres[0] if len(genres) == 1 else None), len(genres)

  choices = {key: choose(key) for key in song_tags.index}
  n_genres = song.map(lambda k: choices[k][1]).to_numpy()
  table = Table(frame.assign(genre=song.map(lambda k: choices[k][0]), _n_genres=n_genres), (),
                raw.drops, raw.source, dict(raw.notes))
  table = table.drop_rows(n_genres == 0, "no genre tag (only 80s/british/acoustic)")
  table = table.drop_rows(table.frame["_n_genres"] > 1 if multi_genre == "drop" else
                          np.zeros(len(table), bool), "several genre tags (multi_genre=drop)")
  # Of a song's rows, keep the one listed under the chosen genre (its best rank).
  other_tag = (table.frame["tag"].map(GENRES) != table.frame["genre"]).to_numpy()
  table = drop_repeated_songs(table, priority=other_tag * 1e9 + _ranks(table.frame).to_numpy())
  resolved = int((table.frame["_n_genres"] > 1).sum())
  if resolved:
    table.notes["several genre tags, resolved to the best-ranked one"] = resolved
  return table


def _ranks(frame: pd.DataFrame) -> pd.Series:
  if "rank" not in frame:
    return pd.Series(np.full(len(frame), 1e6), index=frame.index)
  return pd.to_numeric(frame["rank"], errors="coerce").fillna(1e6)


def drop_repeated_songs(table: Table, priority: np.ndarray | None = None) -> Table:
  """One row per song: the lowest ``priority`` (ties and default: file order); others counted."""
  priority = np.zeros(len(table)) if priority is None else np.asarray(priority, float)
  order = np.lexsort((np.arange(len(table)), priority))
  repeated = np.zeros(len(table), bool)
  repeated[order] = pd.Series(song_keys(table.frame).to_numpy()[order]).duplicated().to_numpy()
  return table.drop_rows(repeated, "same song listed under another tag (one row kept)")


def is_suspect(frame: pd.DataFrame) -> np.ndarray:
  """The file's ``suspect`` flag, or (files without it) the rule that set it."""
  if "suspect" in frame:
    return frame["suspect"].astype(str).str.strip().str.lower().eq("true").to_numpy()
  chars = frame["lyrics_clean"].fillna("").astype(str).str.len()
  return ((chars < SUSPECT_CHARS[0]) | (chars > SUSPECT_CHARS[1])).to_numpy()


# Genius pages embed a concert-ticket ad naming the artist ("See Pixies LiveGet tickets as
# low as $25") in a third of the songs, often glued to a lyric line: not lyrics, and the
# artist's name would leak into the genre.
_TICKET_AD = r"See [^\n]{0,100}?LiveGet tickets as low as \$\d+"


def strip_ticket_ads(text: pd.Series) -> pd.Series:
  return text.str.replace(_TICKET_AD, "\n", regex=True)


def read_lastfm17(path: str | Path, labeled: bool = True, multi_genre: str = "best_rank",
                  english_only: bool = True) -> Table:
  """A single-label genre task over Genius ``lyrics_clean`` (line breaks kept).

  Order: suspect rows dropped; genres assigned per song (labelled files) and one row
  kept per song; the study's cleaning rules (typography mapped to ASCII first).
  """
  required = ["track", "artist", "lyrics_clean"] + (["tag"] if labeled else [])
  frame, malformed = read_csv_checked(path, required)
  raw = raw_table(frame, "lastfm17", malformed)
  raw = raw.drop_rows(is_suspect(raw.frame), "suspect Genius match (under 100 or over 10,000 chars)")
  raw = raw.drop_rows(clean.is_null(raw.frame["lyrics_clean"]), "null lyrics")
  raw.frame["lyrics_clean"] = strip_ticket_ads(as_text(raw.frame["lyrics_clean"]))   # no lyrics left: float dtype
  raw = assign_genres(raw, multi_genre) if labeled else drop_repeated_songs(raw)
  table = build_table(raw.frame, source="lastfm17", text="lyrics_clean", label="genre", features=[],
                      group=["artist", "track"], labeled=labeled, prior=raw)
  return clean.clean_lyrics(table, typography=True, english_only=english_only)


register(Source(
    name="lastfm17",
    candidates=("lyrics_lastfm17_genius.csv.gz", "lyrics_lastfm17_genius_dev.csv.gz",
                "lyrics_lastfm17_genius.csv"),
    read=read_lastfm17, label_column="tag",
    text_transform=lambda text: clean.transform(strip_ticket_ads(text), typography=True),
    description="Last.fm top tracks of 17 tags + Genius lyrics: 13 genres (rap = rap + Hip-Hop)"))
