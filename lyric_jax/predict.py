"""Predict with (and evaluate) any trained run on a file or a single text.

    python -m lyric_jax.predict --run_dir=RUN --data_file=FILE [--output=preds.csv]
    python -m lyric_jax.predict --run_dir=RUN --text="some lyrics"
    python -m lyric_jax.predict --run_dir=RUN --text="a review" --explain_png=attention.png
    python -m lyric_jax.predict --run_dir=RUN_A,RUN_B --replica=ensemble --data_file=FILE --output=preds.csv

FILE is read with the run's own data source (same format as training, CSV gzipped
or not, labels optional). Writes one prediction per kept row (class and class
probabilities, or the predicted score for regression runs); rows the reader drops
are counted and reported. When FILE has labels, the objective's metrics (accuracy,
macro-F1 … or MAE, RMSE …) are printed and written to metrics.json. Several runs of one task
(comma-separated) predict as one ensemble: the mean of all their replicas' probabilities or scores.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from absl import app, flags, logging

from lyric_jax import explain
from lyric_jax.data import sources
from lyric_jax.data.batches import iterate_batches, num_rows
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError, naming_file
from lyric_jax.data.table import LABEL, ROW, TEXT, Table, csv_columns
from lyric_jax.host_memory import keep_freed_memory
from lyric_jax.run import build
from lyric_jax.run.pipeline import relabel
from lyric_jax.run.results import ENSEMBLE, HEADLINE, METRIC_LABELS, best_replica, choose_replica, ensemble
from lyric_jax.run.rundir import predictions_file, write_json_atomic, write_text_atomic
from lyric_jax.run.spec import load_spec
from lyric_jax.train.checkpoint import CheckpointError
from lyric_jax.train.loop import predict_outputs
from lyric_jax.train.sharding import use_cpu_cores
from lyric_jax.train.metrics import evaluate, population_summaries, prediction_columns


def read_input(run_dir: str | Path | Sequence[str | Path], data_file: str | None, text: str | None) -> Table:
  """The rows to predict, read as the (first) run's source reads them."""
  run_dirs = run_dirs_of(run_dir)
  check_one_source(run_dirs)
  run_dir, spec = run_dirs[0], load_spec(run_dirs[0])
  source = sources.get(spec.dataset)
  if text is not None:
    return texts_table(run_dir, [text])
  if not data_file:
    raise DataError("Give --data_file=FILE or --text=TEXT")
  path = Path(data_file)
  options = {k: v for k, v in spec.dataset_options.items() if k not in source.selection_options}
  with naming_file(path):
    labeled = (source.detect_labels(path) if source.detect_labels is not None
               else source.label_column in _columns(path))
    table = source.read_file(path, labeled=labeled, options=options)
    return relabel(table, spec, require_all=False) if table.labeled else table


def texts_table(run_dir: Path, texts: list[str]) -> Table:
  """Raw texts as an unlabelled table (for text-only runs), cleaned as the source cleans its text."""
  spec = load_spec(run_dir)
  if spec.text is None:
    raise DataError("This run's model reads engineered features, not text: use --data_file.")
  preprocessor = Preprocessor.load(run_dir)
  if preprocessor.feature_names:
    raise DataError(f"This run's model also needs features {preprocessor.feature_names}: use --data_file.")
  texts = [sources.get(spec.dataset).clean(t, spec.dataset_options) for t in texts]
  return Table(pd.DataFrame({ROW: range(len(texts)), TEXT: list(texts), "group": [str(i) for i in range(len(texts))]}),
               (), {}, "text")


def _columns(path: Path) -> set[str]:
  files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
  return {c for f in files for c in csv_columns(f)}


@dataclasses.dataclass
class ReplicaOutputs:
  """Every replica's outputs for the kept rows of a table, with what is needed to read them."""
  kind: str                          # the objective's: 'classification' | 'regression'
  objective: Any
  preprocessor: Preprocessor
  arrays: dict[str, np.ndarray]      # the encoded input (with 'label' when labelled)
  outputs: dict[str, np.ndarray]     # name → [P, N, ...], e.g. 'score' or 'probabilities'
  best_score: np.ndarray             # [P] each replica's best validation score


def replica_outputs(run_dir: str | Path, table: Table, batch_size: int | None = None) -> ReplicaOutputs:
  """Restores a run's best parameters (every replica) and runs them on ``table``.

  ``batch_size`` defaults to the run's evaluation batch size, so outputs are computed as in training.
  """
  run_dir = Path(run_dir)
  spec = load_spec(run_dir)
  batch_size = batch_size or spec.fit.eval_batch_size
  preprocessor = Preprocessor.load(run_dir)
  arrays = preprocessor.encode(table)
  if num_rows(arrays) == 0:
    raise DataError("No usable rows to predict: " + table.report())
  sample = next(iterate_batches({k: v for k, v in arrays.items() if k != "label"}, batch_size))
  trained = build.restore(spec, preprocessor, run_dir, sample)
  outputs = predict_outputs(trained.objective, trained.model.apply, trained.params, trained.model_state,
                            arrays, batch_size)
  return ReplicaOutputs(spec.objective.kind, trained.objective, preprocessor, arrays, outputs, trained.best_score)


def check_one_source(run_dirs: Sequence[Path]) -> None:
  """Several runs predict one table only if they read one data source."""
  datasets = [load_spec(r).dataset for r in run_dirs]
  for other, dataset in zip(run_dirs[1:], datasets[1:]):
    if dataset != datasets[0]:
      raise DataError(f"{other} was trained on {dataset!r} and {run_dirs[0]} on {datasets[0]!r}: an ensemble "
                      f"needs runs of one task")


def run_dirs_of(run_dir: str | Path | Sequence[str | Path]) -> list[Path]:
  """One run directory, or several (a sequence, or comma-separated) predicting as one ensemble."""
  dirs = run_dir.split(",") if isinstance(run_dir, str) else [run_dir] if isinstance(run_dir, Path) else run_dir
  return [Path(d) for d in dirs]


def pooled_outputs(run_dirs: Sequence[str | Path], table: Table, batch_size: int | None = None) -> ReplicaOutputs:
  """The replicas of several runs of one task as one population: each run encodes ``table`` its
  own way (vocabulary, lengths, char n-grams), and their outputs [P, N, ...] are concatenated."""
  check_one_source(run_dirs)
  return pool([replica_outputs(r, table, batch_size) for r in run_dirs], run_dirs)


def pool(results: Sequence[ReplicaOutputs], run_dirs: Sequence[str | Path]) -> ReplicaOutputs:
  """``pooled_outputs`` of the runs' outputs on one table (``run_dirs`` name them in errors)."""
  first = results[0]
  for run_dir, other in zip(run_dirs[1:], results[1:]):
    if (other.kind, list(other.preprocessor.labels)) != (first.kind, list(first.preprocessor.labels)):
      raise DataError(f"{run_dir} predicts {other.kind} of {list(other.preprocessor.labels) or 'a score'} but "
                      f"{run_dirs[0]} {first.kind} of {list(first.preprocessor.labels) or 'a score'}: an "
                      f"ensemble needs runs of one task")
  shared = [k for k in first.outputs if all(k in r.outputs for r in results)]   # e.g. not one run's attention
  return dataclasses.replace(first, outputs={k: np.concatenate([r.outputs[k] for r in results]) for k in shared},
                             best_score=np.concatenate([r.best_score for r in results]))


def population_metrics(result: ReplicaOutputs) -> tuple[list[dict], dict]:
  """Every replica's metrics on labelled rows, and the ensemble's (mean probabilities or scores)."""
  labels = result.arrays["label"]
  return (population_summaries(result.objective, result.outputs, labels),
          evaluate(result.objective, {k: ensemble(v) for k, v in result.outputs.items()}, labels))


def predict(run_dir: str | Path | Sequence[str | Path], table: Table, replica: str = "best",
            batch_size: int | None = None) -> tuple[pd.DataFrame, dict | None]:
  """Predictions (one row per kept input row) and, for labelled input, the metrics.

  The metrics are the chosen replica's (or the ensemble's) summary, computed like training's
  (``metrics.evaluate``), plus the primary metric of every replica and of the ensemble.
  Several ``run_dir`` (``run_dirs_of``) predict as their replicas' ensemble only: their
  validation scores may be of different metrics, so none is 'best'.
  """
  run_dirs = run_dirs_of(run_dir)
  if len(run_dirs) > 1 and replica not in ENSEMBLE:
    raise DataError(f"{len(run_dirs)} runs predict together as one ensemble only: use --replica=ensemble, "
                    f"not {replica!r}")
  result = pooled_outputs(run_dirs, table, batch_size)
  objective, preprocessor, arrays, outputs = result.objective, result.preprocessor, result.arrays, result.outputs
  chosen = {k: choose_replica(v, result.best_score, replica) for k, v in outputs.items()}
  columns = {ROW: table.frame[ROW].to_numpy()}
  if LABEL in arrays:
    columns["label"] = table.frame[LABEL].to_numpy()
  columns.update(prediction_columns(objective, chosen, preprocessor.labels))
  out = pd.DataFrame(columns)     # built at once: column-by-column inserts fragment wide frames
  if LABEL not in arrays:
    return out, None
  primary = HEADLINE[result.kind][0]
  summaries, together = population_metrics(result)
  per_replica = [s[primary] for s in summaries]
  # Several runs' validation scores may be of different metrics: none of their replicas is 'best'.
  best = best_replica(result.best_score) if len(run_dirs) == 1 else None
  metrics = {**evaluate(objective, chosen, arrays["label"]),
             "replica": replica, "best_replica": best, "primary_metric": primary,
             f"replica_{primary}_values": per_replica, f"replica_{primary}_mean": float(np.mean(per_replica)),
             f"replica_{primary}_std": float(np.std(per_replica)), f"ensemble_{primary}": together[primary]}
  return out, metrics


# Shown after the headline metrics when present: the positive class's (binary tasks), the loss.
LINE_EXTRAS = ("precision", "recall", "f1", "loss")


def metrics_line(metrics: dict, replica: str, kind: str) -> str:
  """One line: the chosen model's headline metrics (of objective ``kind``), then the primary one of the others."""
  primary = metrics["primary_metric"]
  shown = [m for m in HEADLINE[kind] + LINE_EXTRAS if m in metrics]
  if len(metrics.get("per_class_accuracy", ())) <= 5 and "top5_accuracy" in shown:
    shown.remove("top5_accuracy")            # every class is in the top 5
  values = metrics[f"replica_{primary}_values"]
  replicas = (f"replicas' {primary} {metrics[f'replica_{primary}_mean']:.4f} ± "
              f"{metrics[f'replica_{primary}_std']:.4f}")
  best = metrics["best_replica"]
  if replica in ENSEMBLE:
    others = f"ensemble of {len(values)} replicas; {replicas}"
    others += f"; best on val (#{best}): {values[best]:.4f}" if best is not None else " (of several runs)"
  else:
    chosen = f"best replica on val: #{best}" if replica == "best" else f"replica #{replica}"
    others = f"{chosen}; {replicas}; ensemble of {len(values)}: {metrics[f'ensemble_{primary}']:.4f}"
  return ", ".join(f"{METRIC_LABELS[m]} {metrics[m]:.4f}" for m in shown) + f" ({others})"


FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "A training run directory (holds config.json and checkpoints/); several, "
                    "comma-separated, predict as one ensemble (--replica=ensemble, --output).")
flags.DEFINE_string("data_file", None, "File to predict, in the run's source format (labels optional).")
flags.DEFINE_string("text", None, "A single raw text to classify instead of a file.")
flags.DEFINE_string("output", None, "Predictions CSV (default: RUN/predictions/<file stem>.csv).")
flags.DEFINE_string("replica", "best", "Which model of the population predicts: best (on validation) | ensemble "
                    "(alias mean: the replicas' mean probabilities or scores) | a replica index.")
flags.DEFINE_string("explain_png", None, "With --text: write the model's attention over the text's "
                    "tokens as a heatmap PNG here (attention models only).")
flags.DEFINE_integer("cpu_devices", 0, "On a CPU, split each batch over this many devices (0: one per core; "
                     "1: predict on one device).")


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  if not FLAGS.run_dir:
    sys.exit("error: --run_dir is required")
  keep_freed_memory()
  use_cpu_cores(FLAGS.cpu_devices)
  run_dirs = run_dirs_of(FLAGS.run_dir)
  run_dir = run_dirs[0]
  try:
    if len(run_dirs) > 1 and (FLAGS.explain_png or (FLAGS.data_file and not FLAGS.output)):
      raise DataError("several runs: give --output=FILE for the ensemble's predictions (--explain_png explains "
                      "one run's attention)")
    table = read_input(run_dirs, FLAGS.data_file, FLAGS.text)
    if table.drops:
      print(table.report())
    if FLAGS.explain_png and FLAGS.text is None:
      raise DataError("--explain_png explains one --text, not a --data_file")
    if FLAGS.explain_png:
      print(explain.explain_to_png(run_dir, FLAGS.text, FLAGS.explain_png, FLAGS.replica).describe())
      return
    predictions, metrics = predict(run_dirs, table, FLAGS.replica)
  except (DataError, CheckpointError) as e:
    sys.exit(f"error: {e}")
  if FLAGS.text is not None:
    print(predictions.drop(columns=[ROW]).to_string(index=False))
    return
  stem = Path(FLAGS.data_file).name.split(".")[0]
  output = Path(FLAGS.output or run_dir / predictions_file(stem))
  try:
    output.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(output, predictions.to_csv(index=False))
    print(f"{len(predictions)} predictions written to {output}")
    if metrics is not None:
      metrics_path = output.with_suffix(".metrics.json")
      write_json_atomic(metrics_path, {**metrics, "drops": table.drops})
      print(f"{metrics_line(metrics, FLAGS.replica, load_spec(run_dir).objective.kind)}; metrics in {metrics_path}")
  except OSError as e:
    sys.exit(f"error: cannot write {e.filename or output} ({e.strerror or e}): choose another --output.")


if __name__ == "__main__":
  app.run(main)
