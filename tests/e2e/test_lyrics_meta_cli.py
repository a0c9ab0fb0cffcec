"""End to end, as a user runs it: experiment CLI → run dir → predict CLI."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.experiment import job_spec
from lyric_jax.data.sources.synthetic import synthetic_frame
from lyric_jax.run.rundir import (CONFIG_FILE, CONFUSION_PNG, LEARNING_CURVES_PNG, METRICS_FILE, PREDICTIONS_DIR,
                                  PREPROCESSOR_FILE, REPORT_FILE, RESULTS_FILE, SPLIT_FILE, TOKENIZER_FILE)

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, check=True):
  env = {**os.environ, "PYTHONPATH": str(ROOT)}
  proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                        timeout=600)
  if check and proc.returncode != 0:
    raise AssertionError(f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
  return proc


def assert_ran_in_process_spec(run_dir: Path, experiment: str, *argv: str) -> None:
  """The config.json the CLI wrote is the RunSpec ``job_spec`` computes in-process from the same flags
  (what ``experiments.reproduce`` compares finished run dirs with)."""
  stored = json.loads((run_dir / CONFIG_FILE).read_text())
  assert stored == job_spec(experiment.removeprefix("experiments."), argv).to_json()


SYNTHETIC = ("--model=combined", "--dataset=synthetic", "--num_examples=240", "--epochs=2", "--num_seeds=2",
             "--batch_size=16", "--max_len=32", "--run_name=syn", "--progress=false")


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
  workdir = tmp_path_factory.mktemp("runs")
  proc = cli("experiments.lyrics_meta", *SYNTHETIC, f"--workdir={workdir}")
  return workdir / "syn", proc


def test_experiment_writes_a_complete_run_dir(synthetic_run):
  run_dir, proc = synthetic_run
  assert "| accuracy |" in proc.stdout and "± " in proc.stdout
  for name in (CONFIG_FILE, PREPROCESSOR_FILE, TOKENIZER_FILE, METRICS_FILE, RESULTS_FILE,
               REPORT_FILE, LEARNING_CURVES_PNG, CONFUSION_PNG, SPLIT_FILE):
    assert (run_dir / name).exists(), name
  assert "split groups (artist): 240 rows → 240 groups" in proc.stdout
  results = json.loads((run_dir / RESULTS_FILE).read_text())
  assert len(results["test"]) == 2 and 0.0 <= results["test"][0]["accuracy"] <= 1.0
  assert [json.loads(l)["epoch"] for l in (run_dir / METRICS_FILE).read_text().splitlines()] == [1, 2]
  assert_ran_in_process_spec(run_dir, "lyrics_meta", *SYNTHETIC, f"--workdir={run_dir.parent}")


def test_rerun_resumes_and_a_changed_config_is_refused(synthetic_run):
  run_dir, _ = synthetic_run
  common = ["--dataset=synthetic", "--num_examples=240", "--num_seeds=2", "--batch_size=16", "--max_len=32",
            f"--workdir={run_dir.parent}", "--run_name=syn", "--progress=false"]
  proc = cli("experiments.lyrics_meta", "--model=combined", "--epochs=3", *common)
  assert "Resumed from epoch 2 of 3" in proc.stdout
  assert [json.loads(l)["epoch"] for l in (run_dir / METRICS_FILE).read_text().splitlines()] == [1, 2, 3]
  refused = cli("experiments.lyrics_meta", "--model=combined", "--epochs=3", "--embed=16", *common, check=False)
  assert refused.returncode != 0 and "different config" in refused.stderr and "Traceback" not in refused.stderr


def test_predict_with_and_without_labels_and_on_text(synthetic_run, tmp_path):
  run_dir, _ = synthetic_run
  labelled = tmp_path / "new_songs.csv.gz"
  frame = synthetic_frame(30, 4, seed=11)
  frame.loc[3, "text"] = ""                                    # dropped and reported, not lost silently
  frame.to_csv(labelled, index=False)
  proc = cli("lyric_jax.predict", f"--run_dir={run_dir}", f"--data_file={labelled}")
  assert "dropped 1 rows: empty text" in proc.stdout
  predictions = pd.read_csv(run_dir / PREDICTIONS_DIR / "new_songs.csv")
  assert len(predictions) == 29 and 3 not in set(predictions["row"])
  probs = predictions.filter(like="p_").to_numpy()
  assert probs.shape[1] == 4 and abs(probs.sum(1) - 1).max() < 1e-4
  metrics = json.loads((run_dir / PREDICTIONS_DIR / "new_songs.metrics.json").read_text())
  assert metrics["accuracy"] == pytest.approx((predictions["label"] == predictions["predicted"]).mean())

  unlabelled = tmp_path / "unlabelled.csv"
  frame.drop(columns=["genre"]).to_csv(unlabelled, index=False)
  out = tmp_path / "preds.csv"
  cli("lyric_jax.predict", f"--run_dir={run_dir}", f"--data_file={unlabelled}", f"--output={out}")
  assert "label" not in pd.read_csv(out).columns and not out.with_suffix(".metrics.json").exists()

  missing = cli("lyric_jax.predict", f"--run_dir={run_dir}", "--data_file=/nonexistent.csv", check=False)
  assert missing.returncode != 0 and "not found" in missing.stderr and "Traceback" not in missing.stderr


def test_text_only_model_predicts_a_raw_text(tmp_path):
  cli("experiments.lyrics_meta", "--model=text", "--dataset=synthetic", "--num_examples=120", "--epochs=1",
      "--num_seeds=1", "--max_len=16", f"--workdir={tmp_path}", "--run_name=t", "--progress=false")
  proc = cli("lyric_jax.predict", f"--run_dir={tmp_path / 't'}", "--text=rock1 rock2 la3\nrock4")
  assert "predicted" in proc.stdout and "p_rock" in proc.stdout


def test_unwritable_workdir_is_a_clear_error(tmp_path):
  blocker = tmp_path / "file_not_dir"
  blocker.write_text("x")
  proc = cli("experiments.lyrics_meta", "--dataset=synthetic", "--num_examples=60", "--epochs=1",
             f"--workdir={blocker}", "--progress=false", check=False)
  assert proc.returncode != 0 and "not writable" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_real_tcc_partial_four_genres_end_to_end(real_data_dir, tmp_path):
  proc = cli("experiments.lyrics_meta", "--model=combined", "--dataset=tcc_ceds", f"--data_dir={real_data_dir}",
             "--labels=hip hop,jazz,reggae,rock", "--epochs=1", "--num_seeds=2", "--max_len=64",
             "--batch_size=32", f"--workdir={tmp_path}", "--run_name=tcc", "--progress=false")
  assert "label not selected" in proc.stdout
  results = json.loads((tmp_path / "tcc" / RESULTS_FILE).read_text())
  assert results["data"]["labels"] == ["hip hop", "jazz", "reggae", "rock"]
  assert sum(results["data"]["split_sizes"].values()) == results["data"]["rows"] == 381
