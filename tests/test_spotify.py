"""Study S4 data path: the spotify114 reader, grouped splits, genre merging, report, end to end."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lyric_jax.data import label_maps
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError
from lyric_jax.data.sources.spotify import FEATURES, read_spotify_tracks
from lyric_jax.data.table import GROUP, LABEL
from lyric_jax.report import collect, confusions, plots
from lyric_jax.report.tables import results_markdown
from lyric_jax.run.pipeline import load_table, split_table
from lyric_jax.run.results import Results
from lyric_jax.run.rundir import (CONFUSION_PNG, LEARNING_CURVES_PNG, PREDICTIONS_DIR, PREPROCESSOR_FILE, REPORT_FILE,
                                  RESULTS_FILE, predictions_file)
from lyric_jax.run.spec import RunSpec, load_spec
from tests.e2e.test_lyrics_meta_cli import assert_ran_in_process_spec

MERGE = "spotify_114_to_66"
# Eight of the 114 genres, merging into four: pop, rock, metal, jazz.
GENRES = ["pop", "k-pop", "j-pop", "rock", "alt-rock", "metal", "death-metal", "jazz"]


def spotify_frame(per_genre: int = 24, seed: int = 0) -> pd.DataFrame:
  """Rows in the dataset.csv layout; a quarter re-list another genre's track (same features)."""
  rng = np.random.default_rng(seed)
  rows = []
  for g, genre in enumerate(GENRES):
    for i in range(per_genre):
      if rows and rng.random() < 0.25:
        rows.append({**rows[int(rng.integers(len(rows)))], "track_genre": genre})
        continue
      rows.append({
          "track_id": f"t{g}_{i}", "artists": "a", "album_name": "b", "track_name": f"song {i}",
          "popularity": int(rng.integers(0, 100)), "duration_ms": int(rng.integers(1e5, 4e5)),
          "explicit": bool(rng.random() < 0.2), "danceability": rng.random(), "energy": g / 8 + rng.random() / 4,
          "key": int(rng.integers(-1, 12)), "loudness": -3.0 * g + rng.normal(), "mode": int(rng.integers(2)),
          "speechiness": rng.random(), "acousticness": (g % 4) / 4 + rng.random() / 8,
          "instrumentalness": rng.random(), "liveness": rng.random(), "valence": rng.random(),
          "tempo": 60 + 10 * g + rng.normal(), "time_signature": int(rng.choice([0, 3, 4, 5])),
          "track_genre": genre})
  return pd.DataFrame(rows).rename_axis(None).reset_index(drop=True)


@pytest.fixture
def data_file(tmp_path) -> Path:
  path = tmp_path / "dataset.csv"
  spotify_frame().to_csv(path)             # with the unnamed index column, like the original
  return path


def _spec(**fields) -> RunSpec:
  return RunSpec(experiment="spotify", dataset="spotify114", model="softmax", text=None, **fields)


def test_reader_encodes_categories_as_floats_and_counts_drops(data_file):
  frame = pd.read_csv(data_file)
  frame.loc[0, "energy"] = np.nan
  frame.loc[1, "key"] = np.nan
  frame.to_csv(data_file, index=False)
  table = read_spotify_tracks(data_file)
  assert table.drops == {"NaN or non-numeric feature": 2}
  assert list(table.feature_names) == FEATURES and "text" not in table.frame
  rows = pd.read_csv(data_file).iloc[table.frame["row"]]
  keys = table.frame[[f"key_{k}" for k in range(12)]].to_numpy()
  np.testing.assert_array_equal(keys.sum(1), (rows["key"] >= 0).to_numpy())   # key -1: all zeros
  np.testing.assert_array_equal(keys.argmax(1)[rows["key"].to_numpy() >= 0],
                                rows["key"][rows["key"] >= 0])
  assert set(table.frame["explicit"]) <= {0.0, 1.0}
  assert (table.frame[GROUP] == rows["track_id"].to_numpy()).all()
  unlabeled = read_spotify_tracks(data_file, labeled=False)
  assert not unlabeled.labeled and len(unlabeled) == len(table)


def test_grouped_split_keeps_each_track_in_one_split_and_row_split_leaks(data_file):
  table = read_spotify_tracks(data_file)
  for grouping in ("artist", "track", "none"):
    parts = split_table(table, _spec(grouping=grouping, split_fractions=(0.6, 0.2, 0.2)))
    assert sum(len(p) for p in parts.values()) == len(table)
    owners = pd.concat([p.frame[[GROUP]].assign(split=name) for name, p in parts.items()])
    straddling = (owners.groupby(GROUP)["split"].nunique() > 1).sum()
    assert (straddling > 0) if grouping == "none" else (straddling == 0)


def test_standardiser_is_fitted_on_train_only(data_file):
  table = read_spotify_tracks(data_file)
  parts = split_table(table, _spec(split_fractions=(0.6, 0.2, 0.2)))
  pre = Preprocessor.fit(parts["train"], sorted(set(table.frame[LABEL])), text=None)
  train = parts["train"].frame[FEATURES].to_numpy(np.float64)
  np.testing.assert_allclose(pre.feature_mean, train.mean(0), rtol=1e-6)
  everything = table.frame[FEATURES].to_numpy(np.float64)
  assert not np.allclose(pre.feature_mean, everything.mean(0))
  train_features = pre.encode(parts["train"])["features"]
  varying = train.std(0) > 0
  np.testing.assert_allclose(train_features.mean(0), 0, atol=1e-5)
  np.testing.assert_allclose(train_features.std(0)[varying], 1, atol=1e-4)


def test_quantile_scaling_is_fitted_on_train_only_and_survives_save_and_load(data_file, tmp_path):
  table = read_spotify_tracks(data_file)
  parts = split_table(table, _spec(split_fractions=(0.6, 0.2, 0.2)))
  pre = Preprocessor.fit(parts["train"], sorted(set(table.frame[LABEL])), text=None, feature_transform="quantile")
  train = parts["train"].frame[FEATURES].to_numpy(np.float64)
  np.testing.assert_allclose(np.array(pre.feature_quantiles)[:, [0, -1]], np.stack([train.min(0), train.max(0)], 1))
  features = pre.encode(parts["train"])["features"]
  duration = FEATURES.index("duration_ms")      # continuous: ranks → normal, in training order
  assert (np.diff(features[np.argsort(train[:, duration]), duration]) >= 0).all()
  np.testing.assert_allclose(features[:, duration].std(), 1, atol=0.05)
  test = parts["test"].frame.copy()
  test["duration_ms"] = [1e12] * len(test)      # far outside the training range: the edge, not beyond
  assert np.isfinite(pre.encode(dataclasses.replace(parts["test"], frame=test))["features"]).all()
  pre.save(tmp_path)
  np.testing.assert_array_equal(Preprocessor.load(tmp_path).encode(parts["test"])["features"],
                                pre.encode(parts["test"])["features"])


def test_merge_map_covers_114_genres_into_66():
  mapping = label_maps.load_label_map(MERGE)
  assert len(mapping) == 114 and len(set(mapping.values())) == 66
  assert {mapping[g] for g in ["pop", "indie-pop", "j-pop", "k-pop", "mandopop", "cantopop"]} == {"pop"}


def test_merge_map_names_exactly_the_real_files_genres(real_data_dir):
  path = real_data_dir / "spotify_tracks_114genres_dev.csv.gz"
  if not path.exists():
    pytest.skip(f"{path} not present")
  genres = set(pd.read_csv(path, usecols=["track_genre"])["track_genre"])
  assert genres == set(label_maps.load_label_map(MERGE))


def test_merge_map_rejects_unknown_genres_and_duplicates(data_file, tmp_path):
  table = read_spotify_tracks(data_file)
  table.frame.loc[0, LABEL] = "polka"
  with pytest.raises(DataError, match="polka"):
    label_maps.apply_label_map(table, MERGE)
  bad = tmp_path / "bad.json"
  bad.write_text(json.dumps({"merged": {"x": {"members": ["a", "b"]}}, "unchanged": ["a"]}))
  with pytest.raises(DataError, match="twice"):
    label_maps.load_label_map(str(bad))


def test_merged_labels_are_the_same_in_every_split(data_file):
  spec = _spec(label_map=MERGE, split_fractions=(0.6, 0.2, 0.2))
  table = load_table(spec, str(data_file.parent))
  assert set(table.frame[LABEL]) == {"pop", "rock", "metal", "jazz"}
  mapping = label_maps.load_label_map(MERGE)
  raw = read_spotify_tracks(data_file).frame.set_index("row")[LABEL]
  for part in split_table(table, spec).values():
    np.testing.assert_array_equal(part.frame[LABEL], raw.loc[part.frame["row"]].map(mapping))


def test_confusion_helpers_order_and_rank_pairs(tmp_path):
  labels = ["a", "b", "c", "d"]
  confusion = np.array([[8, 0, 2, 0], [0, 9, 0, 1], [3, 0, 7, 0], [0, 1, 0, 9]])
  order = confusions.cluster_order(confusion)
  assert sorted(order) == [0, 1, 2, 3] and abs(order.index(0) - order.index(2)) == 1
  pairs = confusions.confused_pairs(confusion, labels, top=3)
  assert [(p["a"], p["b"], p["a_as_b"], p["b_as_a"]) for p in pairs] == [("a", "c", 2, 3), ("b", "d", 1, 1)]
  many = np.random.default_rng(0).integers(0, 5, (30, 30)) + 20 * np.eye(30)   # the >20-label layout
  plots.confusion_matrix(many, [f"genre-{i}" for i in range(30)], tmp_path / "c.png", "test")
  assert (tmp_path / "c.png").stat().st_size > 1000


def test_e2e_train_and_predict_with_and_without_labels(data_file, tmp_path):
  env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
  workdir = tmp_path / "runs"
  train = subprocess.run(
      [sys.executable, "-m", "experiments.spotify", "--model=mlp_dropout", "--hidden=16,16",
       "--merge_genres", f"--data_dir={data_file.parent}", "--epochs=2", "--num_seeds=2",
       "--batch_size=16", f"--workdir={workdir}", "--progress=false"],
      capture_output=True, text=True, env=env, timeout=300)
  assert train.returncode == 0, train.stderr[-3000:]
  run_dir = workdir / "spotify-mlp_dropout-spotify114-spotify_114_to_66"
  assert_ran_in_process_spec(run_dir, "spotify", *train.args[3:])     # --hidden=16,16 → (16, 16)
  results = json.loads((run_dir / RESULTS_FILE).read_text())
  assert results["data"]["labels"] == ["jazz", "metal", "pop", "rock"]
  assert {REPORT_FILE, CONFUSION_PNG, LEARNING_CURVES_PNG} <= {p.name for p in run_dir.iterdir()}
  assert "Most-confused label pairs" in (run_dir / REPORT_FILE).read_text()
  header, _, row, ensemble, classic = collect.table([collect.load(run_dir)], metrics=("top5_accuracy",)).splitlines()
  assert row.count("±") == 3                                   # accuracy, macro-F1, top-5
  assert ensemble.startswith("| ↳ ensemble |") and classic.startswith("| ↳ classic baseline (this split) |")
  assert "HistGradientBoosting" in classic and header.count("|") == row.count("|") == classic.count("|")

  # The run's own preprocessing: fitted on exactly the rows of its train split.
  spec = load_spec(run_dir)
  train_rows = split_table(load_table(spec, str(data_file.parent)), spec)["train"].frame
  saved = json.loads((run_dir / PREPROCESSOR_FILE).read_text())
  np.testing.assert_allclose(saved["feature_mean"], train_rows[FEATURES].to_numpy(np.float64).mean(0),
                             rtol=1e-6)

  unlabeled = tmp_path / "new_tracks.csv"
  pd.read_csv(data_file).drop(columns=["track_genre"]).head(30).to_csv(unlabeled, index=False)
  for path, labeled in ((data_file, True), (unlabeled, False)):
    out = subprocess.run([sys.executable, "-m", "lyric_jax.predict", f"--run_dir={run_dir}",
                          f"--data_file={path}"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    predictions = pd.read_csv(run_dir / predictions_file(path.name.split('.')[0]))
    assert set(predictions["predicted"]) <= {"jazz", "metal", "pop", "rock"}
    assert ("label" in predictions) == labeled
    if labeled:   # the file's 114-genre labels are merged exactly as in training
      assert set(predictions["label"]) == {"jazz", "metal", "pop", "rock"}
      metrics = json.loads((run_dir / PREDICTIONS_DIR / "dataset.metrics.json").read_text())
      assert 0 <= metrics["accuracy"] <= 1 and len(metrics["replica_accuracy_values"]) == 2
    else:
      assert len(predictions) == 30


def test_results_markdown_shows_the_studys_merged_number():
  spec = dataclasses.replace(_spec(label_map=MERGE), model="dense_lstm").to_json()
  summary = {"accuracy": 0.4, "macro_f1": 0.3, "top5_accuracy": 0.7, "per_class_accuracy": [0.4, 0.4],
             "confusion": [[4, 6], [6, 4]]}
  results = {"spec": spec, "test": [summary], "val": [summary], "eval_split": "test",
             "data": {"rows": 20, "drops": {}, "split_sizes": {}, "labels": ["pop", "rock"]},
             "replicas": [{"seed": 0, "lr": 1e-3}], "best_epoch": [1], "majority_rate": 0.5,
             "train_examples_per_second": 1.0, "history": []}
  markdown = results_markdown(Results.from_json(results))
  assert "40.79 (S4 Dense(250)→LSTM(80), test accuracy, 66 merged genres)" in markdown
  assert "pop ↔ rock | 6 | 6" in markdown
