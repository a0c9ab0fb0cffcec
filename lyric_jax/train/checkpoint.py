"""Orbax checkpoints of the whole training loop, so a killed run resumes exactly.

One checkpoint per epoch (the last two kept) holds the population's train state,
each replica's best-so-far parameters, early-stopping counters and the epoch; the
data order is a function of (data_seed, epoch), so nothing else is needed to resume.
Every checkpoint carries the CRC-32 of each of its arrays, checked on restore. A
checkpoint that fails to restore or to match is skipped with a one-line warning in favour
of the one before it, and the retrained epoch replaces it on disk; if none restores,
training stops rather than silently starting over.
A run checks its directory before training (``check_run_dir``); a save that fails
(disk full, directory gone read-only) stops it with a CheckpointError, and the same
command resumes from the last complete checkpoint (Orbax renames a checkpoint into
place only once it is complete).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import shutil
import sys
import tempfile
import traceback
import warnings
import zlib
from pathlib import Path
from typing import Any

import jax
import numpy as np
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


STATE, CHECKSUMS = "state", "checksums"
LEGACY_ITEM = "default"   # checkpoints written before checksums: the state alone, unverified


def checksums(state_dict: Any) -> dict[str, str]:
  """CRC-32 of every array by tree path: Orbax/TensorStore store no checksums of their own,
  so a flipped bit would otherwise load silently."""
  flat, _ = jax.tree_util.tree_flatten_with_path(state_dict)
  return {jax.tree_util.keystr(path): f"{zlib.crc32(np.ascontiguousarray(leaf).tobytes()):08x}"
          for path, leaf in flat}


class LoopCheckpointer:
  """Each epoch's loop state beside the checksums of its arrays, as one Composite checkpoint."""

  def __init__(self, directory: str | Path, max_to_keep: int = 2, read_only: bool = False):
    self.directory = Path(directory).absolute()
    self._manager = ocp.CheckpointManager(
        self.directory,
        # Synchronous: every save is waited for anyway, and no background thread outlives a failure.
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=not read_only, read_only=read_only,
                                             enable_async_checkpointing=False),
        # Named handlers: a step folder that lost its items must not change how the others read.
        item_handlers={STATE: ocp.StandardCheckpointHandler(), CHECKSUMS: ocp.JsonCheckpointHandler()})

  def save(self, epoch: int, loop_state: Any) -> None:
    """Writes epoch ``epoch``; a step already on disk (one that failed to restore, or a later
    epoch of a run resumed from an older one) is replaced, never kept in place of the new one."""
    state_dict = jax.device_get(serialization.to_state_dict(loop_state))
    absl_logger, quiet = logging.getLogger("absl"), _NoTraceback()
    absl_logger.addFilter(quiet)
    try:
      with writing(self.directory, f"the checkpoint of epoch {epoch}"):
        for stale in [s for s in self.steps() if s >= epoch]:
          self._manager.delete(stale)
        saved = self._manager.save(epoch, args=ocp.args.Composite(
            **{STATE: ocp.args.StandardSave(state_dict), CHECKSUMS: ocp.args.JsonSave(checksums(state_dict))}))
        self._manager.wait_until_finished()   # a kill right after save must find it complete
    finally:
      absl_logger.removeFilter(quiet)
    if not saved:
      raise CheckpointError(f"Orbax did not write the checkpoint of epoch {epoch} in {self.directory}.")

  def steps(self) -> list[int]:
    self._manager.reload()
    return sorted(self._manager.all_steps())

  def restore_latest(self, template: Any) -> tuple[int, Any] | None:
    """(epoch, loop_state) of the newest checkpoint that restores and matches its checksums,
    or None if there are none. Newer ones that fail are named in a one-line warning."""
    failures = []
    target = serialization.to_state_dict(template)
    with _quiet_failed_reads():
      restored = self._restore_newest(target, failures)
    if restored is not None:
      epoch, restored = restored
      if failures:
        logging.warning("Checkpoint(s) of epoch %s could not be restored (%s); resuming from epoch %d.",
                        [e for e, _ in failures], failures[0][1], epoch)
      return epoch, serialization.from_state_dict(template, restored)
    if failures:
      raise CheckpointError(
          f"No checkpoint in {self.directory} could be restored: "
          + "; ".join(f"epoch {e}: {msg}" for e, msg in failures)
          + ". If the model or data config changed, use a new --workdir/--run_name; "
            "to discard these checkpoints, delete that directory.")
    return None

  def _restore_newest(self, target: dict, failures: list) -> tuple[int, dict] | None:
    for epoch in reversed(self.steps()):
      try:
        return epoch, self._restore(epoch, target)
      except Exception as e:  # orbax raises many types for truncated/corrupt/mismatched files
        failures.append((epoch, _one_line(e)))
    return None

  def _restore(self, epoch: int, target: dict) -> dict:
    if (self.directory / str(epoch) / LEGACY_ITEM).exists():
      return _restore_legacy(self.directory, epoch, target)
    restored = self._manager.restore(epoch, args=ocp.args.Composite(
        **{STATE: ocp.args.StandardRestore(target), CHECKSUMS: ocp.args.JsonRestore()}))
    state, expected = restored[STATE], restored[CHECKSUMS]
    bad = [k for k, v in checksums(state).items() if expected.get(k) != v]
    if bad:
      raise CheckpointError(f"checksum mismatch in {len(bad)} array(s), e.g. {bad[0]}")
    return state

  def close(self) -> None:
    self._manager.wait_until_finished()
    self._manager.close()

  def __enter__(self) -> "LoopCheckpointer":
    return self

  def __exit__(self, kind, error, tb) -> None:
    """Closes (joining Orbax's threads, which would otherwise print a traceback at exit after a
    Ctrl-C); while an error is already on its way out, a failing close does not replace it."""
    if kind is None:
      self.close()
      return
    with contextlib.suppress(Exception):
      self.close()


def _restore_legacy(directory: Path, epoch: int, target: dict) -> dict:
  """A checkpoint from before checksums: one StandardSave item; loop fields added since then
  (absent from it) keep the template's fresh values."""
  manager = ocp.CheckpointManager(directory, options=ocp.CheckpointManagerOptions(read_only=True),
                                  item_handlers=ocp.StandardCheckpointHandler())
  try:
    saved_keys = set(manager.item_metadata(epoch).keys())
    restored = manager.restore(epoch, args=ocp.args.StandardRestore({k: v for k, v in target.items()
                                                                     if k in saved_keys}))
  finally:
    manager.close()
  return {**target, **restored}


@contextlib.contextmanager
def _quiet_failed_reads():
  """When one array of a checkpoint fails to read, Orbax raises that error, and its other read
  coroutines fail too: Python prints each one (a TensorStore spec dump, "Event loop is
  closed", asyncio's "Task exception was never retrieved", "coroutine ... was never
  awaited") when it is collected, thousands
  of lines after the one that matters. Those are collected here, silently; the first error
  is reported once by the caller."""
  previous, asyncio_logger = sys.unraisablehook, logging.getLogger("asyncio")

  def hook(unraisable):
    frames = traceback.extract_tb(unraisable.exc_traceback) if unraisable.exc_traceback else []
    code = getattr(unraisable.object, "cr_code", None)
    files = [f.filename for f in frames] + ([code.co_filename] if code else [])
    if not any("orbax" in f or "asyncio" in f for f in files):
      previous(unraisable)

  sys.unraisablehook, asyncio_logger.disabled = hook, True
  try:
    with warnings.catch_warnings():
      warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
      try:
        yield
      finally:
        gc.collect()
  finally:
    sys.unraisablehook, asyncio_logger.disabled = previous, False


def _one_line(error: Exception) -> str:
  """TensorStore errors carry multi-line dumps: the first line says what happened."""
  text = str(error).strip().splitlines()[0] if str(error).strip() else ""
  return f"{type(error).__name__}: {text[:200]}"
