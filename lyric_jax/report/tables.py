"""Markdown results tables: our mean ± std over seeds beside the study's number.

With a learning-rate sweep in the population, the learning rate is chosen by the
mean validation score of its seeds (never by test), and the headline numbers are
that learning rate's test mean ± std over seeds; every rate is listed below it.
"""

from __future__ import annotations

import numpy as np

from lyric_jax.data.grouping import describe_groups
from lyric_jax.report.confusions import confused_pairs
from lyric_jax.report.published import published, published_context, published_metrics
from lyric_jax.train.objectives import Regression, resolve_select_metric

HEADLINE_METRICS = ("accuracy", "macro_f1", "top5_accuracy")
# Shown when the summaries have them: the positive class's (binary tasks) and macro recall
# (SemEval's headline metric).
EXTRA_METRICS = ("precision", "recall", "f1", "macro_recall")


def mean_std(values) -> str:
  values = np.asarray(values, float)
  return f"{100 * values.mean():.2f} ± {100 * values.std():.2f}"


def split_groups_sentence(data: dict) -> str:
  """' Split groups (…): … (rows of each split in split.csv).', or '' for results written before."""
  if "split_groups" not in data:
    return ""
  line = describe_groups(data["split_groups"])
  return f" {line[0].upper()}{line[1:]}; each row's split is in split.csv."


def lr_groups(results: dict) -> dict[float, list[int]]:
  groups: dict[float, list[int]] = {}
  for i, replica in enumerate(results["replicas"]):
    groups.setdefault(replica["lr"], []).append(i)
  return groups


def selected_replicas(results: dict) -> tuple[float, list[int]]:
  """The learning rate whose seeds have the best mean validation score, and their indices."""
  metric = results.get("select_metric") or _select_metric(results)
  groups = lr_groups(results)
  lr = max(groups, key=lambda g: np.mean([results["val"][i][metric] for i in groups[g]]))
  return lr, groups[lr]


def _select_metric(results: dict) -> str:
  """What picked the best epoch, for results written before they recorded it."""
  if results.get("objective") == "regression":
    return Regression.select_metric
  return resolve_select_metric(results["spec"].get("select_metric", "accuracy"), len(results["data"]["labels"]))


def evaluated(results: dict) -> list[dict]:
  return results["test"] if results["test"] is not None else results["val"]


def results_markdown(results: dict) -> str:
  if results.get("objective") == "regression":
    return regression_markdown(results)
  spec = results["spec"]
  summaries = evaluated(results)
  lr, chosen = selected_replicas(results)
  picked = [summaries[i] for i in chosen]
  split = results["eval_split"]
  lines = [
      f"# {spec['experiment']} — model `{spec['model']}` on `{spec['dataset']}`",
      "",
      f"Data: {results['data']['rows']} rows after cleaning "
      f"(dropped: {results['data']['drops'] or 'none'}); split sizes {results['data']['split_sizes']}; "
      f"{len(results['data']['labels'])} classes.{split_groups_sentence(results['data'])}",
      f"Replicas: {len(summaries)} ({', '.join(_replica_name(r) for r in results['replicas'])}); "
      f"best epochs {results['best_epoch']}.",
      "",
      f"| metric ({split} split, %) | ours: lr {lr:g}, mean ± std over {len(picked)} seeds "
      f"| majority class | study |",
      "|---|---|---|---|",
  ]
  # A study's number is only comparable on real data, never on the synthetic set.
  real = spec["dataset"] != "synthetic"
  study = (published_metrics(spec["experiment"], spec["dataset"], spec["model"], spec.get("model_kwargs"),
                             spec.get("label_map", "")) if real else {})
  metrics = HEADLINE_METRICS + tuple(m for m in EXTRA_METRICS if m in summaries[0])
  for metric in metrics:
    cells = [mean_std([s[metric] for s in picked]),
             f"{100 * results['majority_rate']:.2f}" if metric == "accuracy" else "",
             f"{100 * study[metric][1]:.2f} ({study[metric][0]})" if metric in study else ""]
    lines.append(f"| {metric} | " + " | ".join(cells) + " |")
  groups = lr_groups(results)
  if len(groups) > 1:
    metric = results.get("select_metric", "accuracy")
    lines += ["", f"| learning rate | val {metric} % | {split} accuracy % |", "|---|---|---|"]
    for rate, idx in groups.items():
      mark = " (selected on val)" if rate == lr else ""
      lines.append(f"| {rate:g}{mark} | {mean_std([results['val'][i][metric] for i in idx])} "
                   f"| {mean_std([summaries[i]['accuracy'] for i in idx])} |")
  if real and published_context(spec["experiment"], spec["dataset"]):
    lines += [""] + [f"Context: {c}" for c in published_context(spec["experiment"], spec["dataset"])]
  lines += ["", "| class | accuracy (recall) % |", "|---|---|"]
  per_class = np.array([s["per_class_accuracy"] for s in picked])
  for i, label in enumerate(results["data"]["labels"]):
    lines.append(f"| {label} | {mean_std(per_class[:, i])} |")
  lines += ["", f"Training throughput: {results['train_examples_per_second']:.0f} examples/s "
                f"(whole population of {len(summaries)})."]
  speed = results.get("throughput", {})
  if "real_tokens_per_second" in speed:
    lines.append(f"Steady state (median epoch after the first): {speed['examples_per_second']:.0f} examples/s, "
                 f"{speed['real_tokens_per_second']:.0f} real tokens/s "
                 f"({speed['padded_tokens_per_second']:.0f} padded positions/s), population of {len(summaries)}.")
  if results["data"].get("notes"):
    lines.append(f"Kept but changed: {results['data']['notes']}.")
  lines += confused_pairs_markdown(np.sum([s["confusion"] for s in picked], axis=0),
                                   results["data"]["labels"], split, len(picked))
  return "\n".join(lines) + "\n"


def confused_pairs_markdown(confusion, labels: list[str], split: str, seeds: int,
                            top: int = 20) -> list[str]:
  pairs = confused_pairs(confusion, labels, top)
  if not pairs:
    return []
  lines = ["", f"Most-confused label pairs ({split} split, summed over {seeds} seeds; "
               "share = confused either way / both labels' examples):", "",
           "| labels | a→b | b→a | share % |", "|---|---|---|---|"]
  lines += [f"| {p['a']} ↔ {p['b']} | {p['a_as_b']} | {p['b_as_a']} | {100 * p['share']:.1f} |"
            for p in pairs]
  return lines


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
      f"{results['score_range'][1]:.2f}]; vocabulary {data['vocab_size']}, max_len {data['max_len']}."
      f"{split_groups_sentence(data)}",
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
