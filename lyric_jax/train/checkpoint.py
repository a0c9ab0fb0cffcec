"""Orbax checkpoints of the whole training loop, so a killed run resumes exactly.

One checkpoint per epoch (the last two kept) holds the population's train state,
each replica's best-so-far parameters, early-stopping counters and the epoch; the
data order is a function of (data_seed, epoch), so nothing else is needed to resume.
A checkpoint that fails to restore is skipped with a warning in favour of the one
before it; if none restores, training stops rather than silently starting over.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orbax.checkpoint as ocp
from flax import serialization


class CheckpointError(RuntimeError):
  """A run directory's checkpoints exist but cannot be used."""


class LoopCheckpointer:
  def __init__(self, directory: str | Path, max_to_keep: int = 2):
    self.directory = Path(directory).absolute()
    self._manager = ocp.CheckpointManager(
        self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True))

  def save(self, epoch: int, loop_state: Any) -> None:
    self._manager.save(epoch, args=ocp.args.StandardSave(serialization.to_state_dict(loop_state)))
    self._manager.wait_until_finished()   # a kill right after save must find it complete

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
