"""The n-gram bag through the experiments: S3 classification trained from the CLI, S2's flags."""

import json

import pytest

from experiments.experiment import job_spec
from lyric_jax.data.errors import DataError
from tests import sentiment_fixtures as fx
from tests.e2e.test_lyrics_meta_cli import cli


def test_attention_lstm_trains_the_ngram_bag_on_tweets(tmp_path):
  data = tmp_path / "tweets"
  data.mkdir()
  fx.tweets(96).to_csv(data / "semeval2017_task4a_tweets_train.csv.gz", index=False)
  proc = cli("experiments.attention_lstm", "--task=tweets", "--model=ngram_bag", "--ngrams=3", "--buckets=512",
             f"--data_dir={data}", f"--workdir={tmp_path}", "--run_name=run", "--epochs=1", "--num_seeds=2",
             "--batch_size=16", "--progress=false", "--noclassic_baseline")
  results = json.loads((tmp_path / "run" / "results.json").read_text())
  assert results["spec"]["model"] == "ngram_bag" and len(results["test"]) == 2
  assert results["spec"]["model_kwargs"] == {"embed": 32, "buckets": 512, "ngrams": 3, "dropout": 0.2}
  assert "| accuracy |" in proc.stdout


def test_review_cnn_regresses_with_the_ngram_bag_and_refuses_bad_orders():
  spec = job_spec("review_cnn", ["--model=ngram_bag", "--embed=16"]).to_json()
  assert spec["model_kwargs"] == {"embed": 16, "buckets": 2 ** 19, "ngrams": 2, "dropout": 0.2}
  assert spec["objective"]["kind"] == "regression"
  with pytest.raises(DataError, match="ngrams must be 1, 2 or 3"):
    job_spec("review_cnn", ["--model=ngram_bag", "--ngrams=4"])
