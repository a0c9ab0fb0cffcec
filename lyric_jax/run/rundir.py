"""The files of a run directory that are not checkpoints: written whole or not at all, and
guarded by a lock so that two processes never train into one directory.

A kill while a file is written leaves the old file or none, never half of one (temp file
+ rename). The lock is an ``flock`` on ``.lock``: the kernel drops it when its process
dies, so the lock of a killed run is taken over (with a message naming the dead process).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any, Iterator

from lyric_jax.data.errors import DataError

LOCK_FILE = ".lock"


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
