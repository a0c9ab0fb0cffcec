"""End to end for study S0: experiments.han CLI → run dir (with attention.png) → predict CLI."""

import json

import pandas as pd
import pytest

from lyric_jax.data.sources.synthetic import synthetic_frame
from lyric_jax.run.rundir import (ATTENTION_PNG, CONFIG_FILE, CONFUSION_PNG, PREPROCESSOR_FILE, REPORT_FILE,
                                  RESULTS_FILE, predictions_file)
from tests.e2e.test_lyrics_meta_cli import assert_ran_in_process_spec, cli

TINY_HAN = ["--embed=8", "--word_hidden=4", "--line_hidden=4", "--attn_size=4", "--max_lines=6",
            "--max_words=6", "--num_examples=80", "--epochs=1", "--num_seeds=2", "--batch_size=16",
            "--progress=false"]


def test_han_cli_trains_reports_and_predicts_with_and_without_labels(tmp_path):
  argv = ("--lr=1e-3", *TINY_HAN, f"--workdir={tmp_path}", "--run_name=han")
  proc = cli("experiments.han", *argv)
  run_dir = tmp_path / "han"
  assert_ran_in_process_spec(run_dir, "han", *argv)
  assert "| accuracy |" in proc.stdout and "real tokens/s" in proc.stdout
  for name in (CONFIG_FILE, PREPROCESSOR_FILE, RESULTS_FILE, REPORT_FILE, ATTENTION_PNG, CONFUSION_PNG):
    assert (run_dir / name).exists(), name
  results = json.loads((run_dir / RESULTS_FILE).read_text())
  assert results["data"]["layout"] == "lines" and results["data"]["max_lines"] == 6
  assert results["throughput"]["real_tokens_per_second"] > 0

  songs = synthetic_frame(20, 4, seed=5)
  labelled, unlabelled = tmp_path / "songs.csv", tmp_path / "songs_nolabel.csv"
  songs.to_csv(labelled, index=False)
  songs.drop(columns=["genre"]).to_csv(unlabelled, index=False)
  proc = cli("lyric_jax.predict", f"--run_dir={run_dir}", f"--data_file={labelled}")
  assert "accuracy" in proc.stdout
  predictions = pd.read_csv(run_dir / predictions_file("songs"))
  assert len(predictions) == 20 and "label" in predictions
  out = tmp_path / "nolabel_preds.csv"
  cli("lyric_jax.predict", f"--run_dir={run_dir}", f"--data_file={unlabelled}", f"--output={out}")
  unlabelled_predictions = pd.read_csv(out)
  assert "label" not in unlabelled_predictions
  pd.testing.assert_series_equal(unlabelled_predictions["predicted"], predictions["predicted"])


@pytest.mark.slow
def test_real_lastfm17_han_run(real_data_dir, tmp_path):
  """A short real-data HAN run (minutes on a CPU): the S0 pipeline on lastfm17 end to end."""
  cli("experiments.han", "--dataset=lastfm17", f"--data_dir={real_data_dir}", "--subset=1500", "--epochs=2",
      "--num_seeds=2", "--embed=32", "--word_hidden=16", "--line_hidden=16", "--attn_size=32",
      "--max_lines=24", "--max_words=10", f"--workdir={tmp_path}", "--run_name=real", "--progress=false")
  results = json.loads((tmp_path / "real" / RESULTS_FILE).read_text())
  assert results["data"]["rows"] == 1500 and len(results["data"]["labels"]) == 13
  assert results["test"][0]["accuracy"] > results["majority_rate"]
