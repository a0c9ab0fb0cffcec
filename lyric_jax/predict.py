"""Predict with (and evaluate) any trained run on a file or a single text.

    python -m lyric_jax.predict --run_dir=RUN --data_file=FILE [--output=preds.csv]
    python -m lyric_jax.predict --run_dir=RUN --text="some lyrics"
    python -m lyric_jax.predict --run_dir=RUN --text="a review" --explain_png=attention.png

FILE is read with the run's own data source (same format as training, CSV gzipped
or not, labels optional). Writes one prediction per kept row with class
probabilities; rows the reader drops are counted and reported. When FILE has
labels, the same metrics as training are printed and written to metrics.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from absl import app, flags, logging

from lyric_jax import explain
from lyric_jax.data import sources
from lyric_jax.data.batches import iterate_batches, num_rows
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError
from lyric_jax.data.table import LABEL, ROW, TEXT, Table
from lyric_jax.experiment import build_model, load_spec, objective_for, relabel
from lyric_jax.train import steps
from lyric_jax.train.checkpoint import CheckpointError
from lyric_jax.train.loop import choose_replica, restore_best
from lyric_jax.train.objectives import classification_summary


def read_input(run_dir: Path, data_file: str | None, text: str | None) -> Table:
  spec = load_spec(run_dir)
  source = sources.get(spec.dataset)
  if text is not None:
    if spec.text is None:
      raise DataError("This run's model reads engineered features, not text: use --data_file.")
    preprocessor = Preprocessor.load(run_dir)
    if preprocessor.feature_names:
      raise DataError(f"This run's model also needs features {preprocessor.feature_names}: use --data_file.")
    if source.text_transform is not None:   # clean it as the source cleaned the training text
      text = source.text_transform(pd.Series([text])).iloc[0]
    return Table(pd.DataFrame({ROW: [0], TEXT: [text], "group": ["0"]}), (), {}, "text")
  if not data_file:
    raise DataError("Give --data_file=FILE or --text=TEXT")
  path = Path(data_file)
  labeled = (source.detect_labels(path) if source.detect_labels is not None
             else source.label_column in _columns(path))
  table = source.read_file(path, labeled=labeled, options=spec.dataset_options)
  return relabel(table, spec) if table.labeled else table


def _columns(path: Path) -> list[str]:
  if path.is_dir():
    return sorted({c for f in path.glob("*.csv") for c in pd.read_csv(f, nrows=0).columns})
  if not path.exists():
    raise DataError(f"Data file not found: {path.resolve()}")
  return list(pd.read_csv(path, nrows=0).columns)


def predict(run_dir: str | Path, table: Table, replica: str = "best",
            batch_size: int = 256) -> tuple[pd.DataFrame, dict | None]:
  """Predictions (one row per kept input row) and, for labelled input, the metrics."""
  run_dir = Path(run_dir)
  spec = load_spec(run_dir)
  preprocessor = Preprocessor.load(run_dir)
  arrays = preprocessor.encode(table)
  if num_rows(arrays) == 0:
    raise DataError("No usable rows to predict: " + table.report())
  model = build_model(spec, preprocessor)
  sample = next(iterate_batches({k: v for k, v in arrays.items() if k != "label"}, batch_size))
  loop = restore_best(model, sample, spec.fit, run_dir)
  objective = objective_for(spec, preprocessor)
  predict_step = steps.make_predict_step(objective, model.apply)
  params, model_state = loop["best"]["params"], loop["best"]["model_state"]
  probs = np.concatenate([
      np.asarray(predict_step(params, model_state, batch)["probabilities"])
      for batch in iterate_batches({k: v for k, v in arrays.items() if k != "label"}, batch_size)
  ], axis=1)[:, :num_rows(arrays)]                         # [P, N, C]; drop padding rows
  chosen = choose_replica(probs, np.asarray(loop["best_score"]), replica)
  out = pd.DataFrame({ROW: table.frame[ROW].to_numpy(),
                      "predicted": np.asarray(preprocessor.labels)[chosen.argmax(-1)]})
  for i, label in enumerate(preprocessor.labels):
    out[f"p_{label}"] = chosen[:, i]
  metrics = None
  if LABEL in arrays:
    out.insert(1, "label", table.frame[LABEL].to_numpy())
    c = preprocessor.num_classes
    confusion = np.zeros((c, c))
    np.add.at(confusion, (arrays["label"], chosen.argmax(-1)), 1)
    metrics = classification_summary(confusion)
    per_replica = [classification_summary(_confusion(arrays["label"], p.argmax(-1), c))["accuracy"]
                   for p in probs]
    metrics.update(replica=replica, replica_accuracies=per_replica,
                   replica_accuracy_mean=float(np.mean(per_replica)),
                   replica_accuracy_std=float(np.std(per_replica)))
  return out, metrics


def _confusion(true: np.ndarray, pred: np.ndarray, c: int) -> np.ndarray:
  confusion = np.zeros((c, c))
  np.add.at(confusion, (true, pred), 1)
  return confusion


FLAGS = flags.FLAGS
flags.DEFINE_string("run_dir", None, "A training run directory (holds config.json and checkpoints/).")
flags.DEFINE_string("data_file", None, "File to predict, in the run's source format (labels optional).")
flags.DEFINE_string("text", None, "A single raw text to classify instead of a file.")
flags.DEFINE_string("output", None, "Predictions CSV (default: RUN/predictions/<file stem>.csv).")
flags.DEFINE_string("replica", "best", "best | mean | replica index: which population member predicts.")
flags.DEFINE_string("explain_png", None, "With --text: write the model's attention over the text's "
                    "tokens as a heatmap PNG here (attention models only).")


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  if not FLAGS.run_dir:
    sys.exit("error: --run_dir is required")
  run_dir = Path(FLAGS.run_dir)
  try:
    table = read_input(run_dir, FLAGS.data_file, FLAGS.text)
    if table.drops:
      print(table.report())
    if FLAGS.explain_png and FLAGS.text is None:
      raise DataError("--explain_png explains one --text, not a --data_file")
    if FLAGS.explain_png:
      print(explain.explain_to_png(run_dir, FLAGS.text, FLAGS.explain_png, FLAGS.replica).describe())
      return
    predictions, metrics = predict(run_dir, table, FLAGS.replica)
  except (DataError, CheckpointError) as e:
    sys.exit(f"error: {e}")
  if FLAGS.text is not None:
    print(predictions.drop(columns=[ROW]).to_string(index=False))
    return
  stem = Path(FLAGS.data_file).name.split(".")[0]
  output = Path(FLAGS.output or run_dir / "predictions" / f"{stem}.csv")
  output.parent.mkdir(parents=True, exist_ok=True)
  predictions.to_csv(output, index=False)
  print(f"{len(predictions)} predictions written to {output}")
  if metrics is not None:
    metrics_path = output.with_suffix(".metrics.json")
    metrics_path.write_text(json.dumps({**metrics, "drops": table.drops}, indent=1))
    binary = (f", precision {metrics['precision']:.4f}, recall {metrics['recall']:.4f}, "
              f"F1 {metrics['f1']:.4f}" if "f1" in metrics else "")
    print(f"accuracy {metrics['accuracy']:.4f}{binary}, macro-F1 {metrics['macro_f1']:.4f} "
          f"(replica {FLAGS.replica}; replicas {metrics['replica_accuracy_mean']:.4f} ± "
          f"{metrics['replica_accuracy_std']:.4f}); metrics in {metrics_path}")


if __name__ == "__main__":
  app.run(main)
