"""Reports: learning rate chosen on validation, tables and plots written."""

import numpy as np

from lyric_jax.report import plots
from lyric_jax.report.tables import results_markdown
from lyric_jax.run.results import Results
from lyric_jax.run.rundir import SPLIT_FILE


def fake_results(val, test):
  summary = lambda acc: {"accuracy": acc, "macro_f1": acc, "top5_accuracy": 1.0,
                         "per_class_accuracy": [acc, acc], "confusion": [[1, 0], [0, 1]], "loss": 1.0}
  replicas = [{"seed": s, "lr": lr} for s in (0, 1) for lr in (1e-3, 1e-2)]
  return {"spec": {"experiment": "lyrics_meta", "model": "meta", "dataset": "tcc_ceds"},
          "data": {"rows": 10, "drops": {}, "split_sizes": {}, "labels": ["a", "b"]},
          "replicas": replicas, "best_epoch": [1] * 4, "eval_split": "test", "majority_rate": 0.5,
          "val": [summary(v) for v in val], "test": [summary(t) for t in test],
          "train_examples_per_second": 1.0, "history": []}


def markdown(results: dict) -> str:
  return results_markdown(Results.from_json(results))


def test_learning_rate_is_selected_on_validation_not_test():
  # replicas: (s0, 1e-3), (s0, 1e-2), (s1, 1e-3), (s1, 1e-2); 1e-2 wins on val, 1e-3 on test
  results = fake_results(val=[0.5, 0.7, 0.5, 0.7], test=[0.9, 0.6, 0.9, 0.62])
  lr, idx = Results.from_json(results).selected()
  assert lr == 1e-2 and idx == [1, 3]
  table = markdown(results)        # results.json written before the ensemble and classic rows
  assert "| ours: lr 0.01, mean ± std over 2 seeds | 61.00 ± 1.00 | 61.00 ± 1.00 | 100.00 ± 0.00 |" in table
  assert "| majority class | 50.00 |" in table and "| study (its data) | 65.30 (S1 metadata MLP" in table
  assert "0.01 (selected on val)" in table and "ensemble" not in table and "Reading" not in table


def test_ensemble_and_classic_baseline_rows_and_the_reading():
  results = fake_results(val=[0.5, 0.7, 0.5, 0.7], test=[0.9, 0.6, 0.9, 0.62])
  metrics = lambda acc: {"accuracy": acc, "macro_f1": acc, "top5_accuracy": 1.0}
  results["ensemble"] = {"replicas": 4, "val": metrics(0.7), "test": metrics(0.66)}
  results["classic_baseline"] = {"name": "TF-IDF + LR", "params": {"C": 3.0}, "train_rows": 100, "tuned_on_rows": 100,
                                 "fit_seconds": 2.0, "select_metric": "accuracy", "val": metrics(0.6),
                                 "test": metrics(0.65)}
  table = markdown(results)
  assert "| ours: ensemble of all 4 replicas (mean probabilities) | 66.00 | 66.00 | 100.00 |" in table
  assert "| classic baseline, same split: TF-IDF + LR (C 3; tuned on val; 2 s) | 65.00 | 65.00 | 100.00 |" in table
  assert ("the net (mean over seeds) loses by 4.00 points of accuracy (61.00 vs 65.00), "
          "its ensemble wins by 1.00.") in table
  results["classic_baseline"] = {"skipped": "scikit-learn is not installed"}
  assert "| classic baseline: skipped (scikit-learn is not installed) |  |  |  |" in markdown(results)


def test_a_score_run_without_its_classic_baseline_still_reports():
  summary = {"mae": 0.2, "rmse": 0.25, "bias": 0.01}
  results = {**fake_results([0.5] * 4, [0.5] * 4), "objective": "regression", "score_range": [0.1, 1.0],
             "val": [summary] * 4, "test": [summary] * 4, "classic_baseline": {"skipped": "turned off"},
             "baseline": {"seeds": [0], "mae_mean": 0.4, "mae_std": 0.0, "rmse_mean": 0.5, "rmse_std": 0.0,
                          "bias_mean": 0.0, "bias_std": 0.0, "train_median": 0.6,
                          "median_constant": {"mae": 0.33, "rmse": 0.4, "bias": 0.0}}}
  results["spec"] = {**results["spec"], "experiment": "review_cnn", "model": "cnn", "dataset": "synthetic_reviews",
                     "objective": {"loss": "mae", "sample_weights": "none"}, "embedding": {"freeze": False},
                     "fit": {"batch_size": 32}}
  results["data"] = {**results["data"], "vocab_size": 10, "max_len": 5}
  assert "| classic baseline: skipped (turned off) |  |  |  |" in markdown(results)


def test_plots_are_written(tmp_path):
  plots.confusion_matrix(np.array([[3, 1], [0, 2]]), ["a", "b"], tmp_path / "c.png")
  history = [{"epoch": e, "train": [{"loss": 1.0 / e, "accuracy": 0.5}], "val": [{"loss": 1.0, "accuracy": 0.4}]}
             for e in (1, 2)]
  plots.learning_curves(history, tmp_path / "l.png")
  assert (tmp_path / "c.png").stat().st_size > 1000 and (tmp_path / "l.png").stat().st_size > 1000


def test_run_report_says_how_the_split_was_grouped():
  results = fake_results(val=[0.5] * 4, test=[0.5] * 4)
  assert SPLIT_FILE not in markdown(results)       # results written before groupings
  results["data"]["split_groups"] = {"grouping": "artist", "rows": 1200, "groups": 300, "largest_group": 40,
                                     "merged": {"track": 0, "artist": 880, "text": 20}}
  assert ("2 classes. Split groups (artist): 1,200 rows → 300 groups (track key merged 0, artist key merged 880, "
          f"text hash merged 20; largest group 40 rows); each row's split is in {SPLIT_FILE}.") in markdown(results)
