"""What a trained run writes: split.csv, the evaluation predictions, results.json and the report.

Everything is computed from the values training left in memory (``TrainedRun``); nothing
written here is read back. A failed write (a full disk) is a ``CheckpointError``, and the
same command, rerun, writes them again without retraining.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pandas as pd

from lyric_jax.data.batches import bucket_boundaries, padded_length
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.grouping import SplitGroups
from lyric_jax.data.table import LABEL, ROW, Table
from lyric_jax.report import attention
from lyric_jax.report.run_report import write_run_report
from lyric_jax.report.tables import classic_name
from lyric_jax.run import rundir
from lyric_jax.run.results import HEADLINE, ROW_METRICS, Results, ensemble
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.checkpoint import writing
from lyric_jax.train.classic_baseline import classic_baseline
from lyric_jax.train.loop import FitResult
from lyric_jax.train.metrics import evaluate, prediction_columns, sample_training_distribution, trivial_baseline


@dataclasses.dataclass(frozen=True)
class TrainedRun:
  """A run just trained, as the pipeline holds it."""
  spec: RunSpec
  table: Table                       # every kept row
  parts: dict[str, Table]            # split → its rows
  groups: SplitGroups
  preprocessor: Preprocessor
  data: dict[str, dict]              # split → encoded arrays
  model: Any
  objective: Any
  fit: FitResult
  outputs: dict[str, dict]           # 'val'/'test' → the objective's outputs, name → [P, N, ...]
  embedding: dict | None             # pretrained vectors' coverage, if any


def write_split(run_dir: Path, table: Table, which: np.ndarray) -> None:
  """split.csv: each kept row's split (``row`` as in predictions/), written atomically."""
  frame = pd.DataFrame({ROW: table.frame[ROW].to_numpy(), "split": which})
  rundir.write_text_atomic(run_dir / rundir.SPLIT_FILE, frame.to_csv(index=False))


def write_all(run: TrainedRun, run_dir: Path, write: bool = True) -> Results:
  """Predictions, results.json (last of the results: it marks the run finished), then the report.

  ``write=False`` (the other processes of a --distributed run) returns the results alone, without
  the attention example.
  """
  with writing(run_dir, "the predictions and results"):   # a full disk after training: resumable too
    results = results_of(run, ensemble_summaries(run), run_classic_baseline(run, run_dir))
    if not write:
      return results
    best = results.best_replica()
    predictions = eval_predictions(run, best)
    write_eval_predictions(run_dir, results.eval_split, predictions)
    results = dataclasses.replace(results, attention_png=write_attention_example(run, best, run_dir))
    results.save(run_dir)
  with writing(run_dir, "the run report"):
    write_run_report(results, predictions, run_dir)
  return results


def eval_predictions(run: TrainedRun, best: int) -> pd.DataFrame:
  """Per-row predictions of the best parameters on the evaluation split (for plots and audits).

  ``predicted`` (and class probabilities) come from replica ``best``, ``predicted_r<i>``
  from each replica, ``predicted_ensemble`` from their mean; score runs add one
  ``benchmark`` draw from the training score distribution (the study's random-sampling benchmark).
  """
  split = "test" if "test" in run.outputs else "val"
  out, part = run.outputs[split], run.parts[split]
  predicted = lambda chosen: prediction_columns(run.objective, chosen, run.preprocessor.labels)
  columns = {ROW: part.frame[ROW].to_numpy(), "label": part.frame[LABEL].to_numpy(),
             **predicted({k: v[best] for k, v in out.items()}),
             **{f"predicted_r{i}": predicted({k: v[i] for k, v in out.items()})["predicted"]
                for i in range(len(run.fit.val))},
             "predicted_ensemble": predicted({k: ensemble(v) for k, v in out.items()})["predicted"]}
  if run.preprocessor.target == "score":
    columns["benchmark"] = sample_training_distribution(
        run.parts["train"].frame[LABEL].to_numpy(float), len(part), run.spec.fit.seeds[0])
  return pd.DataFrame(columns)   # built at once: column inserts fragment wide frames


def write_eval_predictions(run_dir: Path, split: str, predictions: pd.DataFrame) -> None:
  path = run_dir / rundir.eval_predictions_file(split)
  path.parent.mkdir(parents=True, exist_ok=True)
  predictions.to_csv(path, index=False)


def ensemble_summaries(run: TrainedRun) -> dict[str, Any]:
  """The population as one model (mean of its replicas' probabilities or scores) on val and test."""
  summaries = {split: evaluate(run.objective, {k: ensemble(v) for k, v in out.items()}, run.data[split]["label"])
               for split, out in run.outputs.items()}
  return {"replicas": len(run.fit.val), "val": summaries["val"], "test": summaries.get("test")}


def run_classic_baseline(run: TrainedRun, run_dir: Path) -> dict[str, Any]:
  if not run.spec.classic_baseline:
    return {"skipped": "turned off (--noclassic_baseline)"}
  result = classic_baseline(run.parts, run.objective, run.preprocessor.labels, text=run.spec.text is not None,
                            cache_dir=rundir.classic_cache(run_dir))
  print(describe_classic(result, run.spec.objective.kind))
  return result


def describe_classic(result: dict, kind: str) -> str:
  if "skipped" in result:
    return f"Classic baseline skipped: {result['skipped']}"
  split = "test" if result["test"] else "val"
  shown = ", ".join(f"{m} {result[split][m]:.4f}" for m in ROW_METRICS[kind])
  return (f"Classic baseline {classic_name(result)}: {split} {shown}"
          + (f" (reused from {result['cached']})" if result.get("cached") else ""))


def write_attention_example(run: TrainedRun, best: int, run_dir: Path) -> str | None:
  """attention.png: replica ``best``'s attention over the first song of the evaluation split."""
  preprocessor = run.preprocessor
  if preprocessor.tokenizer is None or preprocessor.target != "classes":
    return None
  split = run.parts.get("test", run.parts["val"])
  song = dataclasses.replace(split, frame=split.frame.iloc[:1].reset_index(drop=True))
  batch = preprocessor.encode(song)
  params = jax.tree.map(lambda x: x[best], run.fit.best)
  variables = {"params": params["params"], **params["model_state"]}
  probs = jax.nn.softmax(run.model.apply(variables, batch, train=False)[0])
  title = (f"{song.frame['group'].iloc[0].replace('|', ' - ')}: true {song.frame[LABEL].iloc[0]}, "
           f"predicted {preprocessor.labels[int(np.argmax(probs))]} ({float(np.max(probs)):.2f})")
  path = run_dir / rundir.ATTENTION_PNG
  written = attention.write_attention_png(run.model, variables, batch, preprocessor.tokenizer.id_to_token,
                                          path, title)
  return path.name if written else None


def results_of(run: TrainedRun, together: dict | None, classic: dict | None) -> Results:
  """The data, every replica's val/test summaries, the ensemble's (``together``), the baselines."""
  spec, preprocessor, result, table = run.spec, run.preprocessor, run.fit, run.table
  eval_split = "test" if result.test is not None else "val"
  train_labels, eval_labels = run.parts["train"].frame[LABEL], run.parts[eval_split].frame[LABEL]
  baseline = trivial_baseline(run.objective, train_labels.to_numpy(), eval_labels.to_numpy(), spec.fit.seeds)
  if preprocessor.target == "classes":
    kind_fields = {"majority_label": baseline["label"], "majority_rate": baseline["accuracy"]}
  else:
    kind_fields = {"score_range": [float(train_labels.min()), float(train_labels.max())]}
  return Results(
      spec=spec.to_json(),
      objective=spec.objective.kind,
      headline=HEADLINE[spec.objective.kind],
      data={"source": table.source, "rows": len(table), "drops": table.drops, "notes": table.notes,
            "class_counts": table.class_counts, "split_groups": run.groups.to_json(),
            "split_sizes": {k: len(v) for k, v in run.parts.items()},
            "label_counts": table.frame[LABEL].value_counts().to_dict(),
            "labels": preprocessor.labels, "vocab_size": preprocessor.vocab_size,
            "layout": preprocessor.layout, "max_len": preprocessor.max_len,
            "max_lines": preprocessor.max_lines, "max_words": preprocessor.max_words,
            "target": preprocessor.target, "embedding": run.embedding},
      eval_split=eval_split,
      select_metric=run.objective.select_metric,
      baseline=baseline,
      **kind_fields,
      replicas=spec.fit.replicas,
      best_epoch=result.best_epoch.tolist(),
      diverged_epoch=result.diverged_epoch.tolist(),
      val=result.val,
      test=result.test,
      ensemble=together,
      classic_baseline=classic,
      train_examples_per_second=result.train_examples_per_second,
      throughput=throughput(result.history, run.data["train"], len(spec.fit.replicas),
                            bucket_boundaries(run.data["train"], spec.fit.length_buckets)),
      history=result.history,
      attention_png=None)


def throughput(history: list[dict], train_arrays: dict[str, np.ndarray], population: int,
               boundaries: tuple[int, ...] = ()) -> dict:
  """Steady-state training speed: the median epoch after the first (which includes compiling).

  Tokens are counted per example once (all replicas see the same batch): ``real`` counts
  tokens inside the lengths, ``padded`` every position the model steps through (with
  length buckets, ``boundaries``, up to its bucket's length).
  """
  per_epoch = [r["train_examples_per_second"] for r in history]
  examples = float(np.median(per_epoch[1:] if len(per_epoch) > 1 else per_epoch)) if per_epoch else 0.0
  out = {"examples_per_second": examples, "population": population}
  if "tokens" in train_arrays:
    tokens = train_arrays["tokens"]
    real = train_arrays.get("word_lengths", train_arrays["lengths"]).reshape(len(tokens), -1).sum(1)
    out["real_tokens_per_second"] = examples * float(real.mean())
    stepped = padded_length(train_arrays, boundaries) * int(np.prod(tokens.shape[2:]))
    out["padded_tokens_per_second"] = examples * float(stepped.mean())
  return out
