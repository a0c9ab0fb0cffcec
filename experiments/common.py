"""Flags every experiment shares, and the glue from flags to ``lyric_jax.experiment.run``.

An experiment file defines its model flags, calls ``define_flags`` with the study's
defaults, and hands a RunSpec-building function to ``main``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from absl import flags, logging

from lyric_jax.data.encode import TextSpec
from lyric_jax.data.errors import DataError
from lyric_jax.experiment import RunSpec, run
from lyric_jax.report.run_report import write_run_report
from lyric_jax.train.checkpoint import CheckpointError
from lyric_jax.train.loop import FitConfig, TrainingError

FLAGS = flags.FLAGS


def define_flags(**defaults) -> None:
  """Shared flags; ``defaults`` overrides the generic defaults with a study's protocol."""
  d = {"dataset": "synthetic", "epochs": 10, "batch_size": 32, "lr": ["1e-3"], "max_len": "256",
       "tokenizer": "wordlevel", "min_freq": 2, "vocab_size": 30000, "patience": 0, "labels": [], **defaults}
  flags.DEFINE_string("data_dir", None, "Folder holding the data files (else $LYRIC_JAX_DATA, else ./data).")
  flags.DEFINE_string("dataset", d["dataset"], "Data source name (see lyric_jax.data.sources).")
  flags.DEFINE_list("labels", d["labels"], "Keep only these labels (genres), comma-separated; empty = all.")
  flags.DEFINE_integer("num_examples", 600, "Synthetic dataset only: number of songs.")
  flags.DEFINE_integer("num_classes", 4, "Synthetic dataset only: number of genres.")
  flags.DEFINE_string("workdir", "runs", "Parent folder of run directories.")
  flags.DEFINE_string("run_name", None, "Run directory name (default: experiment-model-dataset).")
  flags.DEFINE_bool("overwrite", False, "Delete an existing run directory instead of resuming it.")
  flags.DEFINE_integer("epochs", d["epochs"], "Training epochs.")
  flags.DEFINE_integer("batch_size", d["batch_size"], "Training batch size (all replicas see the same batches).")
  flags.DEFINE_integer("eval_batch_size", 256, "Evaluation batch size.")
  flags.DEFINE_list("lr", d["lr"], "Learning rate(s); several train as one vmapped population.")
  flags.DEFINE_integer("num_seeds", 3, "Replicas per learning rate (seeds seed..seed+N-1), vmapped.")
  flags.DEFINE_integer("seed", 0, "First initialisation/dropout seed.")
  flags.DEFINE_integer("data_seed", 0, "Seed of the batch order (shared by all replicas).")
  flags.DEFINE_integer("split_seed", 0, "Seed of the train/val/test split.")
  flags.DEFINE_list("split", ["0.8", "0.1", "0.1"], "Train/val/test fractions.")
  flags.DEFINE_integer("patience", d["patience"], "Early-stopping patience in epochs (0 = off).")
  flags.DEFINE_string("optimizer", "adam", "adam | adamw | sgd | rmsprop.")
  flags.DEFINE_float("clip_norm", 0.0, "Clip gradients to this global norm (0 = off).")
  flags.DEFINE_string("tokenizer", d["tokenizer"],
                      "wordlevel | wordpiece | keras (trained on the train split) | path to a tokenizer.json.")
  flags.DEFINE_integer("min_freq", d["min_freq"], "Minimum token frequency for trained vocabularies.")
  flags.DEFINE_integer("vocab_size", d["vocab_size"], "Maximum trained vocabulary size.")
  flags.DEFINE_string("max_len", d["max_len"], "Tokens per text: an integer, or mean | p95 | max of train.")
  flags.DEFINE_bool("progress", True, "Show progress bars and per-epoch lines.")


def text_spec() -> TextSpec:
  return TextSpec(tokenizer=FLAGS.tokenizer, min_frequency=FLAGS.min_freq,
                  vocab_size=FLAGS.vocab_size, max_len=FLAGS.max_len)


def fit_config() -> FitConfig:
  return FitConfig(
      epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, eval_batch_size=FLAGS.eval_batch_size,
      seeds=tuple(range(FLAGS.seed, FLAGS.seed + FLAGS.num_seeds)),
      learning_rates=tuple(float(x) for x in FLAGS.lr), optimizer=FLAGS.optimizer,
      clip_norm=FLAGS.clip_norm, patience=FLAGS.patience, data_seed=FLAGS.data_seed,
      progress=FLAGS.progress)


def base_spec(experiment: str, model: str, model_kwargs: dict, text: bool = True,
              features: bool = True) -> RunSpec:
  options = ({"num_examples": FLAGS.num_examples, "num_classes": FLAGS.num_classes, "seed": FLAGS.split_seed}
             if FLAGS.dataset == "synthetic" else {})
  return RunSpec(experiment=experiment, dataset=FLAGS.dataset, model=model, model_kwargs=model_kwargs,
                 dataset_options=options, labels=tuple(FLAGS.labels),
                 text=text_spec() if text else None, features=features, fit=fit_config(),
                 split_fractions=tuple(float(x) for x in FLAGS.split), split_seed=FLAGS.split_seed)


def main(make_spec: Callable[[], RunSpec],
         after_run: Callable[[Path, dict, list[str]], None] | None = None) -> Callable[[list[str]], None]:
  """An absl ``main`` that runs the spec and turns user errors into one clear line.

  ``after_run(run_dir, results, argv)`` runs after the report (e.g. predictions for custom texts).
  """

  def _main(argv):
    logging.set_verbosity(logging.WARNING)   # Orbax logs every save at INFO
    spec = make_spec()
    run_dir = Path(FLAGS.workdir) / (FLAGS.run_name or f"{spec.experiment}-{spec.model}-{spec.dataset}")
    try:
      results = run(spec, run_dir, FLAGS.data_dir, FLAGS.overwrite)
      print(write_run_report(results, run_dir))
      if after_run is not None:
        after_run(run_dir, results, argv[1:])
    except (DataError, CheckpointError, TrainingError) as e:
      sys.exit(f"error: {e}")
    print(f"Run directory: {run_dir} (RESULTS.md, PNG plots, metrics.jsonl, predictions/)")

  return _main
