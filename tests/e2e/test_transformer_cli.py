"""The Transformer encoder through an existing experiment: attention.png after training, explain."""

import json

import pytest

from tests import sentiment_fixtures as fx
from tests.e2e.test_lyrics_meta_cli import assert_ran_in_process_spec, cli


# Slow (26 s; the suite's 10 minutes): the registry contract tests cover the transformer's shapes and gradients.
@pytest.mark.slow
def test_attention_lstm_trains_the_transformer_and_draws_its_attention(tmp_path):
  data = tmp_path / "tweets"
  data.mkdir()
  fx.tweets(96).to_csv(data / "semeval2017_task4a_tweets_train.csv.gz", index=False)
  argv = ("--task=tweets", "--model=transformer", f"--data_dir={data}", f"--workdir={tmp_path}", "--run_name=run",
          "--epochs=1", "--num_seeds=1", "--batch_size=16", "--embed=8", "--hidden=8", "--heads=2", "--layers=1",
          "--progress=false", "--noclassic_baseline", "--explain=a great gem of a movie")
  proc = cli("experiments.attention_lstm", *argv)
  run_dir = tmp_path / "run"
  assert_ran_in_process_spec(run_dir, "attention_lstm", *argv)
  results = json.loads((run_dir / "results.json").read_text())
  assert results["spec"]["model_kwargs"] == {"embed": 8, "heads": 2, "layers": 1, "mlp": 8, "dropout": 0.2,
                                             "pooling": "mean", "max_len": 512}    # --hidden, --max_positions
  assert results["spec"]["model"] == "transformer" and results["attention_png"] == "attention.png"
  assert (run_dir / "attention.png").exists() and (run_dir / "attention_1.png").exists()
  assert "explain 1: predicted" in proc.stdout and "most attended: " in proc.stdout
