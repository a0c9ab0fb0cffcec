"""What the pretraining commands share: the job whose training split they read, and a
checkpoint folder that only the same settings may resume.

``experiments.word_vectors`` and ``experiments.language_model`` both take an experiment and
its flags after ``--``: that job's data, split and tokenizer flags pick the texts (the
training split only, never val or test) and the vocabulary, fitted exactly as the job will fit
them, so what they write lines up with the job's token ids.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
from absl import flags

from experiments.experiment import job_spec
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import ConfigError
from lyric_jax.data.table import LABEL, Table
from lyric_jax.run.pipeline import assign_splits, load_table, split_parts
from lyric_jax.run.spec import RunSpec

CONFIG_FILE = "config.json"


@dataclasses.dataclass(frozen=True)
class TrainingSplit:
  spec: RunSpec               # the job's
  train: Table                # its training rows
  preprocessor: Preprocessor  # fitted on them, as the job fits it
  which: np.ndarray           # every row's split (provenance.held_out_digest)


def define_flags(out: str, epochs: int, batch_size: int, batch_unit: str, lr: float, lr_help: str,
                 seed_help: str) -> None:
  """The flags every pretraining command has (on absl's global flags): where to write, the data,
  the length of training, the step, and the seed."""
  flags.DEFINE_string("out", None, out, required=True)
  flags.DEFINE_string("data_dir", None, "Folder holding the data files (else $LYRIC_JAX_DATA, else ./data).")
  flags.DEFINE_integer("epochs", epochs, "Passes over the training texts.")
  flags.DEFINE_integer("batch_size", batch_size, f"{batch_unit} per step.")
  flags.DEFINE_float("lr", lr, lr_help)
  flags.DEFINE_integer("seed", 0, seed_help)
  flags.DEFINE_bool("overwrite", False, "Discard the checkpoints of an earlier run with other settings.")


def training_split(experiment: str, argv: list[str], data_dir: str | None) -> TrainingSplit:
  """The training split of ``python -m experiments.<experiment> *argv`` and its fitted preprocessor.

  ``data_dir``: the command's own --data_dir; unset, the job's (it may be written after ``--``)."""
  spec = job_spec(experiment, argv)
  if data_dir is None:
    data_dir = job_data_dir(argv)
  if spec.text is None:
    raise ConfigError(f"{experiment} {' '.join(argv)} reads no text")
  table = load_table(spec, data_dir)
  print(table.report())
  which = assign_splits(table, spec)
  train = split_parts(table, which)["train"]
  labels = sorted(table.frame[LABEL].unique())
  preprocessor = Preprocessor.fit(train, labels, spec.text, target=spec.objective.target)
  return TrainingSplit(spec, train, preprocessor, which)


def job_data_dir(argv: list[str]) -> str | None:
  """The job's --data_dir (as --data_dir=DIR or --data_dir DIR), if it names one."""
  for i, arg in enumerate(argv):
    if arg.startswith("--data_dir="):
      return arg.split("=", 1)[1]
    if arg == "--data_dir" and i + 1 < len(argv):
      return argv[i + 1]
  return None


def prepare_checkpoints(directory: Path, settings: dict, overwrite: bool) -> None:
  """A checkpoint dir for these settings: a new one, or one made by the same settings (to resume)."""
  saved = directory / CONFIG_FILE
  if saved.exists() and json.loads(saved.read_text()) != settings:
    if not overwrite:
      raise ConfigError(f"{directory} holds a run with other settings or data; pass --overwrite to discard it")
    shutil.rmtree(directory)
  directory.mkdir(parents=True, exist_ok=True)
  saved.write_text(json.dumps(settings, indent=2))
