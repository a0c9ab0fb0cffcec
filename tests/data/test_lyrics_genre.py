"""Study S0 sources on small fixtures: lastfm17 (tags → one genre) and MetroLyrics."""

import collections

import pandas as pd
import pytest

from lyric_jax.data import clean, sources
from lyric_jax.data.sources.lyrics import GENRE_ORDER, choose_genres

VERSE = ("I walked along the river\nwhen the night was cold\nand you were gone\n"
         "and I remember every word you said")   # over 100 characters: not suspect


@pytest.fixture(autouse=True)
def _private_language_cache(tmp_path, monkeypatch):
  monkeypatch.setenv(clean.CACHE_ENV, str(tmp_path / "cache"))


def lastfm_rows():
  """(tag, rank, track, artist, all_tags, suspect, lyrics_clean) covering every rule."""
  return pd.DataFrame([
      ("rock", 5, "Solo", "A", "rock", False, VERSE + "\nSee A LiveGet tickets as low as $20"),
      ("rap", 2, "Both", "B", "rap|rnb|80s", False, VERSE + " one"),        # rap ranks 2 ...
      ("rnb", 9, "Both", "B", "rap|rnb|80s", False, VERSE + " one"),        # ... rnb 9 → rap
      ("80s", 1, "Both", "B", "rap|rnb|80s", False, VERSE + " one"),
      ("Hip-Hop", 3, "Merged", "C", "Hip-Hop|rap", False, VERSE + " two"),  # one genre after merging
      ("rap", 7, "Merged", "C", "Hip-Hop|rap", False, VERSE + " two"),
      ("british", 4, "Era", "D", "british|80s", False, VERSE + " three"),   # no genre tag
      ("80s", 8, "Era", "D", "british|80s", False, VERSE + " three"),
      ("jazz", 1, "Tracklist", "E", "jazz", True, "1. Intro 2. Outro"),     # suspect
      ("blues", 6, "Jazzy", "F", "blues|jazz", False, VERSE + " four"),     # blues 6, jazz (no row) → blues
      ("metal", 3, "Caf\u00e9", "G", "metal", False, "Caf\u00e9 \u00e0 minuit"),   # non-ASCII
  ], columns=["tag", "rank", "track", "artist", "all_tags", "suspect", "lyrics_clean"]).assign(
      n_tags=1, lyrics="raw")


LEGACY_RULES = {"multi_genre": "best_rank", "non_ascii": "drop_song"}   # the rules of spec version 1


def test_lastfm17_single_label_rules_and_counts(tmp_path):
  path = tmp_path / "lyrics_lastfm17_genius.csv.gz"
  lastfm_rows().to_csv(path, index=False)
  table = sources.get("lastfm17").load(tmp_path, english_only=False, **LEGACY_RULES)
  labels = dict(zip(table.frame["group"], table.frame["label"]))
  assert labels == {"A|Solo": "rock", "B|Both": "rap", "C|Merged": "rap", "F|Jazzy": "blues"}
  assert table.drops == {
      "suspect Genius match (under 100 or over 10,000 chars)": 1,
      "same song listed under another tag (one row kept)": 4,
      "no genre tag (only 80s/british/acoustic)": 1,
      "non-ASCII characters": 1,
  }
  assert len(table) + sum(table.drops.values()) == 11                # nothing lost silently
  assert table.notes == {"several genre tags, resolved to the best-ranked one": 2}
  # Songs per class after each rule that dropped labelled songs (Era had no genre: no class).
  after_dedup = {"blues": 1, "metal": 1, "rap": 2, "rock": 1}
  assert table.class_counts == {"same song listed under another tag (one row kept)": after_dedup,
                                "no genre tag (only 80s/british/acoustic)": after_dedup,
                                "non-ASCII characters": {"blues": 1, "rap": 2, "rock": 1}}
  assert "non-ASCII characters: blues 1, rap 2, rock 1" in table.report()
  assert table.frame.set_index("group").loc["B|Both", "row"] == 1     # the row of the chosen tag
  assert "tickets" not in " ".join(table.frame["text"])               # Genius ad stripped
  assert "\n" in table.frame["text"].iloc[0]                          # line breaks kept for the HAN


def test_lastfm17_default_rules_balance_shared_songs_and_keep_accented_ones(tmp_path):
  path = tmp_path / "lyrics_lastfm17_genius.csv.gz"
  lastfm_rows().to_csv(path, index=False)
  table = sources.get("lastfm17").load(tmp_path, english_only=False)
  labels = dict(zip(table.frame["group"], table.frame["label"]))
  # Both (rap + rnb) goes to rnb, which has no song yet (Merged is rap); Café stays, in ASCII.
  assert labels == {"A|Solo": "rock", "B|Both": "rnb", "C|Merged": "rap", "F|Jazzy": "blues", "G|Café": "metal"}
  assert table.frame.set_index("group").loc["G|Café", "text"] == "Cafe a minuit"
  assert table.notes == {"several genre tags, resolved to the one with the fewest songs so far "
                         "(multi_genre=balanced)": 2, "non-ASCII characters stripped (accents dropped)": 1}
  assert len(table) + sum(table.drops.values()) == 11


def test_balanced_rule_shares_overlapping_genres_where_best_rank_starves_one():
  """Six rock + indie songs that all rank higher in indie's list, and one rock-only song."""
  songs = {f"s{i}": ["rock", "indie"] for i in range(6)} | {"solo": ["rock"]}
  rank = lambda song, genre: {"indie": 1, "rock": 2}[genre]
  assert collections.Counter(choose_genres(songs, rank, "best_rank").values()) == {"indie": 6, "rock": 1}
  assert collections.Counter(choose_genres(songs, rank, "balanced").values()) == {"indie": 4, "rock": 3}
  assert set(choose_genres(songs, rank, "drop").values()) == {None, "rock"}


def test_lastfm17_multi_genre_drop_rule(tmp_path):
  path = tmp_path / "lyrics_lastfm17_genius_dev.csv.gz"
  lastfm_rows().to_csv(path, index=False)
  table = sources.get("lastfm17").load(tmp_path, english_only=False, multi_genre="drop", non_ascii="drop_song")
  assert sorted(table.frame["label"]) == ["rap", "rock"]              # Merged (rap) and Solo
  assert table.drops["several genre tags (multi_genre=drop)"] == 2    # Both and Jazzy
  assert len(table) + sum(table.drops.values()) == 11
  with pytest.raises(ValueError, match="multi_genre"):
    sources.get("lastfm17").load(tmp_path, multi_genre="vote")
  with pytest.raises(ValueError, match="non_ascii must be one of"):
    sources.get("lastfm17").load(tmp_path, english_only=False, non_ascii="ascii")


def test_lastfm17_without_tags_reads_unlabelled_one_row_per_song(tmp_path):
  path = tmp_path / "new.csv"
  lastfm_rows().drop(columns=["tag", "rank", "all_tags", "suspect"]).to_csv(path, index=False)
  table = sources.get("lastfm17").read_file(path, labeled=False, options={"english_only": False})
  assert not table.labeled
  assert len(table) == 5      # 7 songs; the tracklist and Café fail the suspect length rule
  assert table.drops == {"suspect Genius match (under 100 or over 10,000 chars)": 2,
                         "same song listed under another tag (one row kept)": 4}


def metrolyrics_frame():
  return pd.DataFrame({
      "index": range(8),
      "song": ["a", "b", "c", "d", "e", "f", "g", "h"],
      "year": 2009,
      "artist": ["x"] * 8,
      "genre": ["Rock", "Pop", "Not Available", "Rock", "Jazz", "Pop", "Country", "Rock"],
      "lyrics": ["[Verse 1]\nHello, hello x2\nHow low", None, "fine words", "Instrumental",
                 "caf\u00e9 society", "[Chorus]", "Country roads\ntake me home", "  "],
  })


def test_metrolyrics_reader_applies_the_study_rules(tmp_path):
  metrolyrics_frame().to_csv(tmp_path / "lyrics.csv", index=False)
  table = sources.get("metrolyrics").load(tmp_path, english_only=False)
  assert table.frame["text"].tolist() == ["Hello hello\nHow low", "Country roads\ntake me home"]
  assert table.frame["label"].tolist() == ["Rock", "Country"]
  assert table.drops == {"null lyrics": 1, "empty text": 1, "non-ASCII characters": 1,
                         "empty lyrics after cleaning": 1, "genre 'Not Available'": 1, "instrumental": 1}
  assert table.frame["row"].tolist() == [0, 6]


def test_metrolyrics_missing_file_names_the_place_to_put_it(tmp_path):
  (tmp_path / "empty").mkdir()
  with pytest.raises(ValueError, match="place it at .*lyrics.csv"):
    sources.get("metrolyrics").load(tmp_path / "empty")


def test_predict_text_is_cleaned_like_the_training_text():
  lastfm17 = sources.get("lastfm17")
  assert lastfm17.clean("[Chorus]\nI\u2019m here, x2") == "I'm here"
  # The run's non_ascii option reaches predict --text: Genius' Cyrillic look-alike "е", an accent.
  assert lastfm17.clean("T\u0435ll me, caf\u00e9", {"non_ascii": "strip_chars", "english_only": True}) == "Tell me cafe"
  assert lastfm17.clean("T\u0435ll me", {"non_ascii": "drop_song"}) == "T\u0435ll me"


def test_real_lastfm17_dev_loads(real_data_dir):
  table = sources.get("lastfm17").load(real_data_dir, english_only=False, **LEGACY_RULES)
  assert len(table) + sum(table.drops.values()) == 13241
  assert table.drops["suspect Genius match (under 100 or over 10,000 chars)"] == 127
  assert set(table.frame["label"]) == set(GENRE_ORDER)
  assert table.frame["group"].is_unique
  assert table.class_counts["non-ASCII characters"]["rock"] == 168   # the study's rules starve rock ...
  balanced = sources.get("lastfm17").load(real_data_dir, english_only=False)
  assert min(balanced.class_counts["no genre tag (only 80s/british/acoustic)"].values()) == 443   # ... these do not
  assert balanced.drops.get("non-ASCII characters", 0) == 0 and len(balanced) > len(table)


def test_subset_is_seeded_and_counted():
  from lyric_jax.run.pipeline import load_table
  from lyric_jax.run.spec import RunSpec
  spec = RunSpec(experiment="t", dataset="synthetic", model="han", dataset_options={"num_examples": 50},
                 subset=20, split_seed=3)
  table = load_table(spec, None)
  assert len(table) == 20 and table.drops == {"outside the random subset of 20": 30}
  assert load_table(spec, None).frame["row"].tolist() == table.frame["row"].tolist()
