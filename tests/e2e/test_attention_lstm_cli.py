"""Study S3 end to end, as a user runs it: experiment CLI (IMDB + tweets) → run dir → predict/explain."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lyric_jax import explain
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError
from lyric_jax.data.tokenize import token_counts
from lyric_jax.predict import predict, read_input
from lyric_jax.run.pipeline import load_table, split_table
from lyric_jax.run.rundir import (CONFIG_FILE, CONFUSION_PNG, LEARNING_CURVES_PNG, METRICS_FILE, PREDICTIONS_DIR,
                                  REPORT_FILE, RESULTS_FILE, TOKENIZER_FILE, predictions_file)
from lyric_jax.run.spec import load_spec
from tests import sentiment_fixtures as fx

ROOT = Path(__file__).resolve().parents[2]
STUDY_SENTENCE = "This movie is a true gem. The remarkable visuals and stellar performances!"
UNKNOWN_ONLY = "zyzzyva quixotically flibbertigibbet"
# Tiny sizes and unroll 1 keep compiles short; the protocol flags are the study's defaults.
TINY = ["--recipe=study", "--epochs=2", "--num_seeds=2", "--batch_size=16", "--embed=8", "--hidden=8", "--attn_size=8",
        "--unroll=1", "--progress=false"]


def start(*args):
  env = {**os.environ, "PYTHONPATH": str(ROOT)}
  return subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc, check=True):
  out, err = proc.communicate(timeout=600)
  if check and proc.returncode != 0:
    raise AssertionError(f"{proc.args} failed:\n{out[-3000:]}\n{err[-3000:]}")
  return proc.returncode, out, err


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
  """IMDB (aclImdb layout, official train + test folders) and tweets (seed CSV), trained side by side."""
  data = tmp_path_factory.mktemp("data")
  fx.write_acl_imdb(data / "imdb", fx.reviews(96))
  fx.write_acl_imdb(data / "imdb", fx.reviews(24, seed=1), split="test")
  (data / "tweets").mkdir()
  fx.tweets(96).to_csv(data / "tweets" / "semeval2017_task4a_tweets_train.csv.gz", index=False)
  workdir = tmp_path_factory.mktemp("runs")
  task_flags = {"imdb": [f"--explain={STUDY_SENTENCE}", f"--explain={UNKNOWN_ONLY}"],
                # class-balanced loss, for macro-recall; the char n-gram branch beside the attention and
                # the n-gram bag's logits beside the head's
                "tweets": ["--sample_weights=inverse_bin", "--char_ngrams=3", "--buckets=512", "--char_embed=4",
                           "--bag_ngrams=2"]}
  procs = {task: start("experiments.attention_lstm", f"--task={task}", f"--data_dir={data / task}",
                       f"--workdir={workdir}", f"--run_name={task}", *TINY, *task_flags[task])
           for task in ("imdb", "tweets")}
  stdout = {task: finish(proc)[1] for task, proc in procs.items()}
  return {"data": data, "workdir": workdir, "stdout": stdout}


def history(run_dir):
  return [json.loads(line) for line in (run_dir / METRICS_FILE).read_text().splitlines()]


@pytest.mark.parametrize("task,metric", [("imdb", "f1"), ("tweets", "macro_f1")])
def test_run_dir_metrics_and_best_epoch_by_validation_f1(runs, task, metric):
  run_dir = runs["workdir"] / task
  for name in (CONFIG_FILE, TOKENIZER_FILE, REPORT_FILE, LEARNING_CURVES_PNG, CONFUSION_PNG):
    assert (run_dir / name).exists(), name
  results = json.loads((run_dir / RESULTS_FILE).read_text())
  assert results["spec"]["select_metric"] == "f1" and results["spec"]["model"] == "attn_lstm"
  assert results["spec"]["objective"]["sample_weights"] == {"imdb": "none", "tweets": "inverse_bin"}[task]
  records = history(run_dir)
  assert [r["epoch"] for r in records] == [1, 2]
  for split in ("train", "val"):     # every epoch: loss, accuracy, precision, recall, F1
    keys = {"loss", "accuracy", metric, metric.replace("f1", "precision"), metric.replace("f1", "recall")}
    assert keys <= set(records[0][split][0])
  val = np.array([[s[metric] for s in r["val"]] for r in records])      # [epoch, replica]
  assert results["best_epoch"] == (val.argmax(0) + 1).tolist()          # first epoch with the best F1
  for replica, best in enumerate(results["best_epoch"]):
    assert results["val"][replica][metric] == pytest.approx(val[best - 1, replica])
  binary = task == "imdb"
  assert ("| f1 |" in runs["stdout"][task]) == binary and "| macro_f1 |" in runs["stdout"][task]
  assert ("f1" in results["test"][0]) == binary                        # same pipeline, 2 or 3 classes
  labels = ["negative", "positive"] if binary else ["negative", "neutral", "positive"]
  assert results["data"]["labels"] == labels


@pytest.mark.parametrize("task", ["imdb", "tweets"])
def test_vocabulary_saw_train_only_and_max_len_is_the_mean(runs, task):
  run_dir = runs["workdir"] / task
  spec = load_spec(run_dir)
  table = load_table(spec, str(runs["data"] / task))
  if task == "imdb":
    assert table.drops == {"split not selected": 24}                    # the official test folder
  parts = split_table(table, spec)
  tokenizer = Preprocessor.load(run_dir).tokenizer
  vocab = set(tokenizer.get_vocab())
  doc_words = {split: {w for t in part.frame["text"] for w in t.split() if w.startswith("doc")}
               for split, part in parts.items()}
  assert doc_words["train"] <= vocab                                   # each seen 5 times: kept
  assert not (doc_words["val"] | doc_words["test"]) & vocab            # never from val/test
  counts = token_counts(tokenizer, parts["train"].frame["text"].tolist())
  assert json.loads((run_dir / RESULTS_FILE).read_text())["data"]["max_len"] == int(np.ceil(counts.mean()))


def test_explain_writes_heatmaps_even_for_unknown_words(runs):
  run_dir = runs["workdir"] / "imdb"
  assert "explain 1: predicted" in runs["stdout"]["imdb"]
  assert (run_dir / "attention_1.png").exists() and (run_dir / "attention_2.png").exists()
  unknown = explain.explain_to_png(run_dir, UNKNOWN_ONLY, run_dir / "unk.png")
  assert unknown.tokens == ["UNK"] * 3 and (run_dir / "unk.png").exists()
  assert unknown.weights.sum() == pytest.approx(1.0, abs=1e-5)
  study = explain.explain(run_dir, "<br />" + STUDY_SENTENCE)             # cleaned like training text
  assert study.tokens[:2] == ["UNK", "movie"]                         # 'this' is not in the fixtures
  assert len(study.weights) == len(study.tokens) and study.label in ("negative", "positive")
  with pytest.raises(DataError, match="no tokens"):
    explain.explain(run_dir, "   ")


def test_a_run_with_char_ngrams_explains_a_text_from_its_words_and_bytes(runs):
  run_dir = runs["workdir"] / "tweets"
  assert load_spec(run_dir).model_kwargs["char_ngrams"] == 3 and Preprocessor.load(run_dir).max_chars > 0
  tweet = explain.explain(run_dir, "the movie was great, sooo good!!")
  assert tweet.label in ("negative", "neutral", "positive") and sum(tweet.probabilities.values()) == pytest.approx(1)
  assert len(tweet.weights) == len(tweet.tokens) and tweet.weights.sum() == pytest.approx(1.0, abs=1e-5)


def test_predict_cli_labelled_and_unlabelled_files(runs, tmp_path):
  data = runs["data"]
  unlabelled = fx.write_semeval_tsv(tmp_path / "SemEval2017-task4-test.subtask-A.english.txt",
                                    fx.tweets(12, seed=5), labeled=False)
  out = tmp_path / "tweets_pred.csv"
  procs = [start("lyric_jax.predict", f"--run_dir={runs['workdir'] / 'imdb'}",
                 f"--data_file={data / 'imdb' / 'aclImdb' / 'test'}"),
           start("lyric_jax.predict", f"--run_dir={runs['workdir'] / 'tweets'}",
                 f"--data_file={unlabelled}", f"--output={out}")]
  (_, imdb_out, _), _ = [finish(p) for p in procs]
  assert "F1" in imdb_out
  metrics = json.loads((runs["workdir"] / "imdb" / PREDICTIONS_DIR / "test.metrics.json").read_text())
  predictions = pd.read_csv(runs["workdir"] / "imdb" / predictions_file("test"))
  assert len(predictions) == 24 and {"precision", "recall", "f1"} <= set(metrics)
  assert metrics["accuracy"] == pytest.approx((predictions["label"] == predictions["predicted"]).mean())
  tweets = pd.read_csv(out)
  assert len(tweets) == 12 and "label" not in tweets
  assert set(tweets["predicted"]) <= {"negative", "neutral", "positive"}


def test_predict_unlabelled_review_folder(runs, tmp_path):
  folder = tmp_path / "reviews"           # any folder of .txt reviews, like aclImdb's unsup/
  folder.mkdir()
  for i in range(3):
    (folder / f"{i}_0.txt").write_text(fx.text(i, "positive", np.random.default_rng(i), html=True))
  table = read_input(runs["workdir"] / "imdb", str(folder), None)
  predictions, metrics = predict(runs["workdir"] / "imdb", table)
  assert metrics is None and len(predictions) == 3 and "label" not in predictions


def test_token_attention_is_required_to_explain():
  with pytest.raises(DataError, match="sows no token attention"):
    explain.token_attention({"intermediates": {}}, {"tokens": np.ones((1, 3))}, "ffnn")
