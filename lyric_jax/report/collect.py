"""Markdown tables of finished runs, one row per run, for the repository's RESULTS.md.

    python -m lyric_jax.report.collect [--top5] runs/a runs/b ...

``--top5`` adds a test top-5 accuracy column (for many-class studies such as S4). Every
number comes from the runs' results.json: test mean ± std over the seeds of the learning
rate chosen on validation, beside the baselines and the study's published number. Under each
run, a row for its population's ensemble; under the first run of each split, a row for the
classic baseline on that split (runs on the same split share it, and the row names them).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from lyric_jax.report.published import published, published_metrics
from lyric_jax.report.tables import classic_name, mean_std, plain_mean_std
from lyric_jax.run.results import METRIC_LABELS, ROW_METRICS, Results

SPLIT_KIND = {"artist": "", "track": "track-grouped split", "none": "row split"}   # the default unnamed


def load(run_dir: str | Path) -> tuple[str, Results]:
  """(run name, results) of a finished run directory."""
  return Path(run_dir).name, Results.load(run_dir)


def table(runs: list[tuple[str, Results]], metrics: tuple[str, ...] = ()) -> str:
  """Classification runs in one table, score runs in another; ``metrics`` adds test-metric columns."""
  scores = [r for r in runs if r[1].regression]
  classes = [r for r in runs if not r[1].regression]
  parts = ([classification_table(classes, metrics)] if classes else []) + ([regression_table(scores)] if scores else [])
  return "\n\n".join(parts)


def classification_table(runs: list[tuple[str, Results]], metrics: tuple[str, ...] = ()) -> str:
  shown = ROW_METRICS["classification"] + tuple(metrics)
  lines = [_header("data (source: rows, classes, train/val/test)", *(f"test {METRIC_LABELS[m]} %" for m in shown),
                   "majority %", "study (its data)")]
  # A metric only some tasks have (the positive class's F1: binary only) is left blank elsewhere.
  percent = lambda summary: [f"{100 * summary[m]:.2f}" if m in summary else "" for m in shown]
  sharing = _classic_sharing(runs)
  for name, results in runs:
    chosen = results.selected()[1]
    picked = [results.evaluated[i] for i in chosen]
    lines.append(_row(name, results, chosen, *(mean_std([s[m] for s in picked]) if m in picked[0] else ""
                                               for m in shown),
                      f"{100 * results.majority_rate:.1f}", _study_cell(results.spec, shown)))
    lines += _sub_rows(name, results, sharing, percent, 3, "probabilities")
  return "\n".join(lines)


def regression_table(runs: list[tuple[str, Results]]) -> str:
  shown = ROW_METRICS["regression"]
  lines = [_header("data (source: rows, scores, train/val/test)", *(f"test {METRIC_LABELS[m]}" for m in shown),
                   "random-sampling benchmark MAE", "constant-median MAE", "study MAE (its data)")]
  sharing = _classic_sharing(runs)
  for name, results in runs:
    spec, chosen = results.spec, results.selected()[1]
    picked = [results.evaluated[i] for i in chosen]
    bench = results.baseline
    study = None if spec["dataset"].startswith("synthetic") else published(spec["experiment"], spec["model"])
    lines.append(_row(name, results, chosen, *(plain_mean_std([s[m] for s in picked]) for m in shown),
                      f"{bench['mae_mean']:.4f} ± {bench['mae_std']:.4f}",
                      f"{bench['median_constant']['mae']:.4f}", f"{study[1]:.2f} ({study[0]})" if study else ""))
    lines += _sub_rows(name, results, sharing, lambda summary: [f"{summary[m]:.4f}" for m in shown], 4, "scores")
  return "\n".join(lines)


def _classic_key(results: Results) -> str | None:
  """What identifies one classic baseline fit: runs on the same split and task have the same."""
  classic = results.classic_baseline
  if not classic or "skipped" in classic:
    return None
  return json.dumps([classic["name"], classic["params"], classic["test"] or classic["val"]], sort_keys=True)


def _classic_sharing(runs: list[tuple[str, Results]]) -> dict[str, list[str]]:
  """Classic baseline → the runs it belongs to, in table order."""
  sharing: dict[str, list[str]] = {}
  for name, results in runs:
    key = _classic_key(results)
    if key is not None:
      sharing.setdefault(key, []).append(name)
  return sharing


def _sub_rows(name: str, results: Results, sharing: dict[str, list[str]], cells, blanks: int,
              averaged: str) -> list[str]:
  """The run's ensemble row, and the classic baseline's row under the first run of its split.

  ``cells(summary)`` gives the metric columns; ``blanks`` cells follow them (baselines, study, speed).
  """
  split = results.eval_split
  rows = []
  if results.ensemble:
    ensemble = results.ensemble
    rows.append(["↳ ensemble", "", f"mean of all {ensemble['replicas']} replicas' {averaged}", "",
                 *cells(ensemble[split])])
  key = _classic_key(results)
  if key is not None and sharing[key][0] == name:
    runs = sharing[key]
    rows.append([f"↳ classic baseline ({'this split' if len(runs) == 1 else 'same split: ' + ', '.join(runs)})", "",
                 classic_name(results.classic_baseline), "", *cells(results.classic_baseline[split])])
  return ["| " + " | ".join(row + [""] * blanks) + " |" for row in rows]


def _header(data: str, *middle: str) -> str:
  columns = ["run", data, "model", "epochs (best per seed)", *middle, "examples/s (population)"]
  return "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)


def _row(name: str, results: Results, chosen: list[int], *middle: str) -> str:
  cells = [name, _data_cell(results), _model_cell(results),
           f"{len(results.history)} ({', '.join(str(results.best_epoch[i]) for i in chosen)})",
           *middle, f"{_examples_per_second(results):.0f}"]
  return "| " + " | ".join(cells) + " |"


def _examples_per_second(results: Results) -> float:
  """Mean over every epoch trained: a run resumed by older code recorded only its last part's."""
  epochs = [e["train_examples_per_second"] for e in results.history if "train_examples_per_second" in e]
  return float(np.mean(epochs)) if epochs else results.train_examples_per_second


def _data_cell(results: Results) -> str:
  data, sizes = results.data, results.data["split_sizes"]
  what = (f"{len(data['labels'])} classes" if not results.regression
          else "scores {:.2f}–{:.2f}".format(*results.score_range))
  split = "/".join(f"{sizes[s]:,}" for s in ("train", "val", "test") if s in sizes)
  return f"{data['source']}: {data['rows']:,} rows, {what}, {split}"


def _model_cell(results: Results) -> str:
  """Model, label map, split kind and learning rate (and the rates it was chosen from)."""
  spec = results.spec
  lr, rates = results.selected()[0], list(results.lr_groups())
  parts = [spec["model"], spec.get("label_map", ""), SPLIT_KIND[results.grouping]]
  chosen = f"lr {lr:g}" + (f", chosen on val from {'/'.join(f'{r:g}' for r in rates)}" if len(rates) > 1 else "")
  return ", ".join(p for p in parts if p) + f" ({chosen})"


def _study_cell(spec: dict, shown: tuple[str, ...]) -> str:
  """The study's numbers for the shown metrics, accuracy unlabelled: '86.5 / 86.4 F1 (what)'."""
  if spec["dataset"].startswith("synthetic"):
    return ""
  found = published_metrics(spec["experiment"], spec["dataset"], spec["model"], spec.get("model_kwargs"),
                            spec.get("label_map", ""))
  values = [(m, found[m]) for m in shown if m in found]
  if not values:
    return ""
  numbers = " / ".join(f"{100 * value:.1f}" + ("" if m == "accuracy" else f" {METRIC_LABELS[m]}")
                       for m, (_, value) in values)
  return f"{numbers} ({values[0][1][0]})"


if __name__ == "__main__":
  args = sys.argv[1:]
  print(table([load(a) for a in args if a != "--top5"], ("top5_accuracy",) if "--top5" in args else ()))
