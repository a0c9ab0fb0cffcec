"""Study S0's lyric cleaning rules, each a small function over a pandas Series.

Transforms map text → text and keep line breaks (the HAN reads lines). Filters map
text (or labels) → a boolean mask of rows to drop. ``clean_lyrics`` applies them in
the study's order and counts every dropped row in ``Table.drops`` under its rule.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from lyric_jax.data.errors import DataError
from lyric_jax.data.table import LABEL, TEXT, Table

# --- transforms ---------------------------------------------------------------------------

_ANNOTATION = r"\[[^\]\n]*\]"                      # [Chorus], [Verse 2: Artist]; never spans lines
_REPEAT = r"(?i)(?<!\w)(?:x ?\d+|\d+ ?x)(?!\w)"    # x2, x 4, 2x (and (x2) once brackets go)
# Genius and other sites write typographic punctuation and odd spaces; map them to ASCII
# so that the non-ASCII rule removes foreign-script songs, not every curly apostrophe.
_TYPOGRAPHY = str.maketrans({
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    "\u2026": "...",
    **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
                    "\u202f\u205f\u3000", " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", ""),
})


def strip_annotations(text: pd.Series) -> pd.Series:
  """Removes bracketed annotations such as [Chorus] or [Verse 2]."""
  return text.str.replace(_ANNOTATION, " ", regex=True)


def strip_repeat_markers(text: pd.Series) -> pd.Series:
  """Removes repeat markers such as x2 or 3x (a word containing them, e.g. 'max2', stays)."""
  return text.str.replace(_REPEAT, " ", regex=True)


def strip_punctuation(text: pd.Series) -> pd.Series:
  """Replaces punctuation by spaces, keeping apostrophes inside words (don't) and line breaks."""
  text = text.str.replace(r"[^\w\s']|_", " ", regex=True)
  text = text.str.replace(r"(?<!\w)'|'(?!\w)", " ", regex=True)
  # Collapse runs of spaces and trim each line, but keep every line break.
  text = text.str.replace(r"[^\S\n]+", " ", regex=True)
  return text.str.replace(r" ?\n ?", "\n", regex=True).str.strip()


def normalize_typography(text: pd.Series) -> pd.Series:
  """Curly quotes, dashes, ellipses and Unicode spaces → their ASCII forms."""
  return text.map(lambda t: t.translate(_TYPOGRAPHY))


# Genius writes Cyrillic look-alikes into English words (a watermark: "Tеll me"): read as Latin.
_LOOKALIKES = str.maketrans("аеорсухіјѕԁАВЕКМНОРСТХІЈЅ", "aeopcyxijsdABEKMHOPCTXIJS")


def strip_non_ascii(text: pd.Series) -> pd.Series:
  """Text in ASCII: look-alike letters read as Latin, accents dropped (é → e), every other
  non-ASCII character (emoji, other scripts) removed; spacing tidied, line breaks kept."""
  def ascii_only(t: str) -> str:
    t = unicodedata.normalize("NFKD", t.translate(_LOOKALIKES))
    return t.encode("ascii", "ignore").decode("ascii")
  text = text.map(ascii_only).str.replace(r"[^\S\n]+", " ", regex=True)
  return text.str.replace(r" ?\n ?", "\n", regex=True).str.strip()


# --- filters (True = drop the row) -------------------------------------------------------

def is_null(text: pd.Series) -> np.ndarray:
  return text.isna().to_numpy()


def has_non_ascii(text: pd.Series) -> np.ndarray:
  return text.str.contains(r"[^\x00-\x7F]", regex=True).to_numpy(bool)


def is_empty(text: pd.Series) -> np.ndarray:
  return (text.str.strip() == "").to_numpy(bool)


def is_instrumental(text: pd.Series) -> np.ndarray:
  return (text.str.strip().str.lower() == "instrumental").to_numpy(bool)


def genre_not_available(labels: pd.Series) -> np.ndarray:
  return (labels.astype(str).str.strip().str.lower() == "not available").to_numpy(bool)


LANGDETECT_CHARS = 10_000   # the study detects the language of the first 10,000 characters
CACHE_ENV = "LYRIC_JAX_CACHE"


def detect_language(text: str) -> str:
  """langdetect's ISO code for ``text`` ('unknown' if it finds no letters); deterministic.

  langdetect samples n-grams at random; seeding its factory makes every call repeatable.
  """
  from langdetect import DetectorFactory, detect
  from langdetect.lang_detect_exception import LangDetectException
  DetectorFactory.seed = 0
  try:
    return detect(text[:LANGDETECT_CHARS])
  except LangDetectException:
    return "unknown"


def is_not_english(text: pd.Series, cache_dir: str | os.PathLike | None = None) -> np.ndarray:
  """True where langdetect does not say English.

  Detection costs ~20 ms a song, so results are cached on disk by a hash of the text
  (``$LYRIC_JAX_CACHE``, else ~/.cache/lyric_jax): rerunning an experiment is instant.
  """
  cache_path = Path(cache_dir or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "lyric_jax")
  cache_path = cache_path / "langdetect_seed0.json"
  cache = _read_cache(cache_path)
  keys = [hashlib.sha1(t[:LANGDETECT_CHARS].encode()).hexdigest() for t in text]
  missing = {k: t for k, t in zip(keys, text) if k not in cache}
  if missing:
    cache.update({k: detect_language(t) for k, t in missing.items()})
    _write_cache(cache_path, cache)
  return np.array([cache[k] != "en" for k in keys], bool)


def _read_cache(path: Path) -> dict:
  try:
    return json.loads(path.read_text())
  except (OSError, ValueError):
    return {}


def _write_cache(path: Path, cache: dict) -> None:
  """Atomic replace, so concurrent runs never read a half-written file (a lost update is harmless)."""
  try:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
      json.dump(cache, f)
    os.replace(f.name, path)
  except OSError:
    pass   # an unwritable cache only costs time


# --- the study's pipeline ----------------------------------------------------------------

# What to do with a song that has non-ASCII characters after the transforms: the study's
# rule drops it; strip_chars keeps it in ASCII (strip_non_ascii); keep leaves it as it is.
NON_ASCII_RULES = ("drop_song", "strip_chars", "keep")


def clean_lyrics(table: Table, *, typography: bool = False, english_only: bool = True,
                 non_ascii: str = "drop_song", cache_dir: str | None = None) -> Table:
  """Study S0's cleaning of ``table``'s text, in the study's order, counting every drop.

  ``typography`` first maps typographic punctuation to ASCII (not in the study, whose
  MetroLyrics text was mostly ASCII; Genius text is not). ``non_ascii`` (one of
  ``NON_ASCII_RULES``): 'strip_chars' strips after the language is detected, so a song
  in another script is still seen as such and dropped.
  """
  if non_ascii not in NON_ASCII_RULES:
    raise DataError(f"non_ascii must be one of {NON_ASCII_RULES}, got {non_ascii!r}")
  table = dataclasses.replace(table, frame=table.frame.assign(**{TEXT: transform(table.frame[TEXT], typography)}))
  if non_ascii == "drop_song":
    table = table.drop_rows(has_non_ascii(table.frame[TEXT]), "non-ASCII characters")
  table = table.drop_rows(is_empty(table.frame[TEXT]), "empty lyrics after cleaning")
  if LABEL in table.frame:
    table = table.drop_rows(genre_not_available(table.frame[LABEL]), "genre 'Not Available'")
  table = table.drop_rows(is_instrumental(table.frame[TEXT]), "instrumental")
  if english_only:
    table = table.drop_rows(is_not_english(table.frame[TEXT], cache_dir), "not English (langdetect)")
  if non_ascii == "strip_chars":
    changed = int(has_non_ascii(table.frame[TEXT]).sum())
    notes = {**table.notes, **({"non-ASCII characters stripped (accents dropped)": changed} if changed else {})}
    table = dataclasses.replace(table, frame=table.frame.assign(**{TEXT: strip_non_ascii(table.frame[TEXT])}),
                                notes=notes)
    table = table.drop_rows(is_empty(table.frame[TEXT]), "no ASCII lyrics left (non_ascii=strip_chars)")
  return table


def transform(text: pd.Series, typography: bool = False, non_ascii: str = "drop_song") -> pd.Series:
  """The text transforms of ``clean_lyrics`` (also applied to ``predict --text`` input)."""
  if typography:
    text = normalize_typography(text)
  text = strip_punctuation(strip_repeat_markers(strip_annotations(text)))
  return strip_non_ascii(text) if non_ascii == "strip_chars" else text
