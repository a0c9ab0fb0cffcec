"""Markdown results tables: our mean ± std over replicas beside the study's number."""

from __future__ import annotations

import numpy as np

from lyric_jax.report.published import published

HEADLINE_METRICS = ("accuracy", "macro_f1", "top5_accuracy")


def mean_std(values) -> str:
  values = np.asarray(values, float)
  return f"{100 * values.mean():.2f} ± {100 * values.std():.2f}"


def results_markdown(results: dict) -> str:
  spec = results["spec"]
  summaries = results["test"] if results["test"] is not None else results["val"]
  split = results["eval_split"]
  n = len(summaries)
  lines = [
      f"# {spec['experiment']} — model `{spec['model']}` on `{spec['dataset']}`",
      "",
      f"Data: {results['data']['rows']} rows after cleaning "
      f"(dropped: {results['data']['drops'] or 'none'}); split sizes {results['data']['split_sizes']}; "
      f"{len(results['data']['labels'])} classes.",
      f"Replicas: {n} ({', '.join(_replica_name(r) for r in results['replicas'])}); "
      f"best epochs {results['best_epoch']}.",
      "",
      f"| metric ({split} split, %) | ours (mean ± std over {n}) | majority class | study |",
      "|---|---|---|---|",
  ]
  # A study's number is only comparable on real data, never on the synthetic set.
  study = published(spec["experiment"], spec["model"]) if spec["dataset"] != "synthetic" else None
  for metric in HEADLINE_METRICS:
    cells = [mean_std([s[metric] for s in summaries]),
             f"{100 * results['majority_rate']:.2f}" if metric == "accuracy" else "",
             f"{100 * study[1]:.1f} ({study[0]})" if study and metric == "accuracy" else ""]
    lines.append(f"| {metric} | " + " | ".join(cells) + " |")
  lines += ["", "| class | accuracy (recall) % |", "|---|---|"]
  per_class = np.array([s["per_class_accuracy"] for s in summaries])
  for i, label in enumerate(results["data"]["labels"]):
    lines.append(f"| {label} | {mean_std(per_class[:, i])} |")
  lines += ["", f"Training throughput: {results['train_examples_per_second']:.0f} examples/s "
                f"(whole population of {n})."]
  return "\n".join(lines) + "\n"


def _replica_name(replica: dict) -> str:
  return f"seed {replica['seed']} lr {replica['lr']:g}"
