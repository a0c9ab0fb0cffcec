"""Shared fixtures: tiny synthetic data and a model for it, and the real data dir when this machine has it."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Tests run tiny shapes, where XLA's compile time dominates: skipping backend
# optimisation halves the suite's CPU time. Set before any JAX backend starts, and
# inherited by the CLI subprocesses the end-to-end tests launch.
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
# The classic baseline's gradient boosting uses OpenMP threads, which spin when test workers
# already fill the cores: one thread each is ~20× faster on tiny data here (24 s → 1.3 s).
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Many tests run the same tiny program again in a new process (a CLI run, its resume, its predict):
# one compilation cache for the whole session, which the test workers and the CLI subprocesses
# they start inherit, compiles each program once. Made by the first process that imports this
# (the xdist controller), removed when it exits.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="lyric_jax_test_xla_cache_")
  atexit.register(shutil.rmtree, os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
  os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")

# Imported after the flags, so that they are set before anything can start a JAX backend.
from lyric_jax.data import sources  # noqa: E402
from lyric_jax.data.encode import Preprocessor, TextSpec  # noqa: E402
from lyric_jax.models import registry  # noqa: E402
from lyric_jax.run.pipeline import split_table  # noqa: E402
from lyric_jax.run.spec import RunSpec  # noqa: E402

REAL_DATA = Path(os.environ.get("LYRIC_JAX_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data"))


@pytest.fixture
def real_data_dir() -> Path:
  """The seed data sets (../shared/data or $LYRIC_JAX_DATA); skips cleanly when absent."""
  if not (REAL_DATA / "SOURCES.md").exists() and not any(REAL_DATA.glob("*.csv*")):
    pytest.skip(f"real data not present at {REAL_DATA}")
  return REAL_DATA


def tiny_text_task(max_len: str = "24"):
  """Encoded train/val/test of 120 synthetic songs (8–64 words, cut at ``max_len``), and a
  matching text model."""
  table = sources.get("synthetic").load(num_examples=120, num_classes=3)
  parts = split_table(table, RunSpec(experiment="t", dataset="synthetic", model="text"))
  pre = Preprocessor.fit(parts["train"], sorted(table.frame["label"].unique()),
                         TextSpec(max_len=max_len, min_frequency=1))
  data = {k: pre.encode(v) for k, v in parts.items()}
  model = registry.build("text", num_classes=3, vocab_size=pre.vocab_size, embed=8, hidden=8)
  return model, data


@pytest.fixture(scope="module")
def tiny():
  return tiny_text_task()
