"""The n-gram bag through the experiments: S3 classification trained from the CLI, S2's flags."""

import json

import pandas as pd
import pytest

from experiments.experiment import job_spec
from lyric_jax.data import tokenize
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import ConfigError, DataError
from tests import sentiment_fixtures as fx
from tests.e2e.test_lyrics_meta_cli import cli


# Slow (28 s; the suite's 10 minutes): the attention-LSTM CLI's tweets run covers char n-grams through the
# CLI, and tests/models/test_ngram_bag.py the bag's TF-IDF weighting and char n-grams.
@pytest.mark.slow
def test_attention_lstm_trains_the_ngram_bag_with_char_ngrams_on_tweets_and_predicts_a_file(tmp_path):
  data = tmp_path / "tweets"
  data.mkdir()
  file = data / "semeval2017_task4a_tweets_train.csv.gz"
  fx.tweets(96).to_csv(file, index=False)
  proc = cli("experiments.attention_lstm", "--task=tweets", "--model=ngram_bag", "--ngrams=3", "--buckets=512",
             "--char_ngrams=4", "--max_chars=max", "--bag_weighting=tfidf", "--word_dropout=0.1", f"--data_dir={data}", f"--workdir={tmp_path}", "--run_name=run",
             "--epochs=1", "--num_seeds=2", "--batch_size=16", "--progress=false", "--noclassic_baseline")
  run_dir = tmp_path / "run"
  results = json.loads((run_dir / "results.json").read_text())
  assert results["spec"]["model"] == "ngram_bag" and len(results["test"]) == 2
  assert results["spec"]["model_kwargs"] == {"embed": 32, "buckets": 512, "ngrams": 3, "char_ngrams": 4,
                                             "dropout": 0.2, "weighting": "tfidf", "word_dropout": 0.1}
  longest = max(len(tokenize.text_bytes(t)) for t in pd.read_csv(file)["text"])
  assert 0 < Preprocessor.load(run_dir).max_chars <= longest      # the longest *training* text's bytes
  assert "| accuracy |" in proc.stdout
  out = tmp_path / "predictions.csv"
  cli("lyric_jax.predict", f"--run_dir={run_dir}", f"--data_file={file}", f"--output={out}")
  assert len(pd.read_csv(out)) == 96          # new text is read as the run read it: tokens and bytes


def test_char_ngrams_are_read_by_the_n_gram_bags_and_the_attention_lstm_only():
  with pytest.raises(ConfigError, match="--char_ngrams=5 is read by --model=attn_lstm or ngram_bag or ngram_resmlp "
                                        "only, not ffnn"):
    job_spec("attention_lstm", ["--model=ffnn", "--char_ngrams=5"])
  with pytest.raises(ConfigError, match="not combined"):
    job_spec("lyrics_meta", ["--model=combined", "--char_ngrams=5"])
  assert job_spec("lyrics_meta", ["--model=ngram_resmlp", "--char_ngrams=5"]).model_kwargs["char_ngrams"] == 5
  for experiment, model in (("attention_lstm", "ngram_bag"), ("attention_lstm", "attn_lstm"),
                            ("lyrics_meta", "ngram_resmlp")):
    with pytest.raises(DataError, match="char_ngrams must be 0 or in 2..6"):
      job_spec(experiment, [f"--model={model}", "--char_ngrams=9"])
    assert job_spec(experiment, [f"--model={model}", "--recipe=study"]).text.max_chars == "0"   # no bytes unless asked
  spec = job_spec("attention_lstm", ["--task=tweets", "--char_ngrams=5", "--buckets=4096", "--char_embed=16"])
  assert spec.text.max_chars == "p95"
  assert {k: spec.model_kwargs[k] for k in ("char_ngrams", "char_buckets", "char_embed")} == {
      "char_ngrams": 5, "char_buckets": 4096, "char_embed": 16}


def test_review_cnn_regresses_with_the_ngram_bag_and_refuses_bad_orders():
  spec = job_spec("review_cnn", ["--model=ngram_bag", "--embed=16"]).to_json()
  assert spec["model_kwargs"] == {"embed": 16, "buckets": 2 ** 19, "ngrams": 2, "char_ngrams": 0, "dropout": 0.2,
                                  "weighting": "mean", "word_dropout": 0.0}
  assert spec["objective"]["kind"] == "regression"
  with pytest.raises(DataError, match="ngrams must be 1, 2 or 3"):
    job_spec("review_cnn", ["--model=ngram_bag", "--ngrams=4"])


def test_s0_ngram_bag_takes_its_recipe_unless_told_otherwise():
  spec = job_spec("lstm", ["--model=ngram_bag"])
  assert spec.model_kwargs["weighting"] == "tfidf" and spec.model_kwargs["word_dropout"] == 0.5
  assert spec.fit.learning_rates == (1e-2,) and spec.fit.schedule == "cosine" and spec.text.max_len == "p95"
  assert (spec.fit.optimizer, spec.fit.weight_decay) == ("adamw", 1.0)
  assert job_spec("gru", ["--model=ngram_bag", "--bag_weighting=mean"]).model_kwargs["weighting"] == "mean"
  study = job_spec("lstm", ["--model=ngram_bag", "--recipe=study"])
  assert study.model_kwargs["weighting"] == "mean" and study.fit.learning_rates == (1e-3,)
  assert study.fit.optimizer == "adam"
  assert job_spec("lstm", []).model == "rnn" and job_spec("lstm", []).fit.schedule == "constant"   # the study's net
