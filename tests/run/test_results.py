"""results.json as a typed Results: today's keys kept exactly, older files read, one rule for the
best replica, the learning rate reports average over, and the ensemble."""

import numpy as np
import pytest

from lyric_jax.data.errors import DataError
from lyric_jax.run.results import HEADLINE, RESULTS_VERSION, Results, choose_replica
from lyric_jax.run.spec import RunSpec

# The keys (and order) results.json has had since the classic baseline was added.
CLASSIFICATION_KEYS = ["spec", "objective", "headline", "data", "eval_split", "select_metric", "baseline",
                       "majority_label", "majority_rate", "replicas", "best_epoch", "diverged_epoch", "val", "test",
                       "ensemble", "classic_baseline", "train_examples_per_second", "throughput", "history",
                       "attention_png"]


def results_json(val=(0.5, 0.7, 0.5, 0.72), spec=None, **fields) -> dict:
  """A classification run's results.json: 2 seeds × learning rates 1e-3, 1e-2 (seed-major)."""
  summary = lambda acc: {"accuracy": acc, "macro_f1": acc, "top5_accuracy": 1.0, "loss": 1.0}
  replicas = [{"seed": s, "lr": lr} for s in (0, 1) for lr in (1e-3, 1e-2)]
  d = {"spec": spec or RunSpec(experiment="t", dataset="synthetic", model="text").to_json(),
       "objective": "classification", "headline": list(HEADLINE["classification"]),
       "data": {"rows": 10, "labels": ["a", "b"]}, "eval_split": "test", "select_metric": "accuracy",
       "baseline": {"name": "majority class", "label": "a", "accuracy": 0.5},
       "majority_label": "a", "majority_rate": 0.5, "replicas": replicas, "best_epoch": [1, 2, 1, 2],
       "diverged_epoch": [0] * 4, "val": [summary(v) for v in val], "test": [summary(0.6)] * 4,
       "ensemble": {"replicas": 4, "val": summary(0.7), "test": summary(0.65)}, "classic_baseline": None,
       "train_examples_per_second": 10.0, "throughput": {"examples_per_second": 10.0, "population": 4},
       "history": [], "attention_png": None}
  return {**d, **fields}


def test_to_json_writes_todays_keys_in_order_plus_the_version():
  d = results_json()
  assert list(d) == CLASSIFICATION_KEYS
  assert Results.from_json(d).to_json() == {**d, "results_version": RESULTS_VERSION}
  assert list(Results.from_json(d).to_json()) == CLASSIFICATION_KEYS + ["results_version"]
  scores = {k: v for k, v in results_json(objective="regression", headline=list(HEADLINE["regression"])).items()
            if k not in ("majority_label", "majority_rate")}
  scores = {**scores, "score_range": [0.0, 1.0]}
  assert Results.from_json(scores).to_json() == {**scores, "results_version": RESULTS_VERSION}


def test_older_results_read_with_what_they_did_not_record():
  old = {k: v for k, v in results_json().items() if k in ("spec", "data", "eval_split", "replicas", "best_epoch",
                                                          "val", "test", "train_examples_per_second", "history")}
  results = Results.from_json({**old, "spec": {**old["spec"], "select_metric": "f1"}})
  assert results.objective == "classification" and results.headline == HEADLINE["classification"]
  assert results.select_metric == "f1"            # binary: the positive class's F1
  assert results.diverged_epoch == [0] * 4 and results.ensemble is None and results.classic_baseline is None
  assert Results.from_json({**old, "objective": "regression"}).select_metric == "neg_mae"


def test_best_replica_learning_rate_and_choice_follow_validation():
  results = Results.from_json(results_json(val=(0.5, 0.7, 0.5, 0.72)))
  assert results.best_replica() == 3
  assert results.selected() == (1e-2, [1, 3])     # the rate with the best mean over its seeds
  values = np.arange(8.0).reshape(4, 2)
  scores = results.val_scores()
  assert choose_replica(values, scores, "best").tolist() == [6.0, 7.0]
  assert choose_replica(values, scores, "ensemble").tolist() == choose_replica(values, scores, "mean").tolist() \
      == [3.0, 4.0]
  assert choose_replica(values, scores, "1").tolist() == [2.0, 3.0]
  with pytest.raises(DataError, match="--replica must be best, ensemble"):
    choose_replica(values, scores, "4")


def test_a_file_that_is_not_results_or_is_newer_is_refused():
  with pytest.raises(DataError, match="unknown fields"):
    Results.from_json({**results_json(), "typo": 1})
  with pytest.raises(DataError, match="missing fields"):
    Results.from_json({"spec": {}})
  with pytest.raises(DataError, match="newer"):
    Results.from_json({**results_json(), "results_version": RESULTS_VERSION + 1})
