"""Two processes of one --distributed command (coordinator on 127.0.0.1, CPU collectives over
gloo, one device each) train exactly like one process on the same global batches."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import chex
import orbax.checkpoint as ocp
import pytest

from lyric_jax.run.rundir import CHECKPOINTS_DIR, METRICS_FILE, RESULTS_FILE

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 2
COMMAND = ("experiments.lyrics_meta", "--model=combined", "--dataset=synthetic", "--num_examples=120",
           "--num_seeds=2", "--batch_size=16", "--max_len=16", "--progress=false", f"--epochs={EPOCHS}",
           "--noclassic_baseline", "--run_name=r")


def free_port() -> int:
  try:
    with socket.socket() as s:
      s.bind(("127.0.0.1", 0))
      return s.getsockname()[1]
  except OSError as e:
    pytest.skip(f"no local TCP port for the coordinator: {e}")


def start(workdir: Path, *flags: str) -> subprocess.Popen:
  # One CPU device per process, whatever the caller's XLA_FLAGS force.
  env = {**{k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
  return subprocess.Popen([sys.executable, "-m", *COMMAND, f"--workdir={workdir}", *flags], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def final_state(run_dir: Path):
  """The TrainState (parameters, optimiser state, step, RNG keys) of the last epoch's checkpoint."""
  return ocp.StandardCheckpointer().restore(run_dir / CHECKPOINTS_DIR / str(EPOCHS) / "train_state")


@pytest.mark.slow   # three JAX processes at once: about 60 s alone, twice that beside other test workers
def test_two_processes_train_like_one_on_the_same_global_batch(tmp_path):
  coordinator = f"--coordinator_address=127.0.0.1:{free_port()}"
  # All three at once: the single-process reference overlaps the pair's start-up.
  procs = [start(tmp_path / "two", "--distributed", coordinator, "--num_processes=2", f"--process_id={i}")
           for i in range(2)] + [start(tmp_path / "one")]
  try:
    outputs = [p.communicate(timeout=300) for p in procs]
  finally:
    for p in procs:
      p.kill()
  for p, (out, err) in zip(procs, outputs):
    assert p.returncode == 0, out[-2000:] + err[-4000:]

  two, one = tmp_path / "two" / "r", tmp_path / "one" / "r"
  chex.assert_trees_all_close(final_state(two), final_state(one), atol=1e-5, rtol=1e-4)
  # Only the first process writes: one metrics line per epoch, the same results as one process.
  assert len((two / METRICS_FILE).read_text().splitlines()) == EPOCHS
  two_results, one_results = [json.loads((d / RESULTS_FILE).read_text()) for d in (two, one)]
  chex.assert_trees_all_close(two_results["test"], one_results["test"], atol=1e-5, rtol=1e-4)
  assert two_results["best_epoch"] == one_results["best_epoch"]
