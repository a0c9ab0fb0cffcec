"""Orbax checkpoints of the whole training loop, so a killed run resumes exactly.

One checkpoint per epoch (the last two kept) holds the population's train state,
each replica's best-so-far parameters, early-stopping counters and the epoch; the
data order is a function of (data_seed, epoch), so nothing else is needed to resume.
A checkpoint that fails to restore is skipped with a warning in favour of the one
before it; if none restores, training stops rather than silently starting over.
A run checks its directory before training (``check_run_dir``); a save that fails
(disk full, directory gone read-only) stops it with a CheckpointError, and the same
command resumes from the last complete checkpoint (Orbax renames a checkpoint into
place only once it is complete).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jax
import orbax.checkpoint as ocp
from flax import serialization

MIN_FREE_MB = 64   # free space a run keeps beyond its checkpoints (metrics, predictions, plots)


class CheckpointError(RuntimeError):
  """A run directory cannot take checkpoints (not writable, disk full), or its checkpoints cannot be used."""


def check_run_dir(directory: str | Path, min_free_mb: float = MIN_FREE_MB, checkpoint_bytes: int = 0) -> None:
  """Creates ``directory`` and checks, before any training, that it is writable and that its
  disk has ``min_free_mb`` MiB free plus room for one more checkpoint of ``checkpoint_bytes``."""
  directory = Path(directory)
  try:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory):   # a name of its own: hosts may share the dir
      pass
  except OSError as e:
    raise CheckpointError(f"Run directory {directory} is not writable ({e.strerror or e}); "
                          "choose another --workdir.") from None
  free, needed = shutil.disk_usage(directory).free, min_free_mb * 2**20 + checkpoint_bytes
  if free < needed:
    checkpoint = f" plus {checkpoint_bytes / 2**20:.1f} MiB for a checkpoint" if checkpoint_bytes else ""
    raise CheckpointError(
        f"Only {free / 2**20:.1f} MiB free on the disk of run directory {directory}; a run needs "
        f"{needed / 2**20:.1f} MiB (--min_free_mb={min_free_mb:g}{checkpoint}). "
        "Free some space or choose another --workdir.")


def state_bytes(tree: Any) -> int:
  """Bytes of the arrays in ``tree`` (concrete or from jax.eval_shape): about one checkpoint's size."""
  return sum(x.size * x.dtype.itemsize for x in jax.tree.leaves(tree) if hasattr(x, "dtype"))


@contextlib.contextmanager
def writing(directory: Path, what: str):
  """Turns an OSError while writing ``what`` of a run into a CheckpointError saying how to go on."""
  try:
    yield
  except OSError as e:
    raise CheckpointError(
        f"Could not write {what} in {directory} ({e.strerror or e}): the disk may be full. Free some "
        "space, then rerun the same command: it resumes from the last complete checkpoint.") from None


class _NoTraceback(logging.Filter):
  """Orbax logs a failed background save with its traceback before raising the error again;
  the CheckpointError that follows says it in one line."""

  def filter(self, record: logging.LogRecord) -> bool:
    record.exc_info = record.exc_text = None
    return True


class LoopCheckpointer:
  def __init__(self, directory: str | Path, max_to_keep: int = 2):
    self.directory = Path(directory).absolute()
    self._manager = ocp.CheckpointManager(
        self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True))

  def save(self, epoch: int, loop_state: Any) -> None:
    absl_logger, quiet = logging.getLogger("absl"), _NoTraceback()
    absl_logger.addFilter(quiet)
    try:
      with writing(self.directory, f"the checkpoint of epoch {epoch}"):
        self._manager.save(epoch, args=ocp.args.StandardSave(serialization.to_state_dict(loop_state)))
        self._manager.wait_until_finished()   # a kill right after save must find it complete
    finally:
      absl_logger.removeFilter(quiet)

  def steps(self) -> list[int]:
    return sorted(self._manager.all_steps())

  def restore_latest(self, template: Any) -> tuple[int, Any] | None:
    """(epoch, loop_state) of the newest restorable checkpoint, or None if there are none."""
    steps = self.steps()
    failures = []
    for epoch in reversed(steps):
      try:
        target = serialization.to_state_dict(template)
        restored = self._manager.restore(epoch, args=ocp.args.StandardRestore(target))
        if failures:
          logging.warning("Checkpoint(s) %s could not be restored (%s); resumed from epoch %d.",
                          [e for e, _ in failures], failures[0][1], epoch)
        return epoch, serialization.from_state_dict(template, restored)
      except Exception as e:  # orbax raises many types for truncated/corrupt/mismatched files
        failures.append((epoch, f"{type(e).__name__}: {str(e)[:300]}"))
    if failures:
      raise CheckpointError(
          f"No checkpoint in {self.directory} could be restored: "
          + "; ".join(f"epoch {e}: {msg}" for e, msg in failures)
          + ". If the model or data config changed, use a new --workdir/--run_name; "
            "to discard these checkpoints, delete that directory.")
    return None

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()
