"""A training run killed with SIGKILL mid-epoch resumes from its last checkpoint and
ends exactly where an uninterrupted run ends (CPU is deterministic)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lyric_jax.run.rundir import METRICS_FILE, RESULTS_FILE

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["experiments.lyrics_meta", "--model=text", "--dataset=synthetic", "--num_examples=1500",
        "--epochs=4", "--num_seeds=2", "--batch_size=8", "--max_len=48", "--progress=false"]


def start(workdir, name):
  env = {**os.environ, "PYTHONPATH": str(ROOT)}
  return subprocess.Popen([sys.executable, "-m", *ARGS, f"--workdir={workdir}", f"--run_name={name}"],
                          cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def epochs_logged(run_dir):
  path = run_dir / METRICS_FILE
  return [json.loads(l) for l in path.read_text().splitlines()] if path.exists() else []


def test_sigkill_mid_epoch_then_rerun_matches_uninterrupted_run(tmp_path):
  victim = start(tmp_path, "killed")
  run_dir = tmp_path / "killed"
  deadline = time.time() + 300
  while len(epochs_logged(run_dir)) < 2 and time.time() < deadline:   # checkpoint of epoch 2 is on disk
    assert victim.poll() is None, victim.communicate()
    time.sleep(0.05)
  time.sleep(0.3)                                                      # now inside epoch 3
  victim.send_signal(signal.SIGKILL)
  victim.wait()
  assert len(epochs_logged(run_dir)) < 4, "run finished before it could be killed"

  resumed, straight = start(tmp_path, "killed"), start(tmp_path, "straight")
  for proc in (resumed, straight):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
  killed_log, straight_log = epochs_logged(run_dir), epochs_logged(tmp_path / "straight")
  assert [r["epoch"] for r in killed_log] == [1, 2, 3, 4]
  for a, b in zip(killed_log, straight_log):
    assert a["train"] == b["train"] and a["val"] == b["val"]
  results = [json.loads((tmp_path / n / RESULTS_FILE).read_text()) for n in ("killed", "straight")]
  assert results[0]["test"] == results[1]["test"]
