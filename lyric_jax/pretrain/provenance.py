"""Which split a vectors file was trained on, so a run cannot start from vectors that read its test texts.

``experiments.word_vectors`` writes ``<vectors>.json`` beside the vectors: the data file, the
command, the training curve, and the SHA-256 of the rows held out of training (val and test,
by row index in the loaded table). A run given ``--vectors`` with such a file checks that its own
held-out rows are the same ones: vectors fitted on another split (another seed, grouping or
subset) may have been trained on this run's val/test texts, and would inflate its scores.
Files without one (GloVe) are not checked.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from lyric_jax.data.errors import DataError

HELD_OUT = ("val", "test")


def sidecar_path(vectors: str | Path) -> Path:
  vectors = Path(vectors)
  return vectors.with_name(vectors.name + ".json")


def held_out_digest(which: np.ndarray) -> str:
  """SHA-256 of the table size and the indices of its val/test rows (``pipeline.assign_splits``)."""
  rows = np.flatnonzero(np.isin(which, HELD_OUT)).astype(np.int64)
  return hashlib.sha256(np.int64(len(which)).tobytes() + rows.tobytes()).hexdigest()


def write_sidecar(vectors: str | Path, which: np.ndarray, info: dict, sidecar: Path | None = None) -> Path:
  """``info`` and the held-out rows' digest, as ``sidecar`` (default: ``<vectors>.json``)."""
  path = sidecar or sidecar_path(vectors)
  path.write_text(json.dumps({**info, "held_out_rows_sha256": held_out_digest(which)}, indent=2))
  return path


def check_held_out(vectors: str | Path, which: np.ndarray, sidecar: Path | None = None) -> None:
  """DataError unless ``vectors`` (or another pretrained artefact, described by ``sidecar``) were
  trained with exactly this run's val/test rows held out."""
  path = sidecar or sidecar_path(vectors)
  if not path.exists():
    return
  try:
    recorded = json.loads(path.read_text())["held_out_rows_sha256"]
  except (ValueError, KeyError, TypeError):
    raise DataError(f"{path} does not say which rows were held out of its training; train it again") from None
  if recorded != held_out_digest(which):
    raise DataError(f"{Path(vectors).name} was trained on another split than this run's (its val/test rows "
                    f"differ: {path}), so it may have read this run's test texts. Train it for this split: "
                    "python -m experiments.word_vectors (or experiments.language_model) --out=... "
                    "-- <this experiment> <its data/split flags>")
