"""One markdown table row per finished run, for the repository's RESULTS.md.

    python -m lyric_jax.report.collect runs/a runs/b ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lyric_jax.report.published import published
from lyric_jax.report.tables import evaluated, mean_std, selected_replicas

HEADER = ("| run | data (rows, classes) | model | test accuracy % | test macro-F1 % | majority % "
          "| study (its data) | examples/s (population) |\n|---|---|---|---|---|---|---|---|")


def row(run_dir: str | Path) -> str:
  results = json.loads((Path(run_dir) / "results.json").read_text())
  spec, data = results["spec"], results["data"]
  lr, chosen = selected_replicas(results)
  summaries = [evaluated(results)[i] for i in chosen]
  study = published(spec["experiment"], spec["model"], spec.get("model_kwargs"))
  return (f"| {Path(run_dir).name} | {spec['dataset']} ({data['rows']}, {len(data['labels'])}) "
          f"| {spec['model']} (lr {lr:g}) | {mean_std([s['accuracy'] for s in summaries])} "
          f"| {mean_std([s['macro_f1'] for s in summaries])} | {100 * results['majority_rate']:.1f} "
          f"| {f'{100 * study[1]:.1f} ({study[0]})' if study else ''} "
          f"| {results['train_examples_per_second']:.0f} |")


if __name__ == "__main__":
  print(HEADER)
  for path in sys.argv[1:]:
    print(row(path))
