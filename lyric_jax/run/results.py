"""What a finished run reports (``results.json``), and the rules every reader of it shares: which
replica is best, what the ensemble is, which metrics lead.

``Results.to_json`` writes the keys results.json has always had (plus ``results_version``);
``Results.from_json`` reads every version, filling in what older files did not record yet.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

import numpy as np

from lyric_jax.data.errors import DataError
from lyric_jax.run.rundir import RESULTS_FILE, read_json, write_json_atomic
from lyric_jax.run.spec import RunSpec, spec_diffs, spec_grouping
from lyric_jax.train.metrics import resolve_select_metric
from lyric_jax.train.objectives import Regression

# What reports lead with, per objective kind; the first is the primary metric.
HEADLINE = {"classification": ("accuracy", "macro_f1", "top5_accuracy"), "regression": ("mae", "rmse", "bias")}
# One-row-per-run tables (RESULTS.md) show the first two; more columns are asked for (--top5, Study.metrics).
ROW_METRICS = {kind: metrics[:2] for kind, metrics in HEADLINE.items()}
METRIC_LABELS = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "F1",
                 "macro_precision": "macro-precision", "macro_recall": "macro-recall", "macro_f1": "macro-F1",
                 "top5_accuracy": "top-5", "mae": "MAE", "rmse": "RMSE", "bias": "bias", "loss": "loss"}
# 1: every results.json so far (files without the field); keys added over time read as absent.
RESULTS_VERSION = 1
ENSEMBLE = ("ensemble", "mean")   # names of the population as one model ('mean' kept as an alias)


def best_replica(scores: Sequence[float]) -> int:
  """The replica with the highest validation score (its select metric); the first of equals."""
  return int(np.argmax(scores))


def ensemble(values: np.ndarray) -> np.ndarray:
  """The population as one model: the mean of its replicas' probabilities (or scores), [P, ...] → [...]."""
  return np.asarray(values).mean(0)


def choose_replica(values: np.ndarray, scores: np.ndarray, replica: str) -> np.ndarray:
  """One answer from per-replica ``values`` [P, ...] (probabilities, scores, attention weights):

  'best' (``best_replica`` of the validation ``scores`` [P]), 'ensemble' (alias 'mean'), or an index.
  """
  if replica == "best":
    return values[best_replica(scores)]
  if replica in ENSEMBLE:
    return ensemble(values)
  if replica.isdigit() and int(replica) < len(values):
    return values[int(replica)]
  raise DataError(f"--replica must be best, ensemble (alias mean) or an index below {len(values)}, got {replica!r}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Results:
  """results.json. Summaries are the objective's (``objectives.*.summarize``), one per replica."""
  spec: dict                         # the RunSpec's JSON as the run wrote it (any spec version)
  objective: str                     # 'classification' | 'regression'
  headline: tuple[str, ...]          # HEADLINE[objective]
  data: dict                         # source, rows, drops, split sizes and groups, labels, encoding
  eval_split: str                    # 'test', or 'val' for runs without a test split
  select_metric: str                 # the validation metric that picked each replica's best epoch
  baseline: dict                     # the objective's trivial baseline on the eval split
  majority_label: str | None = None  # classification: the baseline's, kept top-level for older readers
  majority_rate: float | None = None
  score_range: list[float] | None = None   # regression: [min, max] training score
  replicas: list[dict]               # [P] {'seed', 'lr'}
  best_epoch: list[int]              # [P] 1-based
  diverged_epoch: list[int]          # [P] 0 = trained to the end
  val: list[dict]                    # [P] summaries of each replica's best parameters
  test: list[dict] | None            # [P], or None without a test split
  ensemble: dict | None              # {'replicas', 'val', 'test'}: summaries of the replicas' mean
  classic_baseline: dict | None      # train.classic_baseline's result, or {'skipped': why}
  train_examples_per_second: float   # mean over the epochs trained
  throughput: dict                   # steady-state examples (and tokens) per second
  history: list[dict]                # metrics.jsonl's records
  attention_png: str | None          # the attention example's file name, if one was drawn

  @property
  def regression(self) -> bool:
    return self.objective == "regression"

  @property
  def evaluated(self) -> list[dict]:
    """Each replica's summary on the eval split."""
    return self.test if self.test is not None else self.val

  @property
  def grouping(self) -> str:
    return spec_grouping(self.spec)

  def val_scores(self) -> np.ndarray:
    """[P] each replica's validation select-metric score."""
    return np.array([s[self.select_metric] for s in self.val])

  def best_replica(self) -> int:
    return best_replica(self.val_scores())

  def lr_groups(self) -> dict[float, list[int]]:
    """Learning rate → its replicas (one per seed), in replica order."""
    groups: dict[float, list[int]] = {}
    for i, replica in enumerate(self.replicas):
      groups.setdefault(replica["lr"], []).append(i)
    return groups

  def selected(self) -> tuple[float, list[int]]:
    """The learning rate whose seeds have the best mean validation score, and their replicas:
    what reports average over (never chosen by test)."""
    scores, groups = self.val_scores(), self.lr_groups()
    lr = max(groups, key=lambda g: scores[groups[g]].mean())
    return lr, groups[lr]

  def to_json(self) -> dict:
    out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
    out["headline"] = list(self.headline)
    for key in _KIND_KEYS:       # one objective's keys: absent from the other's files
      if out[key] is None:
        del out[key]
    return {**out, "results_version": RESULTS_VERSION}

  @classmethod
  def from_json(cls, d: dict) -> "Results":
    d = dict(d)
    version = d.pop("results_version", 1)
    if version > RESULTS_VERSION:
      raise DataError(f"results.json of version {version} is newer than this code reads ({RESULTS_VERSION})")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown, missing = sorted(set(d) - names), sorted(_REQUIRED - set(d))
    if unknown or missing:
      raise DataError(f"not a results.json: {'unknown' if unknown else 'missing'} fields {unknown or missing}")
    d = {**_recorded_since(d), **d}
    return cls(**{**d, "headline": tuple(d["headline"])})

  @classmethod
  def load(cls, run_dir: str | Path) -> "Results":
    stored = read_json(run_dir, RESULTS_FILE)
    if stored is None:
      raise DataError(f"{run_dir} has no {RESULTS_FILE}: the run has not finished")
    return cls.from_json(stored)

  def save(self, run_dir: str | Path) -> None:
    write_json_atomic(Path(run_dir) / RESULTS_FILE, self.to_json())


_KIND_KEYS = ("majority_label", "majority_rate", "score_range")
# What every results.json has recorded from the start.
_REQUIRED = {"spec", "data", "eval_split", "replicas", "best_epoch", "val", "test", "train_examples_per_second",
             "history"}


def _recorded_since(d: dict) -> dict:
  """Fields that older results.json files lack, as they read for such a run."""
  objective = d.get("objective", "classification")
  if objective == "regression":
    select = Regression.select_metric
  else:
    select = resolve_select_metric(d["spec"].get("select_metric", "accuracy"), len(d["data"]["labels"]))
  return {"objective": objective, "headline": HEADLINE[objective], "select_metric": select, "baseline": {},
          "diverged_epoch": [0] * len(d["replicas"]), "ensemble": None, "classic_baseline": None,
          "throughput": {}, "attention_png": None}


def finished_results(spec: RunSpec, run_dir: str | Path) -> Results | None:
  """The run dir's results if ``spec`` made them (then there is nothing left to train), else None.

  Unlike resuming, a different number of epochs counts: the run would go on training.
  """
  stored = read_json(run_dir, RESULTS_FILE)
  if stored is None or spec_diffs(stored["spec"], spec):
    return None
  return Results.from_json(stored)
