"""The classic baseline: the right model for each kind of data, tuned on val, scored by the
run's own objective, cached per split, and a clear 'skipped' without scikit-learn."""

import dataclasses
import importlib.util

import numpy as np
import pytest

from lyric_jax.data import sources
from lyric_jax.data.table import LABEL
from lyric_jax.run.pipeline import split_table
from lyric_jax.run.rundir import CLASSIC_CACHE_DIR
from lyric_jax.run.spec import RunSpec
from lyric_jax.train import classic_baseline as classic
from lyric_jax.train.metrics import evaluate
from lyric_jax.train.objectives import Classification, Regression

pytest.importorskip("sklearn")


def songs(features: bool = True, text: bool = True):
  table = sources.get("synthetic").load(num_examples=300, num_classes=4)
  if not features:
    table = dataclasses.replace(table, feature_names=())
  parts = split_table(table, RunSpec(experiment="t", dataset="synthetic", model="text"))
  labels = sorted(table.frame[LABEL].unique())
  return parts, labels


def majority_rate(parts) -> float:
  return float(parts["test"].frame[LABEL].value_counts(normalize=True).max())


@pytest.mark.parametrize("text, features, name", [
    (True, False, "TF-IDF word 1–2-grams + char 2–5-grams + logistic regression"),   # short texts: char n-grams too
    (False, True, "HistGradientBoosting"),
    (True, True, "stack: out-of-fold (5-fold) TF-IDF"),
])
def test_each_kind_of_data_gets_its_model_tuned_on_val(text, features, name):
  parts, labels = songs(features=features)
  objective = Classification(len(labels))
  result = classic.classic_baseline(parts, objective, labels, text=text)
  assert result["name"].startswith(name) and result["select_metric"] == "accuracy"
  grid = classic.LR_GRID if features is False else classic.HGB_GRID
  assert len(result["grid"]) == len(classic._grid(grid))
  best = max(result["grid"], key=lambda g: g["val_accuracy"])
  assert result["params"] == best["params"] and result["val"]["accuracy"] == pytest.approx(best["val_accuracy"])
  # The objective's own summary: every key the net's summaries have, loss and top-5 included.
  assert set(result["test"]) == set(evaluate(objective, {"probabilities": np.full((2, 4), 0.25)}, np.array([0, 1])))
  assert result["test"]["accuracy"] > majority_rate(parts) + 0.2 and result["test"]["loss"] > 0
  if text and features:
    assert result["text_only"]["name"].startswith("TF-IDF") and "C" in result["text_params"]


def test_the_same_split_gives_the_same_baseline():
  parts, labels = songs(features=False)
  first, again = (classic.classic_baseline(parts, Classification(len(labels)), labels, text=True) for _ in range(2))
  first.pop("fit_seconds"), again.pop("fit_seconds")
  assert first == again


def test_scores_get_ridge_and_beat_the_median():
  table = sources.get("synthetic_reviews").load(num_examples=300)
  spec = RunSpec(experiment="t", dataset="synthetic_reviews", model="cnn")
  parts = split_table(table, dataclasses.replace(spec, objective=dataclasses.replace(spec.objective, kind="regression",
                                                                                      loss="mae")))
  result = classic.classic_baseline(parts, Regression("mae"), [], text=True)
  assert "Ridge" in result["name"] and set(result["params"]) == {"alpha"}
  test = parts["test"].frame[LABEL].to_numpy(float)
  median = np.abs(test - np.median(parts["train"].frame[LABEL])).mean()
  assert result["test"]["mae"] < 0.8 * median and {"mae", "rmse", "bias", "loss"} <= set(result["test"])


def test_a_macro_select_metric_balances_the_classes():
  parts, labels = songs(features=False)
  result = classic.classic_baseline(parts, Classification(len(labels), "macro_f1"), labels, text=True)
  assert result["name"].endswith("(class-balanced)") and "val_macro_f1" in result["grid"][0]


def test_one_fit_per_split_is_cached_and_another_split_refits(tmp_path):
  parts, labels = songs(text=False)
  objective = Classification(len(labels))
  first = classic.classic_baseline(parts, objective, labels, text=False, cache_dir=tmp_path)
  again = classic.classic_baseline(parts, objective, labels, text=False, cache_dir=tmp_path)
  assert "cached" not in first and again.pop("cached").startswith(str(tmp_path)) and again == first
  other = {**parts, "test": dataclasses.replace(parts["test"], frame=parts["test"].frame.iloc[1:])}
  assert classic.cache_key(other, objective, labels, False) != classic.cache_key(parts, objective, labels, False)
  assert len(list(tmp_path.glob("*.json"))) == 1


def test_without_scikit_learn_the_result_says_so(monkeypatch):
  find_spec = importlib.util.find_spec
  monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else find_spec(name, *a))
  parts, labels = songs()
  result = classic.classic_baseline(parts, Classification(len(labels)), labels, text=True)
  assert result == {"skipped": "scikit-learn is not installed (pip install 'lyric_jax[classic]')"}


def test_study_jobs_on_one_split_share_one_baseline(real_data_dir, tmp_path):
  from experiments.baselines import job_baselines, markdown
  from experiments.studies import s1
  from experiments.studies.tasks import Options, check, plan
  tasks, _ = plan(s1.STUDY, Options("full", 3, real_data_dir, tmp_path))
  tasks = [t for t in tasks if t.job.name.startswith("tcc4-")]
  check(tasks)
  records = job_baselines(tasks, real_data_dir)
  assert [r["jobs"] for r in records] == [["tcc4-text"], ["tcc4-meta", "tcc4-meta-wide"], ["tcc4-combined"]]
  sizes = records[0]["sizes"]
  assert all(r["sizes"] == sizes for r in records) and sum(sizes.values()) == 381   # one split, every tcc4 row
  assert len(list((tmp_path / "S1" / CLASSIC_CACHE_DIR).glob("*.json"))) == 3     # where the runs look
  shown = "/".join(f"{sizes[k]:,}" for k in ("train", "val", "test"))
  assert f"| S1 | tcc4-meta, tcc4-meta-wide | {shown} | HistGradientBoosting (" in markdown(records)
