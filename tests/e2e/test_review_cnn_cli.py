"""Study S2 end to end, as a user runs it: review_cnn CLI (frozen GloVe-format vectors,
sample weights, custom texts) → run dir → predict CLI with and without labels."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from lyric_jax.data.glove import EmbeddingSpec
from lyric_jax.data.sources.reviews import synthetic_reviews_frame
from lyric_jax.run.rundir import (CONFIG_FILE, CUSTOM_PREDICTIONS_PNG, ERRORS_PNG, LEARNING_CURVES_PNG, METRICS_FILE,
                                  PREDICTIONS_DIR, PREPROCESSOR_FILE, REPORT_FILE, RESULTS_FILE, TOKENIZER_FILE,
                                  eval_predictions_file, predictions_file)
from tests.e2e.test_lyrics_meta_cli import assert_ran_in_process_spec, cli

DIM = 8


@pytest.fixture(scope="module")
def cnn_run(tmp_path_factory):
  """A CNN trained on a Metal-Archives-layout file with a small frozen vectors file."""
  data_dir = tmp_path_factory.mktemp("data")
  synthetic_reviews_frame(240, seed=0).to_csv(data_dir / "reviews.csv", index=False)
  rng = np.random.default_rng(0)
  lines = [f"good{i} " + " ".join(f"{v:.3f}" for v in np.r_[1.0, rng.normal(0, 0.1, DIM - 1)]) for i in range(20)]
  lines += [f"bad{i} " + " ".join(f"{v:.3f}" for v in np.r_[-1.0, rng.normal(0, 0.1, DIM - 1)]) for i in range(15)]
  lines += ["unrelated " + " ".join(["0.5"] * DIM)]
  (data_dir / "vectors.txt").write_text("\n".join(lines) + "\n")       # bad15..19 and riff* are misses
  workdir = tmp_path_factory.mktemp("runs")
  proc = cli("experiments.review_cnn", "--model=cnn", "--recipe=study", "--dataset=metal_archives", f"--data_dir={data_dir}",
             "--vectors=vectors.txt", f"--embed={DIM}", "--filters=8", "--dense=8", "--epochs=3",
             "--num_seeds=2", "--batch_size=16", "--lr=1e-2", "--max_len=p95", f"--workdir={workdir}",
             "--run_name=cnn", "--progress=false", "--predict", "good1 good2 good3 good4", "bad1 bad2 bad3 bad4")
  return workdir / "cnn", data_dir, proc


def test_experiment_writes_a_regression_run_dir(cnn_run):
  run_dir, _, proc = cnn_run
  assert "| mae |" in proc.stdout and "random-sampling benchmark" in proc.stdout
  assert "Pretrained vectors vectors.txt: 35 of" in proc.stdout and "frozen" in proc.stdout
  assert "| good1 good2 good3 good4 |" in proc.stdout                    # custom-text predictions
  for name in (CONFIG_FILE, PREPROCESSOR_FILE, TOKENIZER_FILE, METRICS_FILE, RESULTS_FILE, REPORT_FILE,
               LEARNING_CURVES_PNG, ERRORS_PNG, CUSTOM_PREDICTIONS_PNG, eval_predictions_file("test")):
    assert (run_dir / name).exists(), name
  results = json.loads((run_dir / RESULTS_FILE).read_text())
  assert results["objective"] == "regression" and len(results["test"]) == 2
  assert results["data"]["embedding"]["hits"] == 35 and results["data"]["embedding"]["misses"] > 0
  assert 0 < results["baseline"]["mae_mean"] < 1 and len(results["baseline"]["per_seed"]) == 2
  evals = pd.read_csv(run_dir / eval_predictions_file("test"))
  best = int(np.argmax([s["neg_mae"] for s in results["val"]]))
  assert (evals["predicted"] - evals["label"]).abs().mean() == pytest.approx(results["test"][best]["mae"], rel=1e-4)
  assert {"benchmark", "predicted_r0", "predicted_r1"} <= set(evals.columns)


def test_predict_scores_files_with_and_without_labels(cnn_run, tmp_path):
  run_dir, _, _ = cnn_run
  frame = synthetic_reviews_frame(30, seed=7)
  frame.loc[3, "review_title"] = None                                   # no title: dropped and counted
  labelled = tmp_path / "new_reviews.csv"
  frame.to_csv(labelled, index=False)
  proc = cli("lyric_jax.predict", f"--run_dir={run_dir}", f"--data_file={labelled}")
  assert "dropped 1 rows: missing review title" in proc.stdout and "mae " in proc.stdout
  predictions = pd.read_csv(run_dir / predictions_file("new_reviews"))
  assert len(predictions) == 29 and 3 not in set(predictions["row"])
  metrics = json.loads((run_dir / PREDICTIONS_DIR / "new_reviews.metrics.json").read_text())
  assert metrics["mae"] == pytest.approx((predictions["predicted"] - predictions["label"]).abs().mean(), rel=1e-5)
  assert len(metrics["replica_mae_values"]) == 2 and metrics["drops"] == {"missing review title": 1}

  unlabelled = tmp_path / "unlabelled.csv.gz"
  frame.drop(columns=["review_title"]).to_csv(unlabelled, index=False)
  out = tmp_path / "preds.csv"
  cli("lyric_jax.predict", f"--run_dir={run_dir}", f"--data_file={unlabelled}", f"--output={out}")
  scored = pd.read_csv(out)
  assert len(scored) == 30 and "label" not in scored.columns and not out.with_suffix(".metrics.json").exists()
  np.testing.assert_allclose(scored.set_index("row").loc[predictions["row"], "predicted"], predictions["predicted"],
                             rtol=1e-5)


def test_dataset_options_reach_the_reader(cnn_run, tmp_path):
  _, data_dir, _ = cnn_run
  proc = cli("experiments.review_cnn", "--dataset=metal_archives", f"--data_dir={data_dir}", "--dataset_options=foo=1",
             f"--workdir={tmp_path}", "--progress=false", check=False)
  assert proc.returncode != 0 and "has no option(s) ['foo']" in proc.stderr and "Traceback" not in proc.stderr


# Slow (20 s; the suite's 10 minutes): the CNN's end-to-end runs above cover the S2 experiment's CLI.
@pytest.mark.slow
def test_bilstm_trains_from_scratch_end_to_end(tmp_path):
  argv = ("--model=bilstm", "--dataset=synthetic_reviews", "--num_examples=120", "--epochs=1", "--num_seeds=1",
          "--embed=8", "--hidden=8", "--max_len=24", "--sample_weights=none", f"--workdir={tmp_path}",
          "--run_name=b", "--progress=false")
  proc = cli("experiments.review_cnn", *argv)
  assert_ran_in_process_spec(tmp_path / "b", "review_cnn", *argv)
  results = json.loads((tmp_path / "b" / RESULTS_FILE).read_text())
  assert results["spec"]["model"] == "bilstm" and results["spec"]["embedding"] == dataclasses.asdict(EmbeddingSpec())
  assert np.isfinite(results["test"][0]["mae"]) and "embedding: random init, trained" in proc.stdout
