"""One markdown table row per finished run, for the repository's RESULTS.md.

    python -m lyric_jax.report.collect [--top5] runs/a runs/b ...

``--top5`` adds a test top-5 accuracy column (for many-class studies such as S4).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lyric_jax.report.published import published_metrics
from lyric_jax.report.tables import evaluated, mean_std, selected_replicas

HEADER = ("| run | data (rows, classes) | model | test accuracy % | test macro-F1 % | majority % "
          "| study (its data) | examples/s (population) |\n|---|---|---|---|---|---|---|---|")


def header(top5: bool = False) -> str:
  if not top5:
    return HEADER
  return (HEADER.replace("| test macro-F1 % |", "| test top-5 % | test macro-F1 % |")
          .replace("|---|---|---|---|---|---|---|---|", "|---|---|---|---|---|---|---|---|---|"))


def row(run_dir: str | Path, top5: bool = False) -> str:
  results = json.loads((Path(run_dir) / "results.json").read_text())
  spec, data = results["spec"], results["data"]
  lr, chosen = selected_replicas(results)
  summaries = [evaluated(results)[i] for i in chosen]
  study = published_metrics(spec["experiment"], spec["dataset"], spec["model"], spec.get("model_kwargs"),
                            spec.get("label_map", "")).get("accuracy")
  top5_cell = f"| {mean_std([s['top5_accuracy'] for s in summaries])} " if top5 else ""
  return (f"| {Path(run_dir).name} | {spec['dataset']} ({data['rows']}, {len(data['labels'])}) "
          f"| {spec['model']} (lr {lr:g}) | {mean_std([s['accuracy'] for s in summaries])} "
          f"{top5_cell}| {mean_std([s['macro_f1'] for s in summaries])} | {100 * results['majority_rate']:.1f} "
          f"| {f'{100 * study[1]:.1f} ({study[0]})' if study else ''} "
          f"| {results['train_examples_per_second']:.0f} |")


if __name__ == "__main__":
  args = sys.argv[1:]
  top5 = "--top5" in args
  print(header(top5))
  for path in (a for a in args if a != "--top5"):
    print(row(path, top5))
