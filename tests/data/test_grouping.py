"""Split groupings: no normalised artist and no normalised text in two splits (old runs keep
theirs: tests/run/test_spec.py)."""

import numpy as np
import pandas as pd
import pytest

from lyric_jax.data.errors import ConfigError
from lyric_jax.data.grouping import artist_key, first_listed, merge_by, split_groups, text_key
from lyric_jax.data.splits import stratified_group_split
from lyric_jax.data.table import ARTIST, GROUP, LABEL, ROW, TEXT, build_table
from lyric_jax.run.pipeline import assign_splits, load_table, run, split_table
from lyric_jax.run.rundir import SPLIT_FILE
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.loop import FitConfig


@pytest.mark.parametrize("spellings", [
    ("Bob Marley", "Bob Marley & The Wailers", "bob marley and the wailers", "BOB MARLEY"),
    ("Ke$ha", "Kesha", "KESHA"),
    ("A and B", "A & B", "A + B"),
    ("X feat. Y", "X", "X (ft. Z)", "X featuring Y & Z"),
    ("Beyonc\u00e9", "Beyonce"),
    ("The Beatles", "Beatles"),
    ("Guns N' Roses", "Guns N Roses", "guns n  roses"),
])
def test_artist_spellings_meet(spellings):
  assert len({artist_key(s) for s in spellings}) == 1


def test_artist_key_keeps_names_apart_that_only_look_like_rules():
  assert artist_key("Little Feat") == "littlefeat"         # a band, not a credit
  assert artist_key("FT Island") == "ftisland"
  assert artist_key("Simon & Garfunkel") != artist_key("Simon")
  assert artist_key("") == "" and artist_key("!!!") == ""     # no artist: merges nothing


def test_first_listed_artist_of_list_cells():
  cells = pd.Series(["['DNCE', 'Nicki Minaj']", "Queen", "[not a list", "[]"])
  assert first_listed(cells).tolist() == ["DNCE", "Queen", "[not a list", "[]"]


def test_text_key_ignores_case_punctuation_and_spacing():
  assert text_key("Hello, World!\nAgain") == text_key("hello world again") == "helloworldagain"


def test_merge_by_joins_chains_transitively():
  # rows 0-1 share a value, 1-2 already share a group, 2-3 share another value; 4 alone; '' joins nothing
  ids = merge_by(np.array([0, 1, 1, 3, 4, 5, 6]), np.array(["a", "a", "b", "b", "c", "", ""]))
  assert ids.tolist() == [0, 0, 0, 0, 4, 5, 6]


def fixture_table():
  """Variant spellings of four artists, a track listed twice, one text under three artists."""
  rows = [
      ("Bob Marley", "One Love", "One love, one heart", "reggae"),
      ("Bob Marley", "One Love", "one love one heart (live)", "rock"),    # the same track again
      ("Bob Marley & The Wailers", "Jamming", "jamming jamming", "reggae"),
      ("Ke$ha", "Tik Tok", "wake up in the morning", "pop"),
      ("Kesha", "Praying", "when I'm praying", "pop"),
      ("Kesha", "Cover", "Hello world!!", "pop"),
      ("A and B", "Song 1", "first song of a and b", "rock"),
      ("A & B", "Song 2", "second song of a and b", "rock"),
      ("X feat. Y", "Hit", "the hit", "rap"),
      ("X", "Other", "the other one", "rap"),
      ("Solo 1", "Copy", "Hello, World!", "rock"),                      # the Kesha cover's text ...
      ("Solo 2", "Copy", "hello world", "pop"),                         # ... twice more, other labels
  ]
  labels = ["rock", "pop", "rap", "reggae"]
  rows += [(f"Artist {i}", f"Track {i}", f"filler song number {i}", labels[i % 4]) for i in range(60)]
  frame = pd.DataFrame(rows, columns=["artist", "track", "lyrics", "genre"])
  return build_table(frame, source="fixture", text="lyrics", label="genre", features=[],
                     group=["artist", "track"], artist="artist")


def owners(table, which, key) -> pd.Series:
  """For each key value, the number of splits its rows are in."""
  keys = table.frame[key[0]].map(key[1])
  frame = pd.DataFrame({"key": keys, "split": which})
  return frame[frame["key"] != ""].groupby("key")["split"].nunique()


def test_artist_grouping_keeps_every_artist_and_text_in_one_split():
  table = fixture_table()
  groups = split_groups(table, "artist")
  assert groups.merged == {"track": 1, "artist": 5, "text": 2}
  assert groups.describe() == ("split groups (artist): 72 rows → 64 groups (track key merged 1, artist key "
                               "merged 5, text hash merged 2; largest group 5 rows)")
  crossed_by_track = 0
  for seed in range(10):
    for fractions in ((0.8, 0.1, 0.1), (0.4, 0.3, 0.3)):
      spec = RunSpec(experiment="t", dataset="fixture", model="", split_seed=seed, split_fractions=fractions)
      which = assign_splits(table, spec, groups)
      assert (owners(table, which, (ARTIST, artist_key)) == 1).all()
      assert (owners(table, which, (TEXT, text_key)) == 1).all()
      track = assign_splits(table, RunSpec(**{**spec.__dict__, "grouping": "track"}))
      crossed_by_track += int((owners(table, track, (ARTIST, artist_key)) > 1).sum())
  assert crossed_by_track > 0     # what the artist grouping prevents: the old one lets artists cross


def test_track_grouping_is_the_split_of_runs_before_groupings():
  table = fixture_table()
  old = stratified_group_split(table.frame[LABEL].to_numpy(), table.frame[GROUP].to_numpy(), seed=4)
  which = assign_splits(table, RunSpec(experiment="t", dataset="fixture", model="", split_seed=4, grouping="track"))
  assert all(np.array_equal(np.flatnonzero(which == name), idx) for name, idx in old.items())
  assert split_groups(table, "track").merged == {"track": 1}
  assert split_groups(table, "none").num_groups == len(table)


def test_balanced_split_keeps_sizes_and_class_shares_with_large_groups():
  table = fixture_table()
  artist = np.where(np.arange(len(table)) < 40, "Big", table.frame[ARTIST])   # one artist holds 40 of 72 rows
  table.frame[ARTIST] = artist
  which = assign_splits(table, RunSpec(experiment="t", dataset="fixture", model="", split_fractions=(0.5, 0.25, 0.25)))
  assert (which[:40] == "train").all()              # too big for a quarter of any class
  counts = pd.crosstab(table.frame[LABEL], which)
  assert (counts[["val", "test"]] == 4).all().all()   # the other rows even out every class


def test_unknown_grouping_is_a_clear_error():
  with pytest.raises(ValueError, match="grouping must be one of"):
    split_groups(fixture_table(), "album")


def test_a_run_writes_its_split_and_the_grouping_counts(tmp_path):
  spec = RunSpec(experiment="t", dataset="synthetic", model="text", dataset_options={"num_examples": 60},
                 model_kwargs={"embed": 4, "hidden": 4}, train_subsample=2,
                 fit=FitConfig(epochs=1, batch_size=16, seeds=(0,), progress=False))
  results = run(spec, tmp_path / "run")
  split = pd.read_csv(tmp_path / "run" / SPLIT_FILE)
  table = load_table(spec, None)
  assert split.columns.tolist() == [ROW, "split"]
  assert split[ROW].tolist() == table.frame[ROW].tolist()      # one line per kept row
  sizes = split["split"].value_counts().to_dict()
  assert {k: sizes[k] for k in results.data["split_sizes"]} == results.data["split_sizes"]
  assert sizes["unused"] == sizes["train"] or sizes["unused"] == sizes["train"] - 1   # every 2nd train row
  parts = split_table(table, spec)
  assert set(split.loc[split["split"] == "test", ROW]) == set(parts["test"].frame[ROW])
  assert results.data["split_groups"]["groups"] == results.data["split_groups"]["rows"] == 60
  assert not list((tmp_path / "run").glob(".split.*"))   # no temp file left


def test_real_lastfm17_artist_grouping_lets_no_artist_cross(real_data_dir):
  spec = RunSpec(experiment="t", dataset="lastfm17", model="", dataset_options={"english_only": False})
  table = load_table(spec, str(real_data_dir))
  which = assign_splits(table, spec)
  artists = table.frame[ARTIST].map(artist_key)
  assert (owners(table, which, (ARTIST, artist_key)) == 1).all()
  assert (owners(table, which, (TEXT, text_key)) == 1).all()
  old = assign_splits(table, RunSpec(**{**spec.__dict__, "grouping": "track"}))
  in_train = set(artists[old == "train"])
  assert np.mean([a in in_train for a in artists[old == "test"]]) > 0.8   # the leak the old grouping had
  shares = pd.crosstab(table.frame[LABEL], which, normalize="columns")
  assert (shares.sub(shares["train"], axis=0).abs() < 0.01).all().all()   # classes alike in every split


def test_grouping_flags_and_the_older_nogrouped_split():
  from experiments.experiment import default_run_name, job_spec
  assert [job_spec("lstm", argv).grouping for argv in ([], ["--grouping=track"], ["--nogrouped_split"],
                                                       ["--nogrouped_split", "--grouping=none"])] == \
      ["artist", "track", "none", "none"]
  with pytest.raises(ConfigError, match="--nogrouped_split means --grouping=none"):
    job_spec("lstm", ["--nogrouped_split", "--grouping=artist"])
  with pytest.raises(ConfigError, match="album"):
    job_spec("lstm", ["--grouping=album"])
  names = [default_run_name(RunSpec(experiment="lstm", dataset="lastfm17", model="rnn", grouping=g))
           for g in ("artist", "track", "none")]
  assert names == ["lstm-rnn-lastfm17", "lstm-rnn-lastfm17-trackgrouped", "lstm-rnn-lastfm17-ungrouped"]
