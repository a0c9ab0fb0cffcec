"""Study S0's cleaning rules, one test per rule, and the pipeline's drop accounting."""

import pandas as pd
import pytest

from lyric_jax.data import clean
from lyric_jax.data.table import Table

S = lambda *texts: pd.Series(list(texts), dtype=object)   # noqa: E731


@pytest.fixture(autouse=True)
def _private_language_cache(tmp_path, monkeypatch):
  monkeypatch.setenv(clean.CACHE_ENV, str(tmp_path / "cache"))


def test_strip_annotations_removes_bracketed_headers_only():
  out = clean.strip_annotations(S("[Chorus]\nla la [Verse 2: Jay-Z] yeah\n[unclosed"))
  assert out[0].split() == ["la", "la", "yeah", "[unclosed"]
  assert out[0].count("\n") == 2                              # lines are kept


def test_strip_repeat_markers_but_not_words_containing_them():
  out = clean.strip_repeat_markers(S("go go x2\nhey X 4\n3x oh\nmax2 xbox 2"))
  assert out[0].split("\n") == ["go go  ", "hey  ", "  oh", "max2 xbox 2"]


def test_strip_punctuation_keeps_inner_apostrophes_and_line_breaks():
  out = clean.strip_punctuation(S("Don't stop, 'cause we're (gonna) rock!\n\n  -- yeah...  "))
  assert out[0] == "Don't stop cause we're gonna rock\n\nyeah"


def test_normalize_typography_maps_to_ascii():
  out = clean.normalize_typography(S("I\u2019m \u201cfree\u201d \u2014 now\u2026\u00a0ok\u200b"))
  assert out[0] == 'I\'m "free" - now... ok'


def test_non_ascii_rows_are_flagged():
  assert clean.has_non_ascii(S("plain", "caf\u00e9", "\uc774\uc5b4")).tolist() == [False, True, True]


def test_empty_and_instrumental_and_null():
  assert clean.is_empty(S("", "  \n ", "x")).tolist() == [True, True, False]
  assert clean.is_instrumental(S(" Instrumental ", "instrumental break")).tolist() == [True, False]
  assert clean.is_null(pd.Series(["a", None, float("nan")])).tolist() == [False, True, True]


def test_genre_not_available():
  assert clean.genre_not_available(S("Not Available", "not available ", "Rock")).tolist() == [True, True, False]


def test_language_filter_is_deterministic_and_cached(tmp_path):
  english = "I walked along the river when the night was cold and you were gone, and I remember every word"
  french = "Je marchais le long de la rivière quand la nuit était froide et tu étais partie pour toujours"
  first = clean.is_not_english(S(english, french), tmp_path)
  assert first.tolist() == [False, True]
  assert (tmp_path / "langdetect_seed0.json").exists()
  assert clean.is_not_english(S(english, french), tmp_path).tolist() == first.tolist()


def test_clean_lyrics_applies_the_rules_in_order_and_counts_each_drop():
  songs = [
      ("[Intro]\nHello darkness, my old friend x2\nI've come to talk with you again", "Rock"),
      ("Caf\u00e9 au lait", "Pop"),                 # non-ASCII
      ("[Chorus]\n!!!", "Rock"),                     # empty after cleaning
      ("some words here", "Not Available"),
      ("(Instrumental)", "Jazz"),
  ]
  frame = pd.DataFrame({"row": range(5), "text": [t for t, _ in songs], "label": [g for _, g in songs],
                        "group": list("abcde")})
  table = clean.clean_lyrics(Table(frame, source="t"), english_only=False)
  assert table.frame["text"].tolist() == ["Hello darkness my old friend\nI've come to talk with you again"]
  assert table.drops == {"non-ASCII characters": 1, "empty lyrics after cleaning": 1,
                         "genre 'Not Available'": 1, "instrumental": 1}
  assert table.frame["row"].tolist() == [0]


def test_non_ascii_rules_drop_strip_or_keep_and_detect_language_before_stripping(monkeypatch):
  songs = ["T\u0435ll me why", "caf\u00e9 society", "\u65e5\u672c\u8a9e", "\u65e5\u672c\u8a9e and plain words"]
  frame = pd.DataFrame({"row": range(4), "text": songs, "label": ["a", "a", "b", "b"], "group": list("abcd")})
  # Language detection sees the text before stripping, so the Japanese songs are still not English.
  seen = []

  def japanese_is_not_english(text, cache_dir=None):
    seen.extend(text)
    return text.str.contains("\u65e5").to_numpy()

  def clean_as(rule, english):
    return clean.clean_lyrics(Table(frame, source="t"), english_only=english, non_ascii=rule)

  monkeypatch.setattr(clean, "is_not_english", japanese_is_not_english)
  assert len(clean_as("drop_song", False)) == 0
  stripped = clean_as("strip_chars", False)
  assert stripped.frame["text"].tolist() == ["Tell me why", "cafe society", "and plain words"]
  assert stripped.drops == {"no ASCII lyrics left (non_ascii=strip_chars)": 1}
  assert stripped.notes == {"non-ASCII characters stripped (accents dropped)": 4}
  assert stripped.class_counts == {"no ASCII lyrics left (non_ascii=strip_chars)": {"a": 2, "b": 1}}
  assert clean_as("strip_chars", True).frame["text"].tolist() == ["Tell me why", "cafe society"]
  assert "\u65e5\u672c\u8a9e and plain words" in seen
  assert clean_as("keep", False).frame["text"].tolist() == songs
  with pytest.raises(ValueError, match="non_ascii must be one of"):
    clean_as("ascii", False)
