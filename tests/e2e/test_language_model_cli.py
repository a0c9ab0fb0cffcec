"""experiments.language_model end to end: an encoder pretrained on an experiment's training split
reaches its classifier through --language_model, and a classifier of another shape is refused it."""

import json

import numpy as np
import orbax.checkpoint as ocp
import pytest

from lyric_jax.data.encode import Preprocessor
from lyric_jax.pretrain import language_model as lm
from lyric_jax.run.rundir import CHECKPOINTS_DIR
from tests.e2e.test_lyrics_meta_cli import cli

DATA = ("--dataset=synthetic", "--num_examples=200", "--max_len=32")
MODEL = ("--embed=8", "--hidden=8")
TRAIN = ("experiments.lstm", *DATA, "--epochs=1", "--num_seeds=2", "--batch_size=32", "--progress=false",
         "--noclassic_baseline")


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
  out = tmp_path_factory.mktemp("lm") / "synthetic.lm"
  proc = cli("experiments.language_model", f"--out={out}", "--epochs=2", "--batch_size=32", "--",
             "lstm", *DATA, *MODEL)
  return out, proc


def test_the_language_model_is_written_with_where_it_came_from(pretrained):
  out, proc = pretrained
  assert "language-model corpus:" in proc.stdout and "epoch 2/2: training loss" in proc.stdout
  info = json.loads((out / lm.INFO_FILE).read_text())
  assert info["job"][0] == "lstm" and len(info["history"]) == 2 and info["encoder"]["hidden"] == 8
  assert all(np.isfinite(h["held_out_loss"]) for h in info["history"]) and len(info["held_out_rows_sha256"]) == 64


def test_the_classifier_starts_from_it_on_the_same_split(pretrained, tmp_path):
  out, _ = pretrained
  proc = cli(*TRAIN, *MODEL, f"--language_model={out}", "--freeze_embedding", f"--workdir={tmp_path}",
             "--run_name=r")
  assert f"Language model {out}: 'embed' and 'encoder' start from its weights" in proc.stdout
  vocab = Preprocessor.load(tmp_path / "r").tokenizer.get_vocab()
  expected = lm.encoder_overrides(out, lm.encoder_shape("rnn", {"embed": 8, "hidden": 8}), vocab)
  best = ocp.StandardCheckpointer().restore(tmp_path / "r" / CHECKPOINTS_DIR / "1" / "best")
  for replica in np.asarray(best["params"]["embed"]["embedding"]):   # frozen: still the LM's embedding
    np.testing.assert_allclose(replica, expected["embed/embedding"], rtol=1e-6)


def test_a_classifier_of_another_size_is_refused_it(pretrained, tmp_path):
  out, _ = pretrained
  proc = cli(*TRAIN, "--embed=8", "--hidden=16", f"--language_model={out}", f"--workdir={tmp_path}", check=False)
  assert proc.returncode != 0 and "train one with this run's model flags" in proc.stderr
  assert "Traceback" not in proc.stderr
