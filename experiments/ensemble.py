"""Several finished runs of one task, on their shared split, as one ensemble.

    python -m experiments.ensemble --run_dirs=RUN_A,RUN_B [--data_dir=DIR] [--metrics_json=ensemble.json]

Each run's replicas and population ensemble (the mean of its replicas' probabilities or scores)
and the ensemble of all their replicas together, on the validation and test splits the runs share
(their split.csv files must be equal: same data, split seed and grouping), printed as one
markdown table and written as JSON. All replicas weigh the same: no weight is fitted, so
nothing is tuned on either split. New files: ``python -m lyric_jax.predict
--run_dir=RUN_A,RUN_B --replica=ensemble --data_file=FILE --output=preds.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from absl import app, flags, logging

from lyric_jax.data.download import resolve_data_dir
from lyric_jax.data.errors import DataError
from lyric_jax.host_memory import keep_freed_memory
from lyric_jax.predict import pool, population_metrics, replica_outputs, run_dirs_of
from lyric_jax.run.pipeline import load_table, split_table
from lyric_jax.run.results import HEADLINE
from lyric_jax.run.rundir import SPLIT_FILE, write_json_atomic
from lyric_jax.run.spec import load_spec
from lyric_jax.train.sharding import use_cpu_cores

ALL = "all runs together"

FLAGS = flags.FLAGS


def define_flags() -> None:
  """The command line's flags, defined only when run as one (importing this module defines none)."""
  flags.DEFINE_list("run_dirs", None, "Finished runs of one task on one split (comma-separated).")
  flags.DEFINE_string("data_dir", None, "Folder holding the data files (else $LYRIC_JAX_DATA, else ./data).")
  flags.DEFINE_list("splits", ["val", "test"], "Splits to evaluate.")
  flags.DEFINE_string("metric", None, "Metric of the table, e.g. macro_recall (default: the task's primary one).")
  flags.DEFINE_string("metrics_json", None, "JSON file for the metrics (default: print only).")


def check_shared_split(run_dirs: list[Path]) -> None:
  """Refuses runs whose rows were split differently: a row one run trained on may be another's test."""
  first = pd.read_csv(run_dirs[0] / SPLIT_FILE)
  for other in run_dirs[1:]:
    if not first.equals(pd.read_csv(other / SPLIT_FILE)):
      raise DataError(f"{other} and {run_dirs[0]} were split differently ({SPLIT_FILE} differs): an ensemble is "
                      f"evaluated on one split (same data, --split_seed and --grouping)")


def evaluate_ensemble(run_dirs: list[Path], data_dir: str | None, splits=("val", "test")) -> dict:
  """{split: {name: {'replicas': [metrics of each replica], 'ensemble': metrics of their mean}}}, one
  name per run dir and ``ALL`` for every replica of every run together."""
  for run_dir in run_dirs:
    if not (run_dir / SPLIT_FILE).exists():
      raise DataError(f"{run_dir} has no {SPLIT_FILE}: not a finished run")
  check_shared_split(run_dirs)
  spec = load_spec(run_dirs[0])
  parts = split_table(load_table(spec, data_dir), spec)
  missing = [s for s in splits if s not in parts]
  if missing:
    raise DataError(f"the runs' split has no {', '.join(missing)} rows (it has {', '.join(parts)})")
  results = {}
  for split in splits:
    each = [replica_outputs(r, parts[split]) for r in run_dirs]
    named = {**{str(r): out for r, out in zip(run_dirs, each)}, ALL: pool(each, run_dirs)}
    results[split] = {name: dict(zip(("replicas", "ensemble"), population_metrics(out))) for name, out in named.items()}
  return results


def markdown(results: dict, metric: str) -> str:
  """One row per run and one for all together: ``metric`` of each split, replicas' mean ± std and ensemble."""
  header = " | ".join(f"{split} {metric} (replicas) | {split} {metric} (ensemble)" for split in results)
  lines = [f"| model | replicas | {header} |", "|---|---|" + "---|---|" * len(results)]
  for name in next(iter(results.values())):
    cells = []
    for split in results:
      values = [100 * m[metric] for m in results[split][name]["replicas"]]
      cells += [f"{np.mean(values):.2f} ± {np.std(values):.2f}", f"{100 * results[split][name]['ensemble'][metric]:.2f}"]
    lines.append(f"| {name} | {len(values)} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  if not FLAGS.run_dirs or len(FLAGS.run_dirs) < 2:
    sys.exit("error: give two or more finished runs: --run_dirs=RUN_A,RUN_B")
  keep_freed_memory()
  use_cpu_cores()   # predicting only: each batch split over the cores, as lyric_jax.predict does
  try:
    run_dirs = run_dirs_of(FLAGS.run_dirs)
    results = evaluate_ensemble(run_dirs, str(resolve_data_dir(FLAGS.data_dir)), FLAGS.splits)
  except DataError as e:
    sys.exit(f"error: {e}")
  metric = FLAGS.metric or HEADLINE[load_spec(run_dirs[0]).objective.kind][0]
  known = next(iter(next(iter(results.values())).values()))["ensemble"]
  if metric not in known:
    sys.exit(f"error: --metric={metric} is not one of {sorted(k for k, v in known.items() if np.isscalar(v))}")
  print(markdown(results, metric))
  if FLAGS.metrics_json:
    write_json_atomic(Path(FLAGS.metrics_json), results)
    print(f"Metrics in {FLAGS.metrics_json}")


if __name__ == "__main__":
  define_flags()
  app.run(main)
