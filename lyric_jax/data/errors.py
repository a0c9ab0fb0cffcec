"""User-facing data errors: raised before any array reaches JAX."""

from __future__ import annotations

import contextlib
from pathlib import Path


class DataError(ValueError):
  """Missing or malformed input data, with a message that says what to fix."""


class ConfigError(DataError):
  """A setting (flag or spec field) out of range: raised before a run directory is touched."""


def require(condition: bool, message: str) -> None:
  if not condition:
    raise ConfigError(message)


@contextlib.contextmanager
def naming_file(path: str | Path):
  """Puts ``path`` in front of a DataError raised inside that does not name the file yet,
  so whichever step of a reader finds the problem, the user learns which file to fix."""
  try:
    yield
  except DataError as e:
    if Path(path).name in str(e):
      raise
    raise DataError(f"{path}: {e}") from None
