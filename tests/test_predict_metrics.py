"""predict computes the same metrics as training: predicting a run's own test split reproduces
results.json's test summary (every key, loss and top-5 included) for the chosen replica and the
ensemble, with no warnings; results.json carries the ensemble and the classic baseline. Several
runs of one task predict (and are evaluated on their shared split) as one ensemble."""

import dataclasses
import functools
import json
import warnings

import numpy as np
import pytest

from experiments.ensemble import ALL, evaluate_ensemble, markdown
from lyric_jax.data.encode import TextSpec
from lyric_jax.data.errors import DataError
from lyric_jax.predict import metrics_line, predict
from lyric_jax.run.pipeline import load_table, run, split_table
from lyric_jax.run.rundir import RESULTS_FILE
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.loop import FitConfig
from lyric_jax.train.objectives import ObjectiveSpec

FIT = FitConfig(epochs=2, batch_size=16, seeds=(0, 1), progress=False)
SPECS = {
    # 6 classes, so top-5 is a real metric; text and features, so the baseline is the stack
    "classification": RunSpec(experiment="t", dataset="synthetic", model="combined", fit=FIT,
                              dataset_options={"num_examples": 200, "num_classes": 6},
                              model_kwargs={"embed": 8, "text_out": 4},
                              text=TextSpec(max_len="24", min_frequency=1)),
    "regression": RunSpec(experiment="t", dataset="synthetic_reviews", model="cnn", fit=FIT,
                          dataset_options={"num_examples": 160}, features=False,
                          model_kwargs={"embed": 8, "filters": 4, "dense": 4},
                          text=TextSpec(tokenizer="keras", max_len="p95", min_frequency=1),
                          objective=ObjectiveSpec("regression", "mae")),
    # idf is fitted on the training split and checkpointed: predict must read it, not ones
    "tfidf_bag": RunSpec(experiment="t", dataset="synthetic", model="ngram_bag", fit=FIT,
                         dataset_options={"num_examples": 200, "num_classes": 6}, features=False,
                         model_kwargs={"embed": 8, "buckets": 256, "ngrams": 2, "weighting": "tfidf"},
                         text=TextSpec(max_len="24", min_frequency=1)),
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """name → (spec, run dir, results): each of SPECS trained once per module, on first use."""
  @functools.lru_cache(maxsize=None)
  def train(name):
    run_dir = tmp_path_factory.mktemp(name) / "run"
    return SPECS[name], run_dir, run(SPECS[name], run_dir)
  return train


@pytest.fixture(scope="module", params=sorted(SPECS))
def finished(request, trained):
  spec, run_dir, results = trained(request.param)
  return spec, run_dir, results, split_table(load_table(spec, None), spec)["test"]


def assert_same_summary(predicted: dict, trained: dict):
  for key, value in trained.items():
    np.testing.assert_allclose(predicted[key], value, rtol=2e-5, atol=1e-6, err_msg=key)


def test_predicting_the_test_split_reproduces_results_json(finished):
  spec, run_dir, results, test = finished
  with warnings.catch_warnings():
    warnings.simplefilter("error")            # e.g. pandas' PerformanceWarning for fragmented frames
    _, best = predict(run_dir, test, "best")
    _, together = predict(run_dir, test, "ensemble")
  chosen = results.best_replica()
  assert best["best_replica"] == chosen and set(results.test[chosen]) <= set(best)
  assert_same_summary(best, results.test[chosen])
  assert_same_summary(together, results.ensemble["test"])
  primary = results.headline[0]
  np.testing.assert_allclose(best[f"replica_{primary}_values"], [s[primary] for s in results.test], rtol=2e-5)
  assert best[f"ensemble_{primary}"] == pytest.approx(results.ensemble["test"][primary], rel=2e-5)
  if spec is SPECS["classification"]:                               # the spec whose top-5 is a real metric
    assert best["loss"] > 0 and 0 < best["top5_accuracy"] < 1       # were 0.0 before
  _, alias = predict(run_dir, test, "mean")
  assert alias["accuracy" if "accuracy" in alias else "mae"] == together["accuracy" if "accuracy" in alias else "mae"]


def test_metrics_line_names_the_chosen_model_and_the_others(finished):
  spec, run_dir, results, test = finished
  _, best = predict(run_dir, test, "best")
  _, together = predict(run_dir, test, "ensemble")
  primary = results.headline[0]
  line = metrics_line(best, "best", spec.objective.kind)
  assert f"(best replica on val: #{best['best_replica']}; replicas' {primary} " in line
  assert f"; ensemble of 2: {together[primary]:.4f})" in line
  line = metrics_line(together, "ensemble", spec.objective.kind)
  assert line.startswith(f"{ {'accuracy': 'accuracy', 'mae': 'MAE'}[primary]} {together[primary]:.4f}")
  assert "(ensemble of 2 replicas; replicas' " in line and f"; best on val (#{best['best_replica']}): " in line


def test_results_json_has_the_ensemble_and_the_classic_baseline(finished):
  spec, run_dir, results, _ = finished
  assert json.loads((run_dir / RESULTS_FILE).read_text()) == json.loads(json.dumps(results.to_json()))
  assert results.ensemble["replicas"] == 2 and set(results.ensemble["val"]) == set(results.val[0])
  classic = results.classic_baseline
  assert set(classic["test"]) == set(results.test[0]) and classic["fit_seconds"] > 0
  kind = "stack: " if spec.features else "TF-IDF"     # text and features, or text alone
  assert classic["name"].startswith(kind) and classic["params"] in [g["params"] for g in classic["grid"]]


def test_classic_baseline_can_be_turned_off(tmp_path):
  spec = dataclasses.replace(SPECS["classification"], classic_baseline=False, fit=dataclasses.replace(FIT, epochs=1))
  results = run(spec, tmp_path / "run")
  assert results.classic_baseline == {"skipped": "turned off (--noclassic_baseline)"}


def test_summaries_of_outputs_do_not_depend_on_the_chunk_size():
  from lyric_jax.train.metrics import population_summaries
  from lyric_jax.train.objectives import Classification
  rng = np.random.default_rng(0)
  probs = rng.dirichlet(np.ones(7), size=(3, 50)).astype(np.float32)
  labels = rng.integers(0, 7, 50)
  whole, chunked = (population_summaries(Classification(7), {"probabilities": probs}, labels, chunk=c) for c in (64, 8))
  for a, b in zip(whole, chunked):
    for key in a:
      np.testing.assert_allclose(a[key], b[key], rtol=1e-5, err_msg=key)
  assert whole[0]["count"] == 50 and 0 < whole[0]["top5_accuracy"] < 1


def test_the_tfidf_bag_restores_the_idf_fitted_on_its_training_split(finished):
  spec, run_dir, _, _ = finished
  if spec.model_kwargs.get("weighting") != "tfidf":
    pytest.skip("no fitted constants")
  from lyric_jax.data.encode import Preprocessor
  from lyric_jax.run import build
  preprocessor = Preprocessor.load(run_dir)
  train = split_table(load_table(spec, None), spec)["train"]
  arrays = preprocessor.encode(train)
  restored = build.restore(spec, preprocessor, run_dir, {k: v[:2] for k, v in arrays.items() if k != "label"})
  fitted = build.fitted_constants(restored.model, arrays)
  assert set(fitted) == {"constants/word_idf", "constants/word_ngram_idf"}
  for path, idf in fitted.items():
    assert idf.max() > 1                                               # not the init's ones
    group, name = path.split("/")
    np.testing.assert_allclose(np.asarray(restored.model_state[group][name]), np.broadcast_to(idf, (2, *idf.shape)))


def test_runs_of_one_task_predict_as_the_mean_of_all_their_replicas(trained):
  """Two models (a combined net and a TF-IDF bag, 2 replicas each) on one split: their joint
  probabilities are the mean of all 4 replicas', and experiments.ensemble reports each run's
  population and the pair, on val and test, as predict computes them."""
  (spec, combined, _), (_, bag, _) = trained("classification"), trained("tfidf_bag")
  test = split_table(load_table(spec, None), spec)["test"]
  joint, metrics = predict(f"{combined},{bag}", test, "ensemble")
  (one, _), (other, _) = predict(combined, test, "ensemble"), predict(bag, test, "ensemble")
  probabilities = [c for c in joint if c.startswith("p_")]
  assert len(probabilities) == 6
  np.testing.assert_allclose(joint[probabilities], (one[probabilities] + other[probabilities]) / 2, rtol=1e-5)
  assert len(metrics["replica_accuracy_values"]) == 4
  with pytest.raises(DataError, match="one ensemble only: use --replica=ensemble"):
    predict([combined, bag], test, "best")

  results = evaluate_ensemble([combined, bag], None)
  assert set(results) == {"val", "test"} and list(results["test"]) == [str(combined), str(bag), ALL]
  assert results["test"][ALL]["ensemble"]["accuracy"] == pytest.approx(metrics["accuracy"])
  assert [m["accuracy"] for m in results["test"][ALL]["replicas"]] == pytest.approx(metrics["replica_accuracy_values"])
  table = markdown(results, "macro_recall")
  assert table.count("\n") == 4 and f"| {ALL} | 4 | " in table


def test_an_ensemble_refuses_runs_of_other_tasks_or_splits(trained, tmp_path):
  (spec, combined, _), (_, regression, _) = trained("classification"), trained("regression")
  test = split_table(load_table(spec, None), spec)["test"]
  with pytest.raises(DataError, match="an ensemble needs runs of one task"):
    predict([combined, regression], test, "ensemble")
  with pytest.raises(DataError, match="split differently"):
    evaluate_ensemble([combined, regression], None)
