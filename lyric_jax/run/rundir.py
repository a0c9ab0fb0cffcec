"""A run directory: the name of every file in it, each written whole or not at all, and a lock so
that two processes never train into one directory.

A kill while a file is written leaves the old file or none, never half of one (temp file
+ rename). The lock is an ``flock`` on ``.lock``: the kernel drops it when its process
dies, so the lock of a killed run is taken over (with a message naming the dead process).
A run dir made by another config, or on other data, is refused before anything is loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

from lyric_jax.data import download
from lyric_jax.data.errors import DataError
from lyric_jax.train.checkpoint import MIN_FREE_MB, check_run_dir

CONFIG_FILE = "config.json"                # the RunSpec (run.spec)
INPUTS_FILE = "inputs.json"                # path, size and sha256 of the data the run read
SPLIT_FILE = "split.csv"                   # each kept row's split
PREPROCESSOR_FILE = "preprocessor.json"    # the fitted preprocessing (data.encode) ...
TOKENIZER_FILE = "tokenizer.json"          # ... and its tokenizer, written first
CHECKPOINTS_DIR = "checkpoints"            # Orbax, one step folder per epoch
METRICS_FILE = "metrics.jsonl"             # one line per epoch
PREDICTIONS_DIR = "predictions"            # eval_<split>.csv of training, <file stem>.csv of predict
RESULTS_FILE = "results.json"              # run.results.Results; its presence means finished
REPORT_FILE = "RESULTS.md"
LEARNING_CURVES_PNG = "learning_curves.png"
CONFUSION_PNG = "confusion.png"            # classification
ERRORS_PNG = "errors.png"                  # regression
ATTENTION_PNG = "attention.png"            # the best replica's attention over one test song
CUSTOM_PREDICTIONS_PNG = "custom_predictions.png"   # experiments.review_cnn --predict
LOCK_FILE = ".lock"
CLASSIC_CACHE_DIR = "classic_baselines"    # beside the run dirs: runs on the same split share one fit


def eval_predictions_file(split: str) -> str:
  return f"{PREDICTIONS_DIR}/eval_{split}.csv"


def predictions_file(stem: str) -> str:
  """predict's default output for a data file named ``stem``.*."""
  return f"{PREDICTIONS_DIR}/{stem}.csv"


def explained_png(i: int) -> str:
  """The heatmap of the i-th (1-based) text given to an experiment's --explain."""
  return f"attention_{i}.png"


def classic_cache(run_dir: Path) -> Path:
  return Path(run_dir).parent / CLASSIC_CACHE_DIR


def write_text_atomic(path: str | Path, text: str) -> None:
  """Writes ``text`` to ``path`` via a temp file in the same folder and an atomic rename."""
  path = Path(path)
  fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
  try:
    with os.fdopen(fd, "w") as f:
      f.write(text)
      f.flush()
      os.fsync(f.fileno())
    os.replace(tmp, path)
  except BaseException:
    Path(tmp).unlink(missing_ok=True)
    raise


def write_json_atomic(path: str | Path, obj: Any, indent: int | None = 1) -> None:
  write_text_atomic(path, json.dumps(obj, indent=indent))


def read_json(run_dir: str | Path, name: str) -> Any | None:
  """A JSON file of the run dir, or None when it has none."""
  path = Path(run_dir) / name
  return json.loads(path.read_text()) if path.exists() else None


def check_resumable(run_dir: Path, config_diffs: Callable[[dict], list[str]], inputs: dict | None) -> None:
  """Refuses a run dir holding another config or trained on other data; needs no data loaded.

  ``config_diffs(stored config)`` names the differences that matter (run.spec.spec_diffs);
  ``inputs`` is what this run reads (``download.identity``; None for generated data).
  """
  stored = read_json(run_dir, CONFIG_FILE)
  diffs = config_diffs(stored) if stored is not None else []
  if diffs:
    raise DataError(f"{run_dir} holds a run with a different config ({'; '.join(diffs[:5])}). "
                    "Use another --run_name/--workdir, or --overwrite to start over.")
  recorded = read_json(run_dir, INPUTS_FILE)
  changed = download.identity_changes(recorded, inputs) if recorded is not None and inputs is not None else []
  if changed:
    raise DataError(f"{run_dir} was trained on other data: {'; '.join(changed)}. Resuming would mix "
                    "two data sets; use another --run_name/--workdir, or --overwrite to start over.")


def prepare(run_dir: Path, config: dict, config_diffs: Callable[[dict], list[str]], inputs: dict | None,
            overwrite: bool = False, min_free_mb: float = MIN_FREE_MB) -> None:
  """Under the lock: clears the dir (``overwrite``) or checks it again (``check_resumable``),
  checks it is writable with room (``check_run_dir``), then records ``config`` and ``inputs``."""
  if overwrite and run_dir.exists():
    clear(run_dir)
  check_resumable(run_dir, config_diffs, inputs)
  check_run_dir(run_dir, min_free_mb)
  write_json_atomic(run_dir / CONFIG_FILE, config)
  if inputs is not None:
    write_json_atomic(run_dir / INPUTS_FILE, inputs)


def clear(run_dir: Path) -> None:
  """Everything but the lock, which this process holds (``locked``)."""
  for child in run_dir.iterdir():
    if child.name != LOCK_FILE:
      shutil.rmtree(child) if child.is_dir() else child.unlink()


class RunDirBusy(DataError):
  """Another live process holds the run directory."""


@contextlib.contextmanager
def locked(run_dir: str | Path) -> Iterator[None]:
  """Holds ``run_dir``'s lock for the block; refuses at once if a live process holds it."""
  run_dir = Path(run_dir)
  run_dir.mkdir(parents=True, exist_ok=True)
  path = run_dir / LOCK_FILE
  with open(path, "a+") as f:
    try:
      fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      raise RunDirBusy(f"{run_dir} is in use by another run ({_holder(f) or 'unknown process'}): wait for it "
                       "to finish, or use another --run_name/--workdir.") from None
    previous = _holder(f)
    if previous:   # a holder that exited cleanly clears the file, so this one died mid-run
      print(f"Taking over the lock of {run_dir} from {previous}, which is no longer running.")
    f.seek(0), f.truncate()
    f.write(f"pid {os.getpid()} on {socket.gethostname()}")
    f.flush()
    try:
      yield
    finally:
      f.seek(0), f.truncate()
      f.flush()
      fcntl.flock(f, fcntl.LOCK_UN)


def _holder(f) -> str:
  f.seek(0)
  return f.read().strip()
