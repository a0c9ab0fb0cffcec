"""One experiment on several train/val/test splits, beside its classic baseline on each: is the net
ahead of the baseline, or only on one split's test rows?

    python -m experiments.resplit --split_seeds=0,1,2 --data_dir=DIR --workdir=runs/resplit \\
        -- lyrics_meta --model=ngram_resmlp --dataset=spotify13 <its flags>

After ``--`` come an experiment and its flags, as they would train. Split seed k runs that command
with ``--split_seed=k`` in WORKDIR/split<k> (a subprocess, as ``experiments.reproduce`` runs its
jobs: a run dir finished by the same config is reused, an unfinished one resumes). Every run fits
its classic baseline on its own split, so each split gives a paired difference: the net's mean
over seeds (and its ensemble) minus the baseline, on the same rows.

Why: a test split of ~900 rows moves by ±1.5 points of accuracy from the rows drawn alone, more
when whole artists fall in or out of it, so one split cannot tell a 1-point gap from luck. The
table (markdown, printed and written to ``--output`` with the numbers in ``<output>.json``) has
each split's val and test, and the mean ± sample std of the differences over the splits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from absl import app, flags, logging

from experiments.studies import Job
from experiments.studies.tasks import Task, check, execute
from lyric_jax.data.download import resolve_data_dir
from lyric_jax.data.errors import DataError
from lyric_jax.run.results import METRIC_LABELS, Results

# Metrics where lower is better: a difference counts as the net ahead when it is negative.
LOWER_IS_BETTER = frozenset({"mae", "rmse", "loss"})
SPLITS = ("val", "test")

FLAGS = flags.FLAGS


def define_flags() -> None:
  """The command line's flags, defined only when run as one (importing this module defines none)."""
  flags.DEFINE_list("split_seeds", ["0", "1", "2"], "Split seeds to run the experiment on (its --split_seed).")
  flags.DEFINE_integer("num_seeds", 3, "Replicas per run (unless the experiment's flags set --num_seeds).")
  flags.DEFINE_string("data_dir", None, "Folder holding the data files (else $LYRIC_JAX_DATA, else ./data).")
  flags.DEFINE_string("workdir", "runs/resplit", "Parent of the runs' directories (WORKDIR/split<k>).")
  flags.DEFINE_string("metric", None, "Metric of the table (default: the runs' select metric, e.g. accuracy).")
  flags.DEFINE_string("output", None, "Markdown file for the table (the numbers go to <output>.json).")


def split_tasks(experiment: str, argv: list[str], split_seeds: list[int], num_seeds: int, data_dir: Path,
                workdir: Path) -> list[Task]:
  """One task per split seed: the experiment's command with --split_seed=k, run in WORKDIR/split<k>."""
  tasks = []
  for seed in split_seeds:
    job = Job(f"split{seed}", experiment, tuple(argv)).with_flags(f"--split_seed={seed}")
    command = ["-m", f"experiments.{experiment}", *job.argv(data_dir, num_seeds, workdir)]
    tasks.append(Task("resplit", job, command, workdir / job.name))
  return tasks


def split_scores(results: Results, metric: str) -> dict:
  """{split: {'replicas', 'mean', 'ensemble', 'classic'}} of ``metric`` for one run (the replicas of the
  learning rate chosen on val; the ensemble and baseline None when the run has none)."""
  _, chosen = results.selected()
  classic = results.classic_baseline if results.classic_baseline and "skipped" not in results.classic_baseline else {}
  scores = {}
  for split, summaries in zip(SPLITS, (results.val, results.test)):
    if summaries is None:
      continue
    replicas = [summaries[i][metric] for i in chosen]
    scores[split] = {"replicas": replicas, "mean": float(np.mean(replicas)),
                     "ensemble": results.ensemble[split].get(metric) if results.ensemble else None,
                     "classic": classic.get(split, {}).get(metric)}
  return scores


def paired(per_split: dict[int, dict], split: str, model: str) -> list[float]:
  """``model`` ('mean' or 'ensemble') minus the classic baseline on each split seed that has both."""
  return [s[split][model] - s[split]["classic"] for s in per_split.values()
          if split in s and s[split][model] is not None and s[split]["classic"] is not None]


def markdown(per_split: dict[int, dict], metric: str) -> str:
  scale = 1.0 if metric in LOWER_IS_BETTER else 100.0
  fmt = (lambda v: "" if v is None else f"{scale * v:.{4 if scale == 1 else 2}f}")
  label = METRIC_LABELS.get(metric, metric)
  lines = ["| split seed | split | net: mean ± std over seeds | ensemble | classic baseline | net − baseline | "
           "ensemble − baseline |", "|---" * 7 + "|"]
  for seed, scores in per_split.items():
    for split, s in scores.items():
      net = f"{fmt(s['mean'])} ± {fmt(float(np.std(s['replicas'])))}"
      lines.append(f"| {seed} | {split} | {net} | {fmt(s['ensemble'])} | {fmt(s['classic'])} | "
                   f"{_diff(s['mean'], s['classic'], fmt)} | {_diff(s['ensemble'], s['classic'], fmt)} |")
  lines.append("")
  better = "lower" if metric in LOWER_IS_BETTER else "higher"
  for split in SPLITS:
    for model, name in (("mean", "the net (mean over seeds)"), ("ensemble", "its ensemble")):
      diffs = paired(per_split, split, model)
      if diffs:
        ahead = sum(d < 0 if metric in LOWER_IS_BETTER else d > 0 for d in diffs)
        spread = f" ± {fmt(float(np.std(diffs, ddof=1)))}" if len(diffs) > 1 else ""
        mean = float(np.mean(diffs))
        lines.append(f"- {split}: {name} − the classic baseline = {'−' if mean < 0 else '+'}{fmt(abs(mean))}{spread}"
                     f"{' points of' if scale == 100 else ''} {label} (mean ± sample std over {len(diffs)} splits; "
                     f"{better} is better), ahead on {ahead} of {len(diffs)}.")
  return "\n".join(lines)


def _diff(ours: float | None, theirs: float | None, fmt) -> str:
  return "" if ours is None or theirs is None else f"{'+' if ours >= theirs else '−'}{fmt(abs(ours - theirs))}"


def main(argv: list[str]) -> None:
  if len(argv) < 2:
    raise app.UsageError("name the experiment and its flags after '--', e.g. -- lyrics_meta --dataset=spotify13")
  logging.set_verbosity(logging.WARNING)
  try:
    data_dir, workdir = resolve_data_dir(FLAGS.data_dir), Path(FLAGS.workdir)
  except DataError as e:
    sys.exit(f"error: {e}")
  tasks = split_tasks(argv[1], argv[2:], [int(s) for s in FLAGS.split_seeds], FLAGS.num_seeds, data_dir, workdir)
  check(tasks)
  refused = [t for t in tasks if t.error]
  if refused:
    sys.exit(f"error: {refused[0].error}")
  for task in tasks:
    print(f"{task.job.name}: {task.status()}\n{task.shell()}", flush=True)
    if task.results is None:
      execute(task, workdir / "logs" / f"{task.job.name}.log")
  failed = [t.job.name for t in tasks if t.results is None]
  if failed:
    sys.exit(f"error: no results for {', '.join(failed)} (logs in {workdir / 'logs'})")
  metric = FLAGS.metric or tasks[0].results.select_metric
  per_split = {}
  for seed, task in zip(FLAGS.split_seeds, tasks):
    if metric not in task.results.val[0]:
      sys.exit(f"error: --metric={metric} is not among the run's metrics: {', '.join(task.results.val[0])}")
    per_split[int(seed)] = split_scores(task.results, metric)
  table = markdown(per_split, metric)
  print(table)
  if FLAGS.output:
    Path(FLAGS.output).write_text(table + "\n")
    Path(f"{FLAGS.output}.json").write_text(json.dumps({"metric": metric, "splits": per_split}, indent=1))


if __name__ == "__main__":
  define_flags()
  app.run(main)
