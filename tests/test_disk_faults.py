"""A run dir that cannot be written, a (nearly) full disk, and a checkpoint save that fails.

Each stops the run with one clear error (CheckpointError) naming the directory: before
training when it can be seen up front, otherwise at the failing save, after which the
same command resumes from the last complete checkpoint.
"""

import collections
import errno
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import chex
import jax
import pytest

from lyric_jax.run import artifacts
from lyric_jax.run.pipeline import run
from lyric_jax.run.rundir import CHECKPOINTS_DIR, RESULTS_FILE
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.checkpoint import CheckpointError, LoopCheckpointer, check_run_dir
from tests.test_train import run_fit

ROOT = Path(__file__).resolve().parents[1]
SPEC = RunSpec(experiment="disk", dataset="synthetic", model="text", dataset_options={"num_examples": 60})
Usage = collections.namedtuple("Usage", "total used free")


def free_space(monkeypatch, mib: float) -> None:
  monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(2**40, 0, int(mib * 2**20)))


def test_a_run_dir_that_is_a_file_stops_before_training(tmp_path):
  blocker = tmp_path / "not_a_dir"
  blocker.write_text("x")
  with pytest.raises(CheckpointError, match=f"Run directory {blocker / 'run'} is not writable"):
    run(SPEC, blocker / "run")


def test_a_read_only_run_dir_stops_before_training(tmp_path):
  workdir = tmp_path / "ro"
  workdir.mkdir()
  workdir.chmod(0o555)
  try:
    if os.access(workdir, os.W_OK):   # root ignores the mode bits
      pytest.skip("chmod does not stop this user (root) from writing")
    with pytest.raises(CheckpointError, match="is not writable"):
      run(SPEC, workdir / "run")
  finally:
    workdir.chmod(0o755)


def test_a_nearly_full_disk_stops_before_training(tmp_path, monkeypatch):
  free_space(monkeypatch, 10)
  with pytest.raises(CheckpointError, match=r"Only 10\.0 MiB free .* needs 64\.0 MiB \(--min_free_mb=64\)"):
    run(SPEC, tmp_path / "run")
  assert not (tmp_path / "run" / CHECKPOINTS_DIR).exists()


def test_free_space_must_also_hold_a_checkpoint(tiny, tmp_path, monkeypatch):
  free_space(monkeypatch, 64 + 2**-20)   # one byte more than --min_free_mb
  check_run_dir(tmp_path / "run", 64)    # the check before loading data passes
  with pytest.raises(CheckpointError, match=r"needs 64\.\d MiB \(--min_free_mb=64 plus 0\.\d MiB for a checkpoint\)"):
    run_fit(tiny, tmp_path, "run", epochs=1)
  assert not (tmp_path / "run" / CHECKPOINTS_DIR).exists()


def test_a_failing_checkpoint_save_is_a_clear_error_and_the_same_command_resumes(tiny, tmp_path, monkeypatch,
                                                                                    caplog):
  straight = run_fit(tiny, tmp_path, "straight", epochs=2)
  run_fit(tiny, tmp_path, "full", epochs=1)

  def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")

  with monkeypatch.context() as patched:
    patched.setattr(os, "rename", no_space)   # Orbax renames a checkpoint into place once complete
    with caplog.at_level(logging.ERROR), pytest.raises(CheckpointError) as error:
      run_fit(tiny, tmp_path, "full", epochs=2)
  message = str(error.value)
  assert str(tmp_path / "full" / CHECKPOINTS_DIR) in message and "epoch 2" in message
  assert "No space left on device" in message and "disk may be full" in message
  assert "rerun the same command: it resumes from the last complete checkpoint" in message
  assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
  assert LoopCheckpointer(tmp_path / "full" / CHECKPOINTS_DIR).steps() == [1]

  resumed = run_fit(tiny, tmp_path, "full", epochs=2)
  assert [r["epoch"] for r in resumed.history] == [1, 2]
  chex.assert_trees_all_close(jax.device_get(resumed.state.params), jax.device_get(straight.state.params))


def test_a_full_disk_after_training_is_a_clear_error_and_the_rerun_writes_the_results(tmp_path, monkeypatch):
  write_predictions = artifacts.write_eval_predictions

  def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")

  monkeypatch.setattr(artifacts, "write_eval_predictions", no_space)
  with pytest.raises(CheckpointError, match=r"Could not write the predictions and results in .*disk may be full"):
    run(SPEC, tmp_path / "run")
  assert not (tmp_path / "run" / RESULTS_FILE).exists()
  monkeypatch.setattr(artifacts, "write_eval_predictions", write_predictions)
  results = run(SPEC, tmp_path / "run")           # the same command: training is done, outputs are written
  assert (tmp_path / "run" / RESULTS_FILE).exists() and results.test


def test_cli_says_the_disk_is_too_full_in_one_line(tmp_path):
  proc = subprocess.run(
      [sys.executable, "-m", "experiments.lyrics_meta", "--dataset=synthetic", "--num_examples=60", "--epochs=1",
       "--min_free_mb=1e12", f"--workdir={tmp_path}", "--run_name=r", "--progress=false"],
      cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=600)
  assert proc.returncode != 0 and "Traceback" not in proc.stderr
  assert "error: Only" in proc.stderr and f"run directory {tmp_path / 'r'}" in proc.stderr
  assert "--min_free_mb=1e+12" in proc.stderr
