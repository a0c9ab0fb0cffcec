"""Markdown results tables: our mean ± std over replicas beside the study's number."""

from __future__ import annotations

import numpy as np

from lyric_jax.report.published import published_context, published_metrics

HEADLINE_METRICS = ("accuracy", "macro_f1", "top5_accuracy")
# Shown when the summaries have them: the positive class's (binary tasks) and macro recall
# (SemEval's headline metric).
EXTRA_METRICS = ("precision", "recall", "f1", "macro_recall")


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
  real = spec["dataset"] != "synthetic"
  study = published_metrics(spec["experiment"], spec["dataset"], spec["model"]) if real else {}
  metrics = HEADLINE_METRICS + tuple(m for m in EXTRA_METRICS if m in summaries[0])
  for metric in metrics:
    cells = [mean_std([s[metric] for s in summaries]),
             f"{100 * results['majority_rate']:.2f}" if metric == "accuracy" else "",
             f"{100 * study[metric][1]:.2f} ({study[metric][0]})" if metric in study else ""]
    lines.append(f"| {metric} | " + " | ".join(cells) + " |")
  if real and published_context(spec["experiment"], spec["dataset"]):
    lines += [""] + [f"Context: {c}" for c in published_context(spec["experiment"], spec["dataset"])]
  lines += ["", "| class | accuracy (recall) % |", "|---|---|"]
  per_class = np.array([s["per_class_accuracy"] for s in summaries])
  for i, label in enumerate(results["data"]["labels"]):
    lines.append(f"| {label} | {mean_std(per_class[:, i])} |")
  lines += ["", f"Training throughput: {results['train_examples_per_second']:.0f} examples/s "
                f"(whole population of {n})."]
  return "\n".join(lines) + "\n"


def _replica_name(replica: dict) -> str:
  return f"seed {replica['seed']} lr {replica['lr']:g}"
