"""Shared fixtures: tiny synthetic data, and the real data dir when this machine has it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests run tiny shapes, where XLA's compile time dominates: skipping backend
# optimisation halves the suite's CPU time. Set before any JAX backend starts, and
# inherited by the CLI subprocesses the end-to-end tests launch.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
# The classic baseline's gradient boosting uses OpenMP threads, which spin when test workers
# already fill the cores: one thread each is ~20× faster on tiny data here (24 s → 1.3 s).
os.environ.setdefault("OMP_NUM_THREADS", "1")

REAL_DATA = Path(os.environ.get("LYRIC_JAX_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))


@pytest.fixture
def real_data_dir() -> Path:
  """The seed data sets (../shared/data or $LYRIC_JAX_DATA); skips cleanly when absent."""
  if not (REAL_DATA / "SOURCES.md").exists() and not any(REAL_DATA.glob("*.csv*")):
    pytest.skip(f"real data not present at {REAL_DATA}")
  return REAL_DATA
