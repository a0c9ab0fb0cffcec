"""experiments.resplit: one experiment on several splits, paired with its classic baseline on each."""

import json
from pathlib import Path

import pandas as pd
import pytest

from experiments.resplit import markdown, paired, split_scores
from lyric_jax.run.results import Results
from lyric_jax.run.rundir import RESULTS_FILE, SPLIT_FILE
from tests.e2e.test_lyrics_meta_cli import cli
from tests.test_reproduce import fixture_results


def results_with_baseline(test_accuracies, ensemble: float, classic: float) -> Results:
  d = fixture_results("classification")
  d["test"] = [{"accuracy": a, "macro_f1": a - 0.1} for a in test_accuracies]
  d["ensemble"] = {"replicas": 2, "val": {"accuracy": 0.5}, "test": {"accuracy": ensemble}}
  d["classic_baseline"] = {"name": "LR", "params": {}, "train_rows": 305, "fit_seconds": 1.0,
                           "val": {"accuracy": 0.45}, "test": {"accuracy": classic}}
  return Results.from_json(d)


def test_paired_differences_and_their_spread_over_splits():
  per_split = {0: split_scores(results_with_baseline([0.60, 0.70], ensemble=0.68, classic=0.62), "accuracy"),
               1: split_scores(results_with_baseline([0.50, 0.54], ensemble=0.55, classic=0.56), "accuracy")}
  assert per_split[0]["test"] == {"replicas": [0.60, 0.70], "mean": pytest.approx(0.65), "ensemble": 0.68,
                                  "classic": 0.62}
  assert paired(per_split, "test", "mean") == pytest.approx([0.03, -0.04])
  assert paired(per_split, "val", "ensemble") == pytest.approx([0.05, 0.05])
  table = markdown(per_split, "accuracy")
  assert "| 0 | test | 65.00 ± 5.00 | 68.00 | 62.00 | +3.00 | +6.00 |" in table
  assert "| 1 | test | 52.00 ± 2.00 | 55.00 | 56.00 | −4.00 | −1.00 |" in table
  # mean of (+3, −4) = −0.5, sample std 4.95; the ensemble: (+6, −1) → 2.5 ± 4.95
  assert ("- test: the net (mean over seeds) − the classic baseline = −0.50 ± 4.95 points of accuracy (mean ± "
          "sample std over 2 splits; higher is better), ahead on 1 of 2.") in table
  assert "- test: its ensemble − the classic baseline = +2.50 ± 4.95 points of accuracy" in table


def test_scores_count_the_net_ahead_when_its_error_is_lower():
  d = fixture_results("regression")        # test MAE 0.28 and 0.30: mean 0.29
  d["classic_baseline"] = {"name": "Ridge", "params": {}, "train_rows": 5000, "fit_seconds": 1.0,
                           "val": {"mae": 0.25}, "test": {"mae": 0.31}}
  table = markdown({0: split_scores(Results.from_json(d), "mae")}, "mae")
  assert "| 0 | test | 0.2900 ± 0.0100 |  | 0.3100 | −0.0200 |  |" in table
  assert "- test: the net (mean over seeds) − the classic baseline = −0.0200 MAE" in table and "ahead on 1 of 1" in table
  assert "- val: the net (mean over seeds) − the classic baseline = +0.0500 MAE" in table and "ahead on 0 of 1" in table


def test_a_run_without_a_classic_baseline_has_no_differences():
  d = fixture_results("classification")
  d["classic_baseline"] = {"skipped": "scikit-learn is not installed"}
  per_split = {0: split_scores(Results.from_json(d), "accuracy")}
  assert per_split[0]["test"]["classic"] is None and paired(per_split, "test", "mean") == []
  assert "classic baseline =" not in markdown(per_split, "accuracy")


TINY = ("lyrics_meta", "--model=meta", "--dataset=synthetic", "--num_examples=160", "--epochs=1", "--batch_size=16",
        "--progress=false")


def test_resplit_runs_each_split_seed_then_reuses_them(tmp_path):
  workdir, output = tmp_path / "runs", tmp_path / "resplit.md"
  argv = ("experiments.resplit", "--split_seeds=0,1", "--num_seeds=2", f"--workdir={workdir}",
          f"--output={output}", f"--data_dir={tmp_path}", "--", *TINY)
  first = cli(*argv)
  assert "split0: train" in first.stdout and "split1: train" in first.stdout
  splits = [pd.read_csv(workdir / f"split{k}" / SPLIT_FILE) for k in (0, 1)]
  assert not splits[0].equals(splits[1])          # two different splits of the same rows
  numbers = json.loads(Path(f"{output}.json").read_text())
  for k in (0, 1):
    stored = json.loads((workdir / f"split{k}" / RESULTS_FILE).read_text())
    assert numbers["splits"][str(k)]["test"]["replicas"] == [r["accuracy"] for r in stored["test"]]
    assert numbers["splits"][str(k)]["test"]["classic"] == stored["classic_baseline"]["test"]["accuracy"]
  assert output.read_text().count("| test |") == 2 and "over 2 splits" in output.read_text()
  again = cli(*argv)
  assert "split0: reuse (finished run dir)" in again.stdout and "split1: reuse" in again.stdout


def test_resplit_refuses_bad_flags_in_one_line(tmp_path):
  proc = cli("experiments.resplit", f"--workdir={tmp_path}", f"--data_dir={tmp_path}", "--", *TINY, "--no_such_flag",
             check=False)
  assert proc.returncode != 0 and "Unknown command line flag 'no_such_flag'" in proc.stderr
  assert "Traceback" not in proc.stderr
