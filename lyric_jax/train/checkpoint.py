"""Orbax checkpoints of the whole training loop, so a killed run resumes exactly.

One checkpoint per epoch (the last two kept), a Composite of three items: ``train_state``
(the population's TrainState: params, optimiser state, step, RNG keys), ``best`` (each
replica's best-so-far parameters) and ``meta`` (JSON: the epoch, the early-stopping
counters, and the CRC-32 of every array). The data order is a function of (data_seed,
epoch), so nothing else is needed to resume; predict and explain read ``best`` and ``meta``
alone, without an optimiser. A checkpoint whose CRCs do not match, or that fails to restore, is
skipped with a one-line warning in favour of the one before it, and the retrained epoch
replaces it on disk; if none restores, training stops rather than silently starting over.
Run dirs in the older layouts (one pytree item, with or without checksums) are still read.

Saves run in the background, overlapping the next epoch; the next save and ``close`` wait
for one to finish. A run checks its directory before training (``check_run_dir``); a save
that fails (disk full, directory gone read-only) stops it with a CheckpointError, and the same
command resumes from the last complete checkpoint (Orbax renames a checkpoint into place
only once it is complete).
"""

from __future__ import annotations

import contextlib
import gc
import json
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

from lyric_jax.train.sharding import to_host

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


TRAIN_STATE, BEST, META = "train_state", "best", "meta"   # the items; the first two are loop-state keys too
ARRAY_ITEMS = (TRAIN_STATE, BEST)   # every other loop-state key is a [P] counter, kept in META
COUNTERS = "counters"               # META's key for the counters, and for their checksum
# Older layouts, still read: the whole loop state as one pytree item ('state' for the train
# state), named 'state' beside a JSON item of its checksums, or 'default' alone (before checksums).
OLD_STATE, OLD_CHECKSUMS, OLDEST_STATE = "state", "checksums", "default"
OLD_KEYS = {TRAIN_STATE: "state"}


def checksums(tree: Any) -> dict[str, str]:
  """CRC-32 of every array by tree path: Orbax/TensorStore store no checksums of their own,
  so a flipped bit would otherwise load silently."""
  flat, _ = jax.tree_util.tree_flatten_with_path(tree)
  return {jax.tree_util.keystr(path): f"{zlib.crc32(np.ascontiguousarray(leaf).tobytes()):08x}"
          for path, leaf in flat}


def _json_checksum(value: Any) -> str:
  return f"{zlib.crc32(json.dumps(value, sort_keys=True).encode()):08x}"


class LoopCheckpointer:
  """Each epoch's loop state as one Composite checkpoint: TRAIN_STATE, BEST and META.

  The loop state is a dict: TRAIN_STATE (the population's TrainState), BEST ({'params',
  'model_state'}, leaves [P, ...]) and [P] counters (e.g. 'best_score', 'bad_epochs').
  """

  def __init__(self, directory: str | Path):
    self.directory = Path(directory).absolute()
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=2, enable_async_checkpointing=True),
        # Named handlers: a step folder that lost its items must not change how the others read.
        item_handlers={TRAIN_STATE: ocp.StandardCheckpointHandler(), BEST: ocp.StandardCheckpointHandler(),
                       META: ocp.JsonCheckpointHandler(),
                       # Partial reads of the older layouts: predict wants BEST and the counters alone.
                       OLD_STATE: ocp.PyTreeCheckpointHandler(), OLD_CHECKSUMS: ocp.JsonCheckpointHandler(),
                       OLDEST_STATE: ocp.PyTreeCheckpointHandler()})
    self._saving: int | None = None   # the epoch whose save runs in the background
    self._quiet = _NoTraceback()      # for the checkpointer's life: a background save logs when it fails
    logging.getLogger("absl").addFilter(self._quiet)

  def save(self, epoch: int, loop_state: dict) -> None:
    """Starts writing epoch ``epoch`` in the background, once the previous save is on disk.

    A step already on disk (one that failed to restore, or a later epoch of a run resumed
    from an older one) is replaced, never kept in place of the new one.
    """
    self.wait()
    arrays = to_host(serialization.to_state_dict({k: loop_state[k] for k in ARRAY_ITEMS}))
    counters = {k: np.asarray(v).tolist() for k, v in loop_state.items() if k not in ARRAY_ITEMS}
    meta = {"epoch": epoch, COUNTERS: counters,
            "checksums": {**checksums(arrays), COUNTERS: _json_checksum(counters)}}
    with writing(self.directory, f"the checkpoint of epoch {epoch}"):
      for stale in [s for s in self.steps() if s >= epoch]:
        self._manager.delete(stale)
      saved = self._manager.save(epoch, args=ocp.args.Composite(
          **{k: ocp.args.StandardSave(v) for k, v in arrays.items()}, **{META: ocp.args.JsonSave(meta)}))
    if not saved:
      raise CheckpointError(f"Orbax did not write the checkpoint of epoch {epoch} in {self.directory}.")
    self._saving = epoch

  def wait(self) -> None:
    """Blocks until the save in flight is complete on disk (Orbax renames it into place only
    then, so a kill before finds the previous one); a failed save is a CheckpointError."""
    epoch, self._saving = self._saving, None
    if epoch is not None:
      with writing(self.directory, f"the checkpoint of epoch {epoch}"):
        self._manager.wait_until_finished()

  def steps(self) -> list[int]:
    self._manager.reload()
    return sorted(self._manager.all_steps())

  def restore_latest(self, template: dict) -> tuple[int, dict] | None:
    """(epoch, loop_state) of the newest checkpoint that restores and matches its checksums,
    or None if there are none. Newer ones that fail are named in a one-line warning.

    ``template``: a loop state (concrete or from jax.eval_shape) to restore into; without
    TRAIN_STATE, only BEST and the counters are read (no optimiser state: predict, explain).
    """
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
    step = self.directory / str(epoch)
    if (step / OLDEST_STATE).exists():
      return self._restore_one_item(epoch, OLDEST_STATE, target)
    if (step / OLD_STATE).exists() or (step / OLD_CHECKSUMS).exists():
      return self._restore_one_item(epoch, OLD_STATE, target)
    items = [k for k in ARRAY_ITEMS if k in target]
    restored = self._manager.restore(epoch, args=ocp.args.Composite(
        **{k: ocp.args.StandardRestore(target[k]) for k in items}, **{META: ocp.args.JsonRestore()}))
    meta = restored[META]
    if meta["epoch"] != epoch:
      raise CheckpointError(f"step {epoch} holds epoch {meta['epoch']}")
    _verify({k: restored[k] for k in items}, meta["checksums"])
    if _json_checksum(meta[COUNTERS]) != meta["checksums"][COUNTERS]:
      raise CheckpointError("checksum mismatch in the early-stopping counters")
    counters = {k: np.asarray(meta[COUNTERS][k], target[k].dtype) for k in target if k not in ARRAY_ITEMS}
    return {**{k: restored[k] for k in items}, **counters}

  def _restore_one_item(self, epoch: int, item: str, target: dict) -> dict:
    """``target``'s part of a checkpoint in an older layout. Under OLDEST_STATE, loop fields
    added since (absent from it) keep the target's fresh values."""
    old_target = {OLD_KEYS.get(k, k): v for k, v in target.items()}
    if item == OLDEST_STATE:
      saved = set(self._manager.item_metadata(epoch)[item].keys())
      old_target = {k: v for k, v in old_target.items() if k in saved}
    args = {item: ocp.args.PyTreeRestore(old_target, ocp.checkpoint_utils.construct_restore_args(old_target),
                                         partial_restore=True)}
    if item == OLD_STATE:
      args[OLD_CHECKSUMS] = ocp.args.JsonRestore()
    restored = self._manager.restore(epoch, args=ocp.args.Composite(**args))
    if item == OLD_STATE:
      _verify(restored[item], restored[OLD_CHECKSUMS])
    renamed = {old: new for new, old in OLD_KEYS.items()}
    return {**target, **{renamed.get(k, k): v for k, v in restored[item].items()}}

  def close(self) -> None:
    try:
      self.wait()
    finally:
      self._manager.close()
      logging.getLogger("absl").removeFilter(self._quiet)

  def __enter__(self) -> "LoopCheckpointer":
    return self

  def __exit__(self, kind, error, tb) -> None:
    """Closes, waiting for the save in flight (and joining Orbax's threads, which would
    otherwise print a traceback at exit after a Ctrl-C); while an error is already on its
    way out, a failing close does not replace it."""
    if kind is None:
      self.close()
      return
    with contextlib.suppress(Exception):
      self.close()


def _verify(restored: dict, expected: dict) -> None:
  bad = [k for k, v in checksums(restored).items() if expected.get(k) != v]
  if bad:
    raise CheckpointError(f"checksum mismatch in {len(bad)} array(s), e.g. {bad[0]}")


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
