"""experiments.word_vectors end to end: vectors trained on an experiment's training split reach its
classifier through --vectors, a rerun resumes, and a run on another split is refused them."""

import json

import numpy as np
import orbax.checkpoint as ocp
import pytest

from lyric_jax.data import glove
from lyric_jax.data.encode import Preprocessor
from lyric_jax.run.rundir import CHECKPOINTS_DIR, RESULTS_FILE
from tests.e2e.test_lyrics_meta_cli import cli

DIM = 8
JOB = ("lstm", "--dataset=synthetic", "--num_examples=200")
TRAIN = ("experiments.lstm", "--dataset=synthetic", "--num_examples=200", f"--embed={DIM}", "--hidden=8",
         "--epochs=1", "--num_seeds=2", "--batch_size=32", "--max_len=32", "--progress=false",
         "--noclassic_baseline")


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
  out = tmp_path_factory.mktemp("vectors") / "synthetic.txt"
  proc = cli("experiments.word_vectors", f"--out={out}", f"--dim={DIM}", "--epochs=2", "--batch_size=64",
             "--neighbours=la0,not_a_word", "--", *JOB)
  return out, proc


def test_vectors_are_written_with_where_they_came_from(vectors):
  out, proc = vectors
  assert "skip-gram corpus:" in proc.stdout and "epoch 2/2" in proc.stdout
  assert "nearest to 'la0': " in proc.stdout and "nearest to 'not_a_word': \n" in proc.stdout
  info = json.loads(out.with_name(out.name + ".json").read_text())
  assert info["job"] == list(JOB) and len(info["losses"]) == 2 and info["words"] > 10
  assert all(np.isfinite(info["losses"])) and len(info["held_out_rows_sha256"]) == 64
  rerun = cli("experiments.word_vectors", f"--out={out}", f"--dim={DIM}", "--epochs=2", "--batch_size=64",
              "--", *JOB)
  assert "resumed after epoch 2 of 2" in rerun.stdout                # nothing retrained
  other = cli("experiments.word_vectors", f"--out={out}", "--dim=4", "--epochs=2", "--", *JOB, check=False)
  assert other.returncode != 0 and "other settings or data; pass --overwrite" in other.stderr


def test_the_classifier_starts_from_them_on_the_same_split(vectors, tmp_path):
  out, _ = vectors
  proc = cli(*TRAIN, f"--vectors={out}", "--freeze_embedding", f"--workdir={tmp_path}", "--run_name=r")
  run_dir = tmp_path / "r"
  assert "Pretrained vectors synthetic.txt" in proc.stdout and "embedding frozen" in proc.stdout
  results = json.loads((run_dir / RESULTS_FILE).read_text())
  assert results["data"]["embedding"]["misses"] == 0                 # the same vocabulary
  expected, _ = glove.embedding_matrix(out, Preprocessor.load(run_dir).tokenizer.get_vocab())
  best = ocp.StandardCheckpointer().restore(run_dir / CHECKPOINTS_DIR / "1" / "best")
  embedding = np.asarray(best["params"]["embed"]["embedding"])       # [replicas, vocab, dim]
  for replica in embedding:                                          # frozen: still the file's vectors
    np.testing.assert_allclose(replica, expected, rtol=1e-6)


def test_a_run_on_another_split_is_refused_them(vectors, tmp_path):
  out, _ = vectors
  proc = cli(*TRAIN, "--split_seed=1", f"--vectors={out}", f"--workdir={tmp_path}", check=False)
  assert proc.returncode != 0 and "was trained on another split than this run's" in proc.stderr
  assert "Traceback" not in proc.stderr
