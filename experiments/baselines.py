"""The classic baseline on every study job's split, alone: no net is trained.

    python -m experiments.baselines --studies=S1,S4 [--budget=full] [--data_dir=DIR] \
        [--workdir=runs/reproduce] [--train_rows=N]

Each job's RunSpec (from its flags, as ``experiments.reproduce`` computes it) gives its data
and split; each distinct split and kind of input is fitted once by
``lyric_jax.train.classic_baseline`` and printed as one markdown row (chosen parameters, val
and test metrics, seconds). Results are kept where the jobs' runs look for them
(WORKDIR/<study>/classic_baselines/), so the runs of ``experiments.reproduce`` reuse them.
``--train_rows=N`` fits on a seeded sample of N rows of each training split instead (a
quicker look; its results are kept under other keys, never reused by a run).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from absl import app, flags, logging

from experiments.studies import BUDGETS, select
from experiments.studies.tasks import Options, Task, check, plan
from lyric_jax.data.download import resolve_data_dir
from lyric_jax.data.table import LABEL
from lyric_jax.report.tables import classic_name
from lyric_jax.run.pipeline import load_table, split_table
from lyric_jax.run.rundir import classic_cache
from lyric_jax.train.classic_baseline import cache_key, classic_baseline
from lyric_jax.train.metrics import build_objective

FLAGS = flags.FLAGS
flags.DEFINE_list("studies", ["all"], "Studies whose jobs' splits to fit: a comma list of S0..S4, or all.")
flags.DEFINE_enum("budget", "full", list(BUDGETS), "Which job lists (their data, subsets and splits).")
flags.DEFINE_string("data_dir", None, "Folder holding the data files (else $LYRIC_JAX_DATA, else ./data).")
flags.DEFINE_string("workdir", "runs/reproduce", "Parent of the studies' run directories (WORKDIR/<study>/<run>).")
flags.DEFINE_integer("train_rows", 0, "Fit on a seeded sample of this many training rows (0 = the whole split).")

_DATA_FIELDS = ("dataset", "dataset_options", "labels", "label_map", "subset", "split_seed", "features")


def job_baselines(tasks: list[Task], data_dir: Path, train_rows: int = 0) -> list[dict]:
  """One record per distinct baseline among ``tasks`` (planned and checked): its jobs and its result."""
  tables, found = {}, {}
  for task in tasks:
    spec = task.spec
    data_key = json.dumps([getattr(spec, f) for f in _DATA_FIELDS], sort_keys=True, default=str)
    if data_key not in tables:         # jobs on one data set read it once (lastfm17: ~45 s)
      tables[data_key] = load_table(spec, str(data_dir))
    table = tables[data_key]
    parts = split_table(table, spec)
    if 0 < train_rows < len(parts["train"]):
      keep = np.sort(np.random.default_rng(0).choice(len(parts["train"]), train_rows, replace=False))
      parts["train"] = dataclasses.replace(parts["train"], frame=parts["train"].frame.iloc[keep].reset_index(drop=True))
    labels = sorted(table.frame[LABEL].unique()) if spec.objective.target == "classes" else []
    objective = build_objective(spec.objective, len(labels), spec.select_metric)
    text = spec.text is not None
    key = cache_key(parts, objective, labels, text)
    if key not in found:
      result = classic_baseline(parts, objective, labels, text=text, cache_dir=classic_cache(task.run_dir))
      found[key] = {"study": task.study, "jobs": [], "sizes": {s: len(p) for s, p in parts.items()},
                    "result": result}
    found[key]["jobs"].append(task.job.name)
  return list(found.values())


def markdown(records: list[dict]) -> str:
  lines = ["| study | jobs (same split) | train/val/test | classic baseline | val | test |", "|---" * 6 + "|"]
  for record in records:
    result = record["result"]
    sizes = "/".join(f"{record['sizes'][s]:,}" for s in ("train", "val", "test") if s in record["sizes"])
    if "skipped" in result:
      cells = [f"skipped: {result['skipped']}", "", ""]
    else:
      cells = [classic_name(result), _metrics(result["val"]), _metrics(result["test"]) if result["test"] else ""]
    lines.append(f"| {record['study']} | {', '.join(record['jobs'])} | {sizes} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def _metrics(summary: dict) -> str:
  if "mae" in summary:
    return f"MAE {summary['mae']:.4f}, RMSE {summary['rmse']:.4f}"
  shown = ["accuracy", "macro_f1"] + (["top5_accuracy"] if len(summary["per_class_accuracy"]) > 5 else [])
  shown += ["macro_recall"] if len(summary["per_class_accuracy"]) == 3 else []   # SemEval's metric
  return ", ".join(f"{m} {100 * summary[m]:.1f}" for m in shown)


def main(argv):
  logging.set_verbosity(logging.WARNING)
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments {argv[1:]}")
  options = Options(FLAGS.budget, 3, resolve_data_dir(FLAGS.data_dir), Path(FLAGS.workdir))
  records = []
  for study in select(FLAGS.studies):
    tasks, skipped = plan(study, options)
    if skipped:
      print(skipped)
    check(tasks)
    for task in tasks:
      if task.error:
        print(f"{study.key} {task.job.name}: {task.error}")
    records += job_baselines([t for t in tasks if t.spec is not None], options.data_dir, FLAGS.train_rows)
  print(markdown(records))


if __name__ == "__main__":
  app.run(main)
