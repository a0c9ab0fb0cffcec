"""Faults a careful user meets, each injected and its outcome asserted: saved, detected,
refused, or said in one line (BUILD.md, "Faults").

Engine-level faults use the tiny in-process fit of test_train; what only the command line
shows (one ``error:`` line, Ctrl-C, noise after a fallback) runs the real CLI.
"""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import chex
import jax
import numpy as np
import pandas as pd
import pytest

from lyric_jax.data import download, sources
from lyric_jax.data.encode import Preprocessor, TextSpec
from lyric_jax.data.errors import ConfigError, DataError
from lyric_jax.data.table import LABEL, Table, select_labels
from lyric_jax.run.build import optimizer
from lyric_jax.run.pipeline import run
from lyric_jax.run.rundir import (CHECKPOINTS_DIR, CONFIG_FILE, INPUTS_FILE, LOCK_FILE, PREPROCESSOR_FILE, RESULTS_FILE,
                                  TOKENIZER_FILE, RunDirBusy, write_text_atomic)
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.checkpoint import META, TRAIN_STATE, LoopCheckpointer
from lyric_jax.train.loop import FitConfig, TrainingError, fit, initial_loop_state
from lyric_jax.train.objectives import Classification
from lyric_jax.train.interrupts import deferred_interrupts
from tests.test_data import tcc_fixture
from tests.test_train import run_fit

ROOT = Path(__file__).resolve().parents[1]
SPEC = RunSpec(experiment="faults", dataset="synthetic", model="text", dataset_options={"num_examples": 60},
               fit=FitConfig(epochs=1, progress=False))


def largest_file(step_dir: Path) -> Path:
  return max((f for f in (step_dir / TRAIN_STATE).rglob("*") if f.is_file()), key=lambda f: f.stat().st_size)


def restored_params(tiny, checkpoints: Path) -> tuple[int, dict]:
  model, data = tiny
  sample = {k: v[:1] for k, v in data["train"].items() if k != "label"}
  cfg = FitConfig(batch_size=16)
  template = initial_loop_state(model, sample, cfg, optimizer(cfg))
  epoch, loop = LoopCheckpointer(checkpoints).restore_latest(template)
  return epoch, jax.device_get(loop[TRAIN_STATE].params)


# --- 1, 2, 5: checkpoints that fail are replaced, bit flips are caught, a broken step folder
#     does not hide the good ones ----------------------------------------------------------

def test_the_epoch_retrained_after_a_fallback_replaces_the_corrupt_checkpoint(tiny, tmp_path, caplog):
  straight = run_fit(tiny, tmp_path, "straight", epochs=2)
  run_fit(tiny, tmp_path, "run", epochs=2)
  checkpoints = tmp_path / "run" / CHECKPOINTS_DIR
  largest_file(checkpoints / "2").write_bytes(b"")                # a truncated array file
  resumed = run_fit(tiny, tmp_path, "run", epochs=2)
  assert "could not be restored" in caplog.text and "resuming from epoch 1" in caplog.text
  caplog.clear()
  epoch, params = restored_params(tiny, checkpoints)
  assert epoch == 2 and "could not be restored" not in caplog.text   # the retrained epoch 2 was saved
  chex.assert_trees_all_close(params, jax.device_get(straight.state.params), jax.device_get(resumed.state.params))


def test_flipped_bits_in_a_checkpoint_are_detected_and_fall_back(tiny, tmp_path, caplog):
  straight = run_fit(tiny, tmp_path, "straight", epochs=2)
  run_fit(tiny, tmp_path, "run", epochs=2)
  data = largest_file(tmp_path / "run" / CHECKPOINTS_DIR / "2")
  flipped = bytearray(data.read_bytes())
  middle = len(flipped) // 2
  flipped[middle:middle + 64] = bytes(b ^ 0xFF for b in flipped[middle:middle + 64])
  data.write_bytes(bytes(flipped))
  resumed = run_fit(tiny, tmp_path, "run", epochs=2)
  assert "could not be restored" in caplog.text
  chex.assert_trees_all_close(jax.device_get(resumed.state.params), jax.device_get(straight.state.params))


def test_an_array_that_no_longer_matches_its_checksum_is_refused(tiny, tmp_path, caplog):
  """The checksum itself: contents that decode fine but differ from what was saved."""
  run_fit(tiny, tmp_path, "run", epochs=2)
  meta_file = tmp_path / "run" / CHECKPOINTS_DIR / "2" / META / "metadata"
  meta = json.loads(meta_file.read_text())
  key = next(k for k in meta["checksums"] if "params" in k)
  meta["checksums"][key] = f"{int(meta['checksums'][key], 16) ^ 1:08x}"
  meta_file.write_text(json.dumps(meta))
  resumed = run_fit(tiny, tmp_path, "run", epochs=2)
  assert "checksum mismatch" in caplog.text and key in caplog.text
  assert [r["epoch"] for r in resumed.history] == [1, 2]


@pytest.mark.parametrize("damage", ["no_state_item", "empty_folder"])
def test_a_broken_latest_step_folder_falls_back_to_the_previous_step(tiny, tmp_path, damage):
  straight = run_fit(tiny, tmp_path, "straight", epochs=3)
  run_fit(tiny, tmp_path, "run", epochs=2)
  checkpoints = tmp_path / "run" / CHECKPOINTS_DIR
  if damage == "no_state_item":
    shutil.rmtree(checkpoints / "2" / TRAIN_STATE)
  else:
    shutil.rmtree(checkpoints / "2")
    (checkpoints / "2").mkdir()
  resumed = run_fit(tiny, tmp_path, "run", epochs=3)
  assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
  chex.assert_trees_all_close(jax.device_get(resumed.state.params), jax.device_get(straight.state.params))


# --- 3: resuming on other data is refused -------------------------------------------------

def tcc_rows(n, offset=0):
  return [{"genre": ("rock", "pop")[i % 2], "lyrics": f"w{i % 7} w{(i + offset) % 5} song{i}"} for i in range(n)]


def test_resuming_on_changed_data_is_refused_with_the_fix(tmp_path):
  data_dir = tmp_path / "data"
  data_dir.mkdir()
  tcc_fixture(data_dir / "tcc_ceds_music.csv", tcc_rows(80))
  spec = RunSpec(experiment="faults", dataset="tcc_ceds", model="meta", text=None,
                 fit=FitConfig(epochs=1, progress=False))
  run(spec, tmp_path / "run", data_dir=str(data_dir))
  recorded = json.loads((tmp_path / "run" / INPUTS_FILE).read_text())
  assert recorded["files"]["tcc_ceds_music.csv"]["sha256"] == download.sha256_of(data_dir / "tcc_ceds_music.csv")

  moved = tmp_path / "moved"
  shutil.copytree(data_dir, moved)                               # same contents elsewhere: fine
  run(with_epochs(spec, 2), tmp_path / "run", data_dir=str(moved))
  tcc_fixture(moved / "tcc_ceds_music.csv", tcc_rows(90, offset=1))   # swapped between kill and rerun
  with pytest.raises(DataError, match=r"trained on other data: .*tcc_ceds_music\.csv.*--overwrite"):
    run(with_epochs(spec, 3), tmp_path / "run", data_dir=str(moved))
  assert len(json.loads((tmp_path / "run" / RESULTS_FILE).read_text())["history"]) == 2   # untouched


def with_epochs(spec: RunSpec, epochs: int) -> RunSpec:
  return dataclasses.replace(spec, fit=dataclasses.replace(spec.fit, epochs=epochs))


# --- 4: one process per run dir ------------------------------------------------------------

def test_a_second_process_on_a_run_dir_is_refused_and_a_dead_ones_lock_taken_over(tmp_path, capsys):
  run_dir = tmp_path / "run"
  holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from lyric_jax.run.rundir import locked\n"
                             f"with locked({str(run_dir)!r}):\n  print('held', flush=True); time.sleep(60)"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
  try:
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(RunDirBusy, match=rf"{run_dir} is in use by another run \(pid {holder.pid} on .*\)"):
      run(SPEC, run_dir)
    assert not (run_dir / CONFIG_FILE).exists()
  finally:
    holder.kill()                      # like kill -9: the lock file keeps its pid, the lock goes
    holder.wait()
  assert str(holder.pid) in (run_dir / LOCK_FILE).read_text()
  capsys.readouterr()
  run(SPEC, run_dir)
  assert f"Taking over the lock of {run_dir} from pid {holder.pid}" in capsys.readouterr().out
  assert (run_dir / LOCK_FILE).read_text() == ""               # released when the run ends


# --- 6: run files are whole or absent --------------------------------------------------------

def test_a_kill_while_a_run_file_is_written_leaves_the_old_file(tmp_path, monkeypatch):
  path = tmp_path / CONFIG_FILE
  path.write_text('{"old": 1}')

  def killed(*args):
    raise KeyboardInterrupt

  monkeypatch.setattr(os, "replace", killed)
  with pytest.raises(KeyboardInterrupt):
    write_text_atomic(path, '{"new": 2}' * 1000)
  assert path.read_text() == '{"old": 1}' and [p.name for p in tmp_path.iterdir()] == [CONFIG_FILE]


def test_the_preprocessor_is_written_tokenizer_first_and_each_file_whole(tmp_path, monkeypatch):
  table = sources.get("synthetic").load(num_examples=40)
  pre = Preprocessor.fit(table, sorted(table.frame[LABEL].unique()), TextSpec(max_len="16"))
  written = []
  replace = os.replace
  monkeypatch.setattr(os, "replace", lambda src, dst: (written.append(Path(dst).name), replace(src, dst)))
  pre.save(tmp_path)
  assert written == [TOKENIZER_FILE, PREPROCESSOR_FILE]     # the spec's presence means both are there
  assert Preprocessor.load(tmp_path).vocab_size == pre.vocab_size


# --- 7, 8, 9: settings are checked before anything is written ----------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: FitConfig(epochs=0), "epochs must be at least 1"),
    (lambda: FitConfig(batch_size=-3), "batch_size must be at least 1"),
    (lambda: FitConfig(eval_batch_size=0), "eval_batch_size must be at least 1"),
    (lambda: FitConfig(seeds=()), "num_seeds must be at least 1"),
    (lambda: FitConfig(learning_rates=(0.0,)), "learning rates must be positive"),
    (lambda: FitConfig(learning_rates=(-1.0,)), "learning rates must be positive"),
    (lambda: FitConfig(optimizer="foo"), "unknown optimizer 'foo'"),
    (lambda: FitConfig(patience=-1), "patience must be ≥ 0"),
    (lambda: TextSpec(max_len="-1"), "max_len must be a positive integer"),
    (lambda: TextSpec(vocab_size=0), "vocab_size must be at least 1"),
    (lambda: RunSpec(experiment="e", dataset="d", model="m", split_fractions=(0.5, 0.5, 0.5)),
     "split fractions must be three numbers"),
    (lambda: sources.get("synthetic").load(num_examples=0), "num_examples must be at least 1"),
    (lambda: sources.get("synthetic").load(num_classes=1), "num_classes must be in"),
])
def test_out_of_range_settings_are_config_errors(make, message):
  with pytest.raises(ConfigError, match=message):
    make()


def cli(*args, **kwargs):
  return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                        capture_output=True, text=True, timeout=600, **kwargs)


LM = ("experiments.lyrics_meta", "--model=combined", "--dataset=synthetic", "--num_examples=120",
      "--num_seeds=2", "--batch_size=16", "--max_len=16", "--progress=false")


def test_a_rejected_flag_is_one_error_line_and_touches_no_run_dir(tmp_path):
  for flag, message in [("--lr=abc", "--lr wants comma-separated numbers, got 'abc'"),
                        ("--split=0.5,0.5,0.5", "split fractions must be three numbers")]:
    proc = cli(*LM, flag, f"--workdir={tmp_path}", "--run_name=r")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"error: {message}"), proc.stderr
    assert not (tmp_path / "r").exists()


def test_cli_fallback_ctrl_c_and_unwritable_output_say_one_line(tmp_path):
  workdir = f"--workdir={tmp_path}"
  first = cli(*LM, "--epochs=2", workdir, "--run_name=r")
  assert first.returncode == 0, first.stderr[-2000:]
  largest_file(tmp_path / "r" / CHECKPOINTS_DIR / "2").write_bytes(b"")
  (tmp_path / "r" / RESULTS_FILE).unlink()
  rerun = cli(*LM, "--epochs=2", workdir, "--run_name=r")
  assert rerun.returncode == 0 and "Resumed from epoch 1 of 2" in rerun.stdout
  assert len(rerun.stderr.strip().splitlines()) == 1 and "could not be restored" in rerun.stderr
  assert "Event loop is closed" not in rerun.stderr

  blocker = tmp_path / "a_file"
  blocker.write_text("")
  data = tmp_path / "songs.csv"
  pd.DataFrame(sources.get("synthetic").load(num_examples=20).frame).rename(columns={LABEL: "genre"}) \
      .drop(columns=["row", "group"]).to_csv(data, index=False)
  predict = cli("lyric_jax.predict", f"--run_dir={tmp_path / 'r'}", f"--data_file={data}",
                f"--output={blocker / 'out.csv'}")
  assert predict.returncode == 1 and predict.stderr.strip().splitlines()[-1].startswith(
      f"error: cannot write {blocker}")
  assert "Traceback" not in predict.stderr

  long_run = subprocess.Popen([sys.executable, "-m", *LM, "--epochs=200", workdir, "--run_name=c"], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 120
  while not list((tmp_path / "c" / CHECKPOINTS_DIR).glob("[0-9]*")) and time.time() < deadline:
    time.sleep(0.2)
  long_run.send_signal(signal.SIGINT)
  _, stderr = long_run.communicate(timeout=120)
  assert long_run.returncode == 1 and stderr.strip().splitlines() == [
      "error: interrupted; rerun the same command to resume from the last saved epoch."], stderr


def test_a_ctrl_c_waits_for_the_step_boundary_and_a_second_one_does_not():
  def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)                      # the handler runs here

  with pytest.raises(KeyboardInterrupt):
    with deferred_interrupts() as interrupts:
      ctrl_c()
      assert interrupts.pending           # recorded, not raised
      with pytest.raises(KeyboardInterrupt):
        interrupts.raise_if_pending()
      with pytest.raises(KeyboardInterrupt):
        ctrl_c()
    # leaving the block with a Ctrl-C recorded raises it: one after the last step is not lost
  assert signal.getsignal(signal.SIGINT) is not interrupts.handle   # the previous handler is back


# --- 11: --labels in any case, one class each ---------------------------------------------------

def test_labels_match_in_any_case_and_become_one_class_each():
  frame = pd.DataFrame({"row": range(5), "text": list("abcde"), "group": list("abcde"),
                        LABEL: ["Jazz", "jazz", "blues", "jazz", "JAZZ"]})
  table = select_labels(Table(frame, source="t"), ["JAZZ", "Blues"])
  assert sorted(table.frame[LABEL]) == ["blues", "jazz", "jazz", "jazz", "jazz"]   # the data's usual spelling
  assert table.notes == {"label respelt to its most common spelling": 2}
  table = select_labels(Table(frame, source="t"), ["jazz"])
  assert table.drops == {"label not selected": 1} and set(table.frame[LABEL]) == {"jazz"}
  with pytest.raises(DataError, match="names a label twice"):
    select_labels(Table(frame, source="t"), ["jazz", "JAZZ"])


# --- 12: smaller ones ------------------------------------------------------------------------------

def test_nan_in_the_first_epoch_says_no_checkpoint_was_written(tiny, tmp_path):
  model, data = tiny
  broken = {**data, "train": {**data["train"], "label": data["train"]["label"] + 99}}
  with pytest.raises(TrainingError, match=r"epoch 1 for every replica .*no checkpoint was written"):
    cfg = FitConfig(epochs=2, batch_size=16, progress=False)
    fit(model, Classification(3), broken, cfg, tmp_path / "nan", tx=optimizer(cfg))


def test_a_resume_says_so_and_fewer_epochs_than_trained_are_refused(tiny, tmp_path, capsys):
  run_fit(tiny, tmp_path, "run", epochs=2)
  run_fit(tiny, tmp_path, "run", epochs=3)
  assert "Resumed from epoch 2 of 3" in capsys.readouterr().out
  with pytest.raises(TrainingError, match=r"already trained 3 epochs, more than --epochs=2: rerun with --epochs=3"):
    run_fit(tiny, tmp_path, "run", epochs=2)


def test_a_missing_data_dir_is_an_error_and_is_not_created(tmp_path):
  missing = tmp_path / "typo"
  with pytest.raises(DataError, match=rf"Data dir {missing} \(--data_dir\) does not exist"):
    sources.get("tcc_ceds").load(missing)
  assert not missing.exists()


def test_one_diverging_replica_stops_alone_and_the_others_train_on(tiny, tmp_path, capsys):
  population = run_fit(tiny, tmp_path, "pop", epochs=2, optimizer="sgd", learning_rates=(0.1, 1e30))
  alone = run_fit(tiny, tmp_path, "alone", epochs=2, optimizer="sgd", learning_rates=(0.1,))
  assert population.diverged_epoch.tolist() == [0, 1]
  assert "Replica #1 {'seed': 0, 'lr': 1e+30} diverged in epoch 1" in capsys.readouterr().out
  chex.assert_trees_all_close(jax.tree.map(lambda x: x[0], jax.device_get(population.state.params)),
                              jax.tree.map(lambda x: x[0], jax.device_get(alone.state.params)), atol=1e-6)
  assert np.isfinite(population.val[0]["loss"]) and population.best_epoch[1] == 0
