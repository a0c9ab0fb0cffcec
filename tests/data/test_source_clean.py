"""Every text source's ``clean`` (what ``predict --text`` and explain apply to a raw text) is
exactly what its reader makes of the same raw text in a file."""

import pandas as pd
import pytest

from lyric_jax.data import clean, sources
from lyric_jax.data.sources import lyrics_and_features, synthetic
from lyric_jax.data.table import ROW, TEXT

# Raw texts that trip every source's transforms: HTML breaks (IMDB), bracketed sections,
# repeat markers, typography and a ticket ad (lyrics), look-alike letters and accents
# (non-ASCII rules), musiXmatch's trailer (spotify13), and spacing a reader must keep.
RAW_TEXTS = [
    "Fine<br />film<BR>with a twist<br/>. Loved it",
    "[Chorus]\nI\u2019m here, x2 \u2014 \u201cyes\u201d\nSee Pixies LiveGet tickets as low as $25 la la",
    "T\u0435ll me, caf\u00e9 ... la la",
    "some words to sing\n...\n\n******* This Lyrics is NOT for Commercial use *******\n(1409623189999)",
    "  plain text, kept as written  ",
]
_REVIEW = ("review_content", lambda i: {"review_title": f"Review - {i}%"})
# source → (its text column, the other columns of data row i)
ROWS = {
    "tcc_ceds": ("lyrics", lambda i: {"artist_name": f"a{i}", "track_name": f"t{i}", "genre": "pop",
                                      **dict.fromkeys(lyrics_and_features.TCC_FEATURES, 0.5)}),
    "spotify13": ("lyrics", lambda i: {"song_id": f"s{i}", "song_genre": "pop",
                                       **dict.fromkeys(lyrics_and_features.SPOTIFY13_FEATURES, 1.0)}),
    "metrolyrics": ("lyrics", lambda i: {"song": f"t{i}", "artist": f"a{i}", "genre": "Rock"}),
    "lastfm17": ("lyrics_clean", lambda i: {"tag": "rock", "rank": i + 1, "track": f"t{i}", "artist": f"a{i}",
                                            "all_tags": "rock", "suspect": False}),
    "imdb": ("review", lambda i: {"sentiment": "positive"}),
    "imdb_ratings": ("review", lambda i: {"rating": 8}),
    "tweets": ("text", lambda i: {"label": "neutral", "tweet_id": i}),
    "metal_archives": _REVIEW,
    "synthetic_reviews": _REVIEW,
    "synthetic": ("text", lambda i: {"genre": "rock", **dict.fromkeys(synthetic.FEATURES, 0.0)}),
}
_LYRICS = {"english_only": False}   # langdetect is a row filter, not a transform
CASES = [(name, _LYRICS if name in ("metrolyrics", "lastfm17") else {}) for name in ROWS] + [
    ("lastfm17", {**_LYRICS, "non_ascii": rule}) for rule in ("drop_song", "keep")] + [
    ("metrolyrics", {**_LYRICS, "non_ascii": "strip_chars"})]


def test_every_source_with_text_is_checked():
  assert set(ROWS) == set(sources.SOURCES) - {"spotify114"}     # spotify114: audio features, no text


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{o.get('non_ascii', 'default')}" for n, o in CASES])
def test_clean_is_what_the_reader_makes_of_a_raw_text(name, options, tmp_path, monkeypatch):
  monkeypatch.setenv(clean.CACHE_ENV, str(tmp_path / "cache"))
  text_column, other_columns = ROWS[name]
  frame = pd.DataFrame([{text_column: text, **other_columns(i)} for i, text in enumerate(RAW_TEXTS)])
  frame.to_csv(tmp_path / "data.csv", index=False)
  source = sources.get(name)
  table = source.read_file(tmp_path / "data.csv", labeled=True, options=options)
  assert len(table) >= 3, table.report()                         # rows a filter drops are not compared
  for row, text in zip(table.frame[ROW], table.frame[TEXT]):
    assert source.clean(RAW_TEXTS[row], options) == text
