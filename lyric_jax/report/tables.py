"""Markdown results tables: one row per model — ours (mean ± std over seeds), the population's
ensemble, the classic baseline on the same split, the trivial baselines and the study's number —
and a reading line saying by how much the net wins or loses against the classic baseline.

With a learning-rate sweep in the population, the learning rate is chosen by the
mean validation score of its seeds (never by test), and the headline numbers are
that learning rate's test mean ± std over seeds; every rate is listed below it. The
ensemble is the whole population (what ``predict --replica=ensemble`` uses).
"""

from __future__ import annotations

import numpy as np

from lyric_jax.data.grouping import describe_groups
from lyric_jax.report.confusions import confused_pairs
from lyric_jax.report.published import published, published_context, published_metrics
from lyric_jax.run.results import Results
from lyric_jax.run.rundir import SPLIT_FILE

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
  return f" {line[0].upper()}{line[1:]}; each row's split is in {SPLIT_FILE}."


def results_markdown(results: Results) -> str:
  if results.regression:
    return regression_markdown(results)
  spec, data = results.spec, results.data
  summaries = results.evaluated
  lr, chosen = results.selected()
  picked = [summaries[i] for i in chosen]
  split = results.eval_split
  lines = [
      f"# {spec['experiment']} — model `{spec['model']}` on `{spec['dataset']}`",
      "",
      f"Data: {data['rows']} rows after cleaning "
      f"(dropped: {data['drops'] or 'none'}); split sizes {data['split_sizes']}; "
      f"{len(data['labels'])} classes.{split_groups_sentence(data)}",
      f"Replicas: {len(summaries)} ({', '.join(_replica_name(r) for r in results.replicas)}); "
      f"best epochs {results.best_epoch}.",
      "",
  ]
  # A study's number is only comparable on real data, never on the synthetic set.
  real = spec["dataset"] != "synthetic"
  study = (published_metrics(spec["experiment"], spec["dataset"], spec["model"], spec.get("model_kwargs"),
                             spec.get("label_map", "")) if real else {})
  metrics = results.headline + tuple(m for m in EXTRA_METRICS if m in summaries[0])
  percent = lambda summary: [f"{100 * summary[m]:.2f}" if m in summary else "" for m in metrics]
  rows = [(f"ours: lr {lr:g}, mean ± std over {len(picked)} seeds", [mean_std([s[m] for s in picked]) for m in metrics])]
  rows += _model_rows(results, split, percent, "probabilities")
  rows += [("majority class" + (f" ({results.majority_label})" if results.majority_label is not None else ""),
            [f"{100 * results.majority_rate:.2f}" if m == "accuracy" else "" for m in metrics])]
  if study:
    rows.append(("study (its data)", [f"{100 * study[m][1]:.2f} ({study[m][0]})" if m in study else ""
                                      for m in metrics]))
  lines += _table(f"model ({split} split, %)", metrics, rows)
  lines += _reading(results, picked, split, (results.select_metric, "accuracy"), 100, "points")
  groups = results.lr_groups()
  if len(groups) > 1:
    metric = results.select_metric
    lines += ["", f"| learning rate | val {metric} % | {split} accuracy % |", "|---|---|---|"]
    for rate, idx in groups.items():
      mark = " (selected on val)" if rate == lr else ""
      lines.append(f"| {rate:g}{mark} | {mean_std([results.val[i][metric] for i in idx])} "
                   f"| {mean_std([summaries[i]['accuracy'] for i in idx])} |")
  if real and published_context(spec["experiment"], spec["dataset"]):
    lines += [""] + [f"Context: {c}" for c in published_context(spec["experiment"], spec["dataset"])]
  lines += ["", "| class | accuracy (recall) % |", "|---|---|"]
  per_class = np.array([s["per_class_accuracy"] for s in picked])
  for i, label in enumerate(data["labels"]):
    lines.append(f"| {label} | {mean_std(per_class[:, i])} |")
  lines += ["", f"Training throughput: {results.train_examples_per_second:.0f} examples/s "
                f"(whole population of {len(summaries)})."]
  speed = results.throughput
  if "real_tokens_per_second" in speed:
    lines.append(f"Steady state (median epoch after the first): {speed['examples_per_second']:.0f} examples/s, "
                 f"{speed['real_tokens_per_second']:.0f} real tokens/s "
                 f"({speed['padded_tokens_per_second']:.0f} padded positions/s), population of {len(summaries)}.")
  if data.get("notes"):
    lines.append(f"Kept but changed: {data['notes']}.")
  lines += confused_pairs_markdown(np.sum([s["confusion"] for s in picked], axis=0),
                                   data["labels"], split, len(picked))
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


def plain_mean_std(values) -> str:
  values = np.asarray(values, float)
  return f"{values.mean():.4f} ± {values.std():.4f}"


def regression_markdown(results: Results) -> str:
  """Score runs: the headline metrics beside the study's random-sampling benchmark and the study's MAE."""
  spec, data = results.spec, results.data
  summaries = results.evaluated
  split, n = results.eval_split, len(summaries)
  bench = results.baseline
  embedding = data.get("embedding")
  lines = [
      f"# {spec['experiment']} — model `{spec['model']}` on `{spec['dataset']}` (score regression)",
      "",
      f"Data: {data['rows']} rows after cleaning (dropped: {data['drops'] or 'none'}); split sizes "
      f"{data['split_sizes']}; training scores in [{results.score_range[0]:.2f}, "
      f"{results.score_range[1]:.2f}]; vocabulary {data['vocab_size']}, max_len {data['max_len']}."
      f"{split_groups_sentence(data)}",
      f"Loss {spec['objective']['loss'].upper()}, sample weights {spec['objective']['sample_weights']}; "
      f"embedding: " + (f"{embedding['hits']} of {embedding['vocab_words']} words from "
                        f"{embedding['file'].rsplit('/', 1)[-1]} ({embedding['misses']} misses)"
                        if embedding else "random init")
      + (", frozen." if spec["embedding"]["freeze"] else ", trained."),
      f"Replicas: {n} ({', '.join(_replica_name(r) for r in results.replicas)}); "
      f"best epochs {results.best_epoch}.",
      "",
  ]
  study = published(spec["experiment"], spec["model"]) if not spec["dataset"].startswith("synthetic") else None
  metrics = results.headline
  plain = lambda summary: [f"{summary[m]:.4f}" if m in summary else "" for m in metrics]
  rows = [(f"ours: mean ± std over {n}", [plain_mean_std([s[m] for s in summaries]) for m in metrics])]
  rows += _model_rows(results, split, plain, "scores")
  rows += [(f"random-sampling benchmark (mean ± std over {len(bench['seeds'])} draws)",
            [f"{bench[m + '_mean']:.4f} ± {bench[m + '_std']:.4f}" for m in metrics]),
           (f"constant train median ({bench['train_median']:.2f})", plain(bench["median_constant"]))]
  if study:
    rows.append(("study (other corpus)", [f"{study[1]:.2f} ({study[0]})" if m == "mae" else "" for m in metrics]))
  lines += _table(f"model ({split} split)", metrics, rows)
  lines += _reading(results, summaries, split, ("mae",), 1, "")
  lines += ["", "bias = mean(predicted − true); > 0 means scores are overestimated.",
            "", f"Training throughput: {results.train_examples_per_second:.0f} examples/s "
                f"(whole population of {n}; batch {spec['fit']['batch_size']} → "
                f"{spec['fit']['batch_size'] / max(results.train_examples_per_second, 1e-9):.3f} s/step)."]
  return "\n".join(lines) + "\n"


def _model_rows(results: Results, split: str, cells, averaged: str) -> list[tuple[str, list[str]]]:
  """The ensemble's row and the classic baseline's (results written before they existed have neither)."""
  rows = []
  if results.ensemble:
    ensemble = results.ensemble
    rows.append((f"ours: ensemble of all {ensemble['replicas']} replicas (mean {averaged})",
                 cells(ensemble[split])))
  classic = results.classic_baseline
  if classic and "skipped" in classic:
    rows.append((f"classic baseline: skipped ({classic['skipped']})", cells({})))
  elif classic:
    rows.append((f"classic baseline, same split: {classic_name(classic)}", cells(classic[split])))
  return rows


def classic_name(classic: dict) -> str:
  """'TF-IDF … + logistic regression (C 3; tuned on val; 12 s)'."""
  params = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in classic["params"].items())
  sample = (f", grid on {classic['tuned_on_rows']:,} of {classic['train_rows']:,} train rows"
            if classic.get("tuned_on_rows", classic["train_rows"]) < classic["train_rows"] else "")
  return f"{classic['name']} ({params}; tuned on val{sample}; {classic['fit_seconds']:.0f} s)"


def _table(corner: str, metrics: tuple[str, ...], rows: list[tuple[str, list[str]]]) -> list[str]:
  lines = [f"| {corner} | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
  return lines + [f"| {name} | " + " | ".join(cells) + " |" for name, cells in rows]


def _reading(results: Results, picked: list[dict], split: str, metrics: tuple, scale: float,
             unit: str) -> list[str]:
  """'Reading: … the net (mean over seeds) loses by 4.00 points of accuracy (61.00 vs 65.00), its ensemble by 3.00.'"""
  classic = results.classic_baseline
  if not classic or "skipped" in classic:
    return []
  lower_is_better = metrics == ("mae",)
  digits = 2 if scale == 100 else 4

  def versus(ours: float, theirs: float) -> str:
    ahead = (theirs - ours if lower_is_better else ours - theirs) * scale
    return f"{'wins' if ahead > 0 else 'loses' if ahead < 0 else 'ties'} by {abs(ahead):.{digits}f}"

  parts = []
  for metric in dict.fromkeys(m for m in metrics if m and m in classic[split]):
    ours, theirs = np.mean([s[metric] for s in picked]), classic[split][metric]
    part = f"{versus(ours, theirs)}{' ' + unit if unit else ''} of {metric} " \
           f"({scale * ours:.{digits}f} vs {scale * theirs:.{digits}f})"
    if results.ensemble:
      part += f", its ensemble {versus(results.ensemble[split][metric], theirs)}"
    parts.append(part)
  return ["", f"Reading ({split} split): against the classic baseline on the same split, the net "
              f"(mean over seeds) {'; '.join(parts)}."]


def _replica_name(replica: dict) -> str:
  return f"seed {replica['seed']} lr {replica['lr']:g}"
