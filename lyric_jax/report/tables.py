"""Markdown results tables: our mean ± std over replicas beside the study's number."""

from __future__ import annotations

import numpy as np

from lyric_jax.report.published import published

HEADLINE_METRICS = ("accuracy", "macro_f1", "top5_accuracy")


def mean_std(values) -> str:
  values = np.asarray(values, float)
  return f"{100 * values.mean():.2f} ± {100 * values.std():.2f}"


def results_markdown(results: dict) -> str:
  if results.get("objective") == "regression":
    return regression_markdown(results)
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


REGRESSION_METRICS = ("mae", "rmse", "bias")


def plain_mean_std(values) -> str:
  values = np.asarray(values, float)
  return f"{values.mean():.4f} ± {values.std():.4f}"


def regression_markdown(results: dict) -> str:
  """Score runs: MAE/RMSE/bias beside the study's random-sampling benchmark and the study's MAE."""
  spec = results["spec"]
  summaries = results["test"] if results["test"] is not None else results["val"]
  split, n = results["eval_split"], len(summaries)
  bench = results["baseline"]
  data = results["data"]
  embedding = data.get("embedding")
  lines = [
      f"# {spec['experiment']} — model `{spec['model']}` on `{spec['dataset']}` (score regression)",
      "",
      f"Data: {data['rows']} rows after cleaning (dropped: {data['drops'] or 'none'}); split sizes "
      f"{data['split_sizes']}; training scores in [{results['score_range'][0]:.2f}, "
      f"{results['score_range'][1]:.2f}]; vocabulary {data['vocab_size']}, max_len {data['max_len']}.",
      f"Loss {spec['objective']['loss'].upper()}, sample weights {spec['objective']['sample_weights']}; "
      f"embedding: " + (f"{embedding['hits']} of {embedding['vocab_words']} words from "
                        f"{embedding['file'].rsplit('/', 1)[-1]} ({embedding['misses']} misses)"
                        if embedding else "random init")
      + (", frozen." if spec["embedding"]["freeze"] else ", trained."),
      f"Replicas: {n} ({', '.join(_replica_name(r) for r in results['replicas'])}); "
      f"best epochs {results['best_epoch']}.",
      "",
      f"| metric ({split} split) | ours (mean ± std over {n}) | random-sampling benchmark "
      f"(mean ± std over {len(bench['seeds'])} draws) | constant train median ({bench['train_median']:.2f}) | study |",
      "|---|---|---|---|---|",
  ]
  study = published(spec["experiment"], spec["model"]) if not spec["dataset"].startswith("synthetic") else None
  for metric in REGRESSION_METRICS:
    cells = [plain_mean_std([s[metric] for s in summaries]),
             f"{bench[metric + '_mean']:.4f} ± {bench[metric + '_std']:.4f}",
             f"{bench['median_constant'][metric]:.4f}",
             f"{study[1]:.2f} ({study[0]}; other corpus)" if study and metric == "mae" else ""]
    lines.append(f"| {metric} | " + " | ".join(cells) + " |")
  lines += ["", "bias = mean(predicted − true); > 0 means scores are overestimated.",
            "", f"Training throughput: {results['train_examples_per_second']:.0f} examples/s "
                f"(whole population of {n}; batch {spec['fit']['batch_size']} → "
                f"{spec['fit']['batch_size'] / max(results['train_examples_per_second'], 1e-9):.3f} s/step)."]
  return "\n".join(lines) + "\n"


def _replica_name(replica: dict) -> str:
  return f"seed {replica['seed']} lr {replica['lr']:g}"
