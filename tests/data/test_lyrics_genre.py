"""Study S0 sources on small fixtures: lastfm17 (tags → one genre) and MetroLyrics."""

import pandas as pd
import pytest

from lyric_jax.data import clean, sources
from lyric_jax.data.lyrics_genre import GENRE_ORDER

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


def test_lastfm17_single_label_rules_and_counts(tmp_path):
  path = tmp_path / "lyrics_lastfm17_genius.csv.gz"
  lastfm_rows().to_csv(path, index=False)
  table = sources.get("lastfm17").load(tmp_path, english_only=False)
  labels = dict(zip(table.frame["group"], table.frame["label"]))
  assert labels == {"A|Solo": "rock", "B|Both": "rap", "C|Merged": "rap", "F|Jazzy": "blues"}
  assert table.drops == {
      "suspect Genius match (under 100 or over 10,000 chars)": 1,
      "no genre tag (only 80s/british/acoustic)": 2,
      "same song listed under another tag (one row kept)": 3,
      "non-ASCII characters": 1,
  }
  assert len(table) + sum(table.drops.values()) == 11                # nothing lost silently
  assert table.notes == {"several genre tags, resolved to the best-ranked one": 2}
  assert table.frame.set_index("group").loc["B|Both", "row"] == 1     # the row of the chosen tag
  assert "tickets" not in " ".join(table.frame["text"])               # Genius ad stripped
  assert "\n" in table.frame["text"].iloc[0]                          # line breaks kept for the HAN


def test_lastfm17_multi_genre_drop_rule(tmp_path):
  path = tmp_path / "lyrics_lastfm17_genius_dev.csv.gz"
  lastfm_rows().to_csv(path, index=False)
  table = sources.get("lastfm17").load(tmp_path, english_only=False, multi_genre="drop")
  assert sorted(table.frame["label"]) == ["rap", "rock"]              # Merged (rap) and Solo
  assert table.drops["several genre tags (multi_genre=drop)"] == 4    # Both's 3 rows, Jazzy's 1
  assert len(table) + sum(table.drops.values()) == 11
  with pytest.raises(ValueError, match="multi_genre"):
    sources.get("lastfm17").load(tmp_path, multi_genre="vote")


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
  transform = sources.get("lastfm17").text_transform
  assert transform(pd.Series(["[Chorus]\nI\u2019m here, x2"])).iloc[0] == "I'm here"


def test_real_lastfm17_dev_loads(real_data_dir):
  table = sources.get("lastfm17").load(real_data_dir, english_only=False)
  assert len(table) + sum(table.drops.values()) == 13241
  assert table.drops["suspect Genius match (under 100 or over 10,000 chars)"] == 127
  assert set(table.frame["label"]) == set(GENRE_ORDER)
  assert table.frame["group"].is_unique


def test_subset_is_seeded_and_counted():
  from lyric_jax.experiment import RunSpec, load_table
  spec = RunSpec(experiment="t", dataset="synthetic", model="han", dataset_options={"num_examples": 50},
                 subset=20, split_seed=3)
  table = load_table(spec, None)
  assert len(table) == 20 and table.drops == {"outside the random subset of 20": 30}
  assert load_table(spec, None).frame["row"].tolist() == table.frame["row"].tolist()
