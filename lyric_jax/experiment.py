"""One run of one experiment: data → splits → preprocessing → population training → report.

A ``RunSpec`` is everything that defines a run; it is written to the run
directory's ``config.json`` and is all ``lyric_jax.predict`` needs to rebuild the
data reader, the preprocessing and the model. Re-running the same command on the
same run directory resumes from the last checkpoint; a different spec is refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pandas as pd

from lyric_jax.data import download, glove, sources
from lyric_jax.data.batches import SAMPLE_WEIGHT
from lyric_jax.data.encode import Preprocessor, TextSpec
from lyric_jax.data.errors import DataError, require
from lyric_jax.data.glove import EmbeddingSpec
from lyric_jax.data.grouping import GROUPINGS, SplitGroups, split_groups
from lyric_jax.data.label_maps import apply_label_map
from lyric_jax.data.splits import SPLITS, balanced_group_split, check_split_fractions, stratified_group_split
from lyric_jax.data.table import LABEL, ROW, Table, select_labels
from lyric_jax.data.weights import balancing_weights, score_bins
from lyric_jax.models import registry
from lyric_jax.report import attention
from lyric_jax.report.tables import classic_name
from lyric_jax.rundir import LOCK_FILE, locked, write_json_atomic, write_text_atomic
from lyric_jax.train.checkpoint import MIN_FREE_MB, check_run_dir, writing
from lyric_jax.train.classic_baseline import classic_baseline
from lyric_jax.train.loop import FitConfig, FitResult, ensemble, fit, predict_outputs
from lyric_jax.train.metrics import (build_objective, evaluate, prediction_columns, sample_training_distribution,
                                     trivial_baseline)
from lyric_jax.train.objectives import ObjectiveSpec
from lyric_jax.train.state import frozen, make_optimizer

CONFIG_FILE, RESULTS_FILE, INPUTS_FILE, SPLIT_FILE = "config.json", "results.json", "inputs.json", "split.csv"
# Fields that only say how verbosely or where a run goes: never part of what it computes.
_PLACEMENT = ("progress", "devices", "shard")
_RESUMABLE_CHANGES = ("epochs", *_PLACEMENT)
# Text models name their token embedding 'embed'; pretrained vectors and freezing target it.
EMBEDDING_PARAM = "embed/embedding"
# What a config.json of an older spec version meant where the current defaults differ.
# Version 1 (no spec_version field): splits grouped by the reader's group column
# (grouped_split: bool) and lastfm17's first label and non-ASCII rules.
SPEC_VERSION = 2
_V1_DATASET_OPTIONS = {"lastfm17": {"multi_genre": "best_rank", "non_ascii": "drop_song"}}


@dataclasses.dataclass(frozen=True)
class RunSpec:
  experiment: str
  dataset: str
  model: str
  model_kwargs: dict = dataclasses.field(default_factory=dict)
  dataset_options: dict = dataclasses.field(default_factory=dict)
  labels: tuple[str, ...] = ()          # keep only these labels (e.g. the study's 4 genres); () = all
  label_map: str = ""                   # relabel first (data/label_maps.py), e.g. S4's 114 → 66 genres
  text: TextSpec | None = TextSpec()    # None for feature-only models
  features: bool = True                 # False for text-only models: features are not encoded
  fit: FitConfig = FitConfig()
  split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
  split_seed: int = 0
  # Which rows share a split (data/grouping.py): 'artist' (normalised artist, text and the
  # reader's group), 'track' (the reader's group only), 'none' (rows at random, to measure the leak).
  grouping: str = "artist"
  subset: int = 0                       # a random subset of this many rows (study S0: 25,000); 0 = all
  # Validation metric that picks each replica's best epoch (and drives early stopping);
  # 'f1' = positive-class F1 for binary tasks, macro-F1 otherwise (see train.metrics).
  select_metric: str = "accuracy"
  objective: ObjectiveSpec = ObjectiveSpec()   # classification, or score regression (S2)
  embedding: EmbeddingSpec = EmbeddingSpec()   # random init, or pretrained vectors; frozen or not
  train_subsample: int = 1                     # train on every k-th training row (S2 used every 10th)
  classic_baseline: bool = True                # fit the classic baseline on the same split (train/classic_baseline.py)
  spec_version: int = SPEC_VERSION             # configs without it are version 1 (see from_json)

  def __post_init__(self):
    check_split_fractions(self.split_fractions)
    require(self.grouping in GROUPINGS, f"grouping must be one of {list(GROUPINGS)}, got {self.grouping!r}")
    require(self.subset >= 0, f"subset must be ≥ 0 (0 = all rows), got {self.subset}")
    require(self.train_subsample >= 1, f"train_subsample must be at least 1, got {self.train_subsample}")

  def to_json(self) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(self)))

  @classmethod
  def from_json(cls, d: dict) -> "RunSpec":
    """A spec from its JSON; an older version's is read as what it meant then."""
    d = _upgrade(dict(d))
    d["text"] = TextSpec(**d["text"]) if d.get("text") else None
    d["fit"] = FitConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in d["fit"].items()})
    d["labels"] = tuple(d.get("labels", ()))
    d["split_fractions"] = tuple(d["split_fractions"])
    d["objective"] = ObjectiveSpec(**d["objective"]) if d.get("objective") else ObjectiveSpec()
    d["embedding"] = EmbeddingSpec(**d["embedding"]) if d.get("embedding") else EmbeddingSpec()
    return cls(**d)


def _upgrade(d: dict) -> dict:
  """Spec JSON of an older version → the current fields with the meaning it had."""
  if d.pop("spec_version", 1) < 2:
    d["grouping"] = "track" if d.pop("grouped_split", True) else "none"
    d["dataset_options"] = {**_V1_DATASET_OPTIONS.get(d.get("dataset"), {}), **d.get("dataset_options", {})}
  return d


def spec_grouping(spec_json: dict) -> str:
  """The split grouping of a spec's JSON of any version (for readers of results.json)."""
  return _upgrade(dict(spec_json)).get("grouping", RunSpec.grouping)


def load_spec(run_dir: str | Path) -> RunSpec:
  path = Path(run_dir) / CONFIG_FILE
  if not path.exists():
    raise DataError(f"{run_dir} has no {CONFIG_FILE}: not a lyric_jax run directory")
  return RunSpec.from_json(json.loads(path.read_text()))


def prepare_run_dir(spec: RunSpec, run_dir: Path, inputs: dict | None = None, overwrite: bool = False,
                    min_free_mb: float = MIN_FREE_MB) -> None:
  """Creates the run dir, or checks that an existing one was made by the same spec on the
  same data (``inputs``: see ``download.input_identity``).

  Fields that only affect how long, how verbosely or where a run goes (epochs,
  progress, devices, shard) may change between a run and its resumption. An
  unwritable dir or a nearly full disk stops the run here (``check_run_dir``).
  """
  config, inputs_file = run_dir / CONFIG_FILE, run_dir / INPUTS_FILE
  if overwrite and run_dir.exists():
    clear_run_dir(run_dir)
  if config.exists():
    diffs = spec_diffs(json.loads(config.read_text()), spec, ignore=_RESUMABLE_CHANGES)
    if diffs:
      raise DataError(f"{run_dir} holds a run with a different config ({'; '.join(diffs[:5])}). "
                      "Use another --run_name/--workdir, or --overwrite to start over.")
  if inputs_file.exists() and inputs is not None:
    changed = download.identity_changes(json.loads(inputs_file.read_text()), inputs)
    if changed:
      raise DataError(f"{run_dir} was trained on other data: {'; '.join(changed)}. Resuming would mix "
                      "two data sets; use another --run_name/--workdir, or --overwrite to start over.")
  check_run_dir(run_dir, min_free_mb)
  write_json_atomic(config, spec.to_json())
  if inputs is not None:
    write_json_atomic(inputs_file, inputs)


def clear_run_dir(run_dir: Path) -> None:
  """Everything but the lock, which this process holds (``rundir.locked``)."""
  for child in run_dir.iterdir():
    if child.name != LOCK_FILE:
      shutil.rmtree(child) if child.is_dir() else child.unlink()


def spec_diffs(old_json: dict, spec: RunSpec, ignore: tuple[str, ...] = _PLACEMENT) -> list[str]:
  """What differs between a stored spec and ``spec``, leaving out the ``ignore``d fit fields.

  The stored one goes through RunSpec, so a field added since it was written reads as its
  default; likewise a model argument only one side names reads as the model's default there.
  """
  old, new = RunSpec.from_json(old_json).to_json(), spec.to_json()
  if old["model"] == new["model"] and old["model"] in registry.MODELS:
    defaults = registry.default_kwargs(old["model"])
    for a, b in ((old, new), (new, old)):
      a["model_kwargs"] = {**{k: defaults[k] for k in b["model_kwargs"] if k in defaults}, **a["model_kwargs"]}
  for d in (old, new):
    d["fit"] = {k: v for k, v in d["fit"].items() if k not in ignore}
  return _diff(old, new)


def finished_results(spec: RunSpec, run_dir: str | Path) -> dict | None:
  """The run dir's results.json if ``spec`` made it (then there is nothing left to train), else None.

  Unlike resuming, a different number of epochs counts: the run would go on training.
  """
  path = Path(run_dir) / RESULTS_FILE
  if not path.exists():
    return None
  results = json.loads(path.read_text())
  return None if spec_diffs(results["spec"], spec) else results


def load_table(spec: RunSpec, data_dir: str | None) -> Table:
  table = sources.get(spec.dataset).load(data_dir, **spec.dataset_options)
  if not spec.features:
    table = dataclasses.replace(table, feature_names=())
  table = relabel(table, spec)
  if 0 < spec.subset < len(table):   # drawn with the split seed, before splitting
    keep = np.random.default_rng(spec.split_seed).choice(len(table), spec.subset, replace=False)
    table = table.drop_rows(~np.isin(np.arange(len(table)), keep), f"outside the random subset of {spec.subset}")
  return table


def relabel(table: Table, spec: RunSpec, require_all: bool = True) -> Table:
  """The run's label map, then its label selection: one function for training and predict
  (which passes ``require_all=False``: see ``select_labels``)."""
  return select_labels(apply_label_map(table, spec.label_map), list(spec.labels), require_all)


UNUSED = "unused"   # split.csv's name for training rows that --train_subsample skips


def assign_splits(table: Table, spec: RunSpec, groups: SplitGroups | None = None) -> np.ndarray:
  """Each row's split: stratified (by class, or by score decile for regression), grouped by
  ``spec.grouping`` (``groups``, if already computed), seeded; UNUSED for the training
  rows ``train_subsample`` leaves out."""
  labels = table.frame[LABEL].to_numpy()
  strata = score_bins(labels.astype(float), 10) if spec.objective.target == "score" else labels
  if groups is None:
    groups = split_groups(table, spec.grouping)
  # Artist groups run from one song to over a hundred: placed by their rows' classes.
  split = balanced_group_split if spec.grouping == "artist" else stratified_group_split
  idx = split(strata, groups.ids, spec.split_fractions, spec.split_seed)
  which = np.full(len(table), UNUSED, dtype=object)
  idx["train"] = idx["train"][::spec.train_subsample]
  for name, i in idx.items():
    which[i] = name
  if len(idx["train"]) == 0 or len(idx["val"]) == 0:
    raise DataError(f"{table.source}: only {len(table)} usable rows, too few for train/val splits")
  return which


def split_parts(table: Table, which: np.ndarray) -> dict[str, Table]:
  """The non-empty splits of ``assign_splits`` as tables, rows in table order."""
  return {name: dataclasses.replace(table, frame=table.frame.loc[which == name].reset_index(drop=True))
          for name in SPLITS if (which == name).any()}


def split_table(table: Table, spec: RunSpec, groups: SplitGroups | None = None) -> dict[str, Table]:
  return split_parts(table, assign_splits(table, spec, groups))


def write_split(run_dir: Path, table: Table, which: np.ndarray) -> Path:
  """split.csv: each kept row's split (``row`` as in predictions/), written atomically."""
  path = run_dir / SPLIT_FILE
  write_text_atomic(path, pd.DataFrame({ROW: table.frame[ROW].to_numpy(), "split": which}).to_csv(index=False))
  return path


def build_model(spec: RunSpec, preprocessor: Preprocessor):
  wants_lines = spec.model in registry.HIERARCHICAL
  if spec.text is not None and wants_lines != (preprocessor.layout == "lines"):
    raise DataError(f"model {spec.model!r} needs text layout {'lines' if wants_lines else 'flat'}, "
                    f"but the run encodes {preprocessor.layout!r}")
  kwargs = dict(spec.model_kwargs, num_classes=preprocessor.num_outputs)
  if spec.text is not None:
    kwargs["vocab_size"] = preprocessor.vocab_size
  return registry.build(spec.model, **kwargs)


def objective_for(spec: RunSpec, preprocessor: Preprocessor):
  try:
    return build_objective(spec.objective, preprocessor.num_classes, spec.select_metric)
  except ValueError as e:
    raise DataError(str(e)) from None


def optimizer_for(spec: RunSpec):
  """The run's optimiser. Built only here: training and every restore (predict) must agree,
  because the optimiser state (e.g. which params are frozen) is part of the checkpoint."""
  mask = frozen([EMBEDDING_PARAM]) if spec.embedding.freeze else None
  return make_optimizer(spec.fit.optimizer, spec.fit.clip_norm, trainable_mask=mask)


def pretrained_embedding(spec: RunSpec, preprocessor: Preprocessor, model, sample: dict,
                         data_dir: str | None) -> tuple[dict, dict | None]:
  """({param path: matrix} to initialise from, coverage report) for the run's embedding spec.

  Checks up front that the model has the embedding the spec freezes or fills, with the
  vectors' dimension, so a mismatch is one clear error rather than a failed init.
  """
  if not (spec.embedding.vectors or spec.embedding.freeze):
    return {}, None
  shapes = jax.eval_shape(lambda: model.init(jax.random.key(0), sample, train=False))["params"]
  shape = shapes.get("embed", {}).get("embedding")
  if spec.text is None or shape is None:
    raise DataError(f"model {spec.model!r} has no '{EMBEDDING_PARAM}' parameter to freeze or initialise")
  if not spec.embedding.vectors:
    return {}, None
  path = glove.find_vectors(spec.embedding.vectors, data_dir)
  matrix, coverage = glove.embedding_matrix(path, preprocessor.tokenizer.get_vocab())
  if matrix.shape != tuple(shape.shape):
    raise DataError(f"{path.name} has {matrix.shape[1]}-d vectors but the model's embedding is "
                    f"{shape.shape[1]}-d: set the embedding size (--embed) to {matrix.shape[1]}")
  print(f"Pretrained vectors {path.name}: {coverage['hits']} of {coverage['vocab_words']} vocabulary "
        f"words found, {coverage['misses']} misses (zeros); embedding "
        f"{'frozen' if spec.embedding.freeze else 'trained'}")
  return {EMBEDDING_PARAM: matrix}, coverage


def run(spec: RunSpec, run_dir: str | Path, data_dir: str | None = None,
        overwrite: bool = False, min_free_mb: float = MIN_FREE_MB) -> dict:
  """Trains (or resumes) the run and returns the results written to results.json.

  ``min_free_mb``: free disk space (MiB) the run dir must keep beyond a checkpoint.
  """
  run_dir = Path(run_dir)
  table = load_table(spec, data_dir)
  print(table.report())
  check_run_dir(run_dir, min_free_mb)   # writable, with room: before the lock file is made
  # Hosts of one --distributed run share the run dir: the first holds the lock for all.
  with locked(run_dir) if jax.process_index() == 0 else contextlib.nullcontext():
    prepare_run_dir(spec, run_dir, input_identity(spec, data_dir), overwrite, min_free_mb)
    return _train_and_report(spec, run_dir, table, data_dir, min_free_mb)


def input_identity(spec: RunSpec, data_dir: str | None) -> dict | None:
  """The data file the run reads (path, bytes, sha256); None for generated data."""
  path = sources.get(spec.dataset).locate(data_dir)
  return None if path is None else download.identity(path)


def _train_and_report(spec: RunSpec, run_dir: Path, table: Table, data_dir: str | None,
                      min_free_mb: float) -> dict:
  groups = split_groups(table, spec.grouping)
  print(groups.describe())
  which = assign_splits(table, spec, groups)
  with writing(run_dir, "the split"):
    write_split(run_dir, table, which)
  parts = split_parts(table, which)
  if (run_dir / "preprocessor.json").exists():      # resuming: reuse the fitted vocabulary
    preprocessor = Preprocessor.load(run_dir)
  else:
    labels = sorted(table.frame[LABEL].unique())
    preprocessor = Preprocessor.fit(parts["train"], labels, spec.text, target=spec.objective.target)
    preprocessor.save(run_dir)
  data = {name: preprocessor.encode(part) for name, part in parts.items()}
  if spec.objective.sample_weights == "inverse_bin":
    data["train"][SAMPLE_WEIGHT] = balancing_weights(
        data["train"]["label"], target=preprocessor.target, num_bins=spec.objective.weight_bins)
  model = build_model(spec, preprocessor)
  objective = objective_for(spec, preprocessor)
  sample = {k: v[:1] for k, v in data["train"].items() if k not in ("label", SAMPLE_WEIGHT)}
  overrides, coverage = pretrained_embedding(spec, preprocessor, model, sample, data_dir)
  result = fit(model, objective, data, spec.fit, run_dir, tx=optimizer_for(spec), param_overrides=overrides,
               min_free_mb=min_free_mb)
  outputs = {split: predict_outputs(objective, model.apply, result.best["params"], result.best["model_state"],
                                    data[split], spec.fit.eval_batch_size) for split in ("val", "test") if split in data}
  with writing(run_dir, "the predictions and results"):   # a full disk after training: resumable too
    write_eval_predictions(run_dir, spec, parts, preprocessor, objective, result, outputs)
    results = summarize_run(spec, table, parts, preprocessor, result, objective=objective, embedding=coverage,
                            train_arrays=data["train"], groups=groups,
                            ensemble=ensemble_summaries(objective, outputs, data),
                            classic=run_classic_baseline(spec, parts, objective, preprocessor, run_dir))
    results["attention_png"] = write_attention_example(model, result, objective, preprocessor, parts, run_dir)
    write_json_atomic(run_dir / RESULTS_FILE, results)
  return results


def write_attention_example(model, result: FitResult, objective, preprocessor: Preprocessor,
                            parts: dict[str, Table], run_dir: Path) -> str | None:
  """attention.png: the best replica's attention over the first song of the evaluation split."""
  if preprocessor.tokenizer is None or preprocessor.target != "classes":
    return None
  split = parts.get("test", parts["val"])
  song = dataclasses.replace(split, frame=split.frame.iloc[:1].reset_index(drop=True))
  batch = preprocessor.encode(song)
  best = int(np.argmax([s[objective.select_metric] for s in result.val]))
  params = jax.tree.map(lambda x: x[best], result.best)
  variables = {"params": params["params"], **params["model_state"]}
  probs = jax.nn.softmax(model.apply(variables, batch, train=False)[0])
  title = (f"{song.frame['group'].iloc[0].replace('|', ' - ')}: true {song.frame[LABEL].iloc[0]}, "
           f"predicted {preprocessor.labels[int(np.argmax(probs))]} ({float(np.max(probs)):.2f})")
  path = run_dir / "attention.png"
  written = attention.write_attention_png(model, variables, batch, preprocessor.tokenizer.id_to_token,
                                          path, title)
  return path.name if written else None


EVAL_PREDICTIONS = "predictions/eval_{split}.csv"
CLASSIC_CACHE = "classic_baselines"   # beside the run dirs: runs on the same split share one fit


def ensemble_summaries(objective, outputs: dict[str, dict], data: dict) -> dict[str, Any]:
  """The population as one model (mean of its replicas' probabilities or scores) on val and test."""
  summaries = {split: evaluate(objective, {k: ensemble(v) for k, v in out.items()}, data[split]["label"])
               for split, out in outputs.items()}
  population = len(next(iter(outputs["val"].values())))
  return {"replicas": population, "val": summaries["val"], "test": summaries.get("test")}


def run_classic_baseline(spec: RunSpec, parts: dict[str, Table], objective, preprocessor: Preprocessor,
                         run_dir: Path) -> dict[str, Any]:
  if not spec.classic_baseline:
    return {"skipped": "turned off (--noclassic_baseline)"}
  result = classic_baseline(parts, objective, preprocessor.labels, text=spec.text is not None,
                            cache_dir=run_dir.parent / CLASSIC_CACHE)
  print(describe_classic(result))
  return result


def describe_classic(result: dict) -> str:
  if "skipped" in result:
    return f"Classic baseline skipped: {result['skipped']}"
  split = "test" if result["test"] else "val"
  shown = ", ".join(f"{m} {result[split][m]:.4f}" for m in ("accuracy", "macro_f1", "mae", "rmse") if m in result[split])
  return (f"Classic baseline {classic_name(result)}: {split} {shown}"
          + (f" (reused from {result['cached']})" if result.get("cached") else ""))


def write_eval_predictions(run_dir: Path, spec: RunSpec, parts: dict[str, Table], preprocessor: Preprocessor,
                           objective, result: FitResult, outputs: dict[str, dict]) -> Path:
  """Per-row predictions of the best parameters on the evaluation split (for plots and audits).

  ``predicted`` (and class probabilities) come from the replica with the best validation
  score, ``predicted_r<i>`` from each replica, ``predicted_ensemble`` from their mean; score
  runs add one ``benchmark`` draw from the training score distribution (the study's
  random-sampling benchmark). ``outputs``: split → every replica's outputs.
  """
  split = "test" if "test" in outputs else "val"
  out = outputs[split]
  best = int(np.argmax([s[objective.select_metric] for s in result.val]))
  predicted = lambda chosen: prediction_columns(objective, chosen, preprocessor.labels)
  columns = {ROW: parts[split].frame[ROW].to_numpy(), "label": parts[split].frame[LABEL].to_numpy(),
             **predicted({k: v[best] for k, v in out.items()}),
             **{f"predicted_r{i}": predicted({k: v[i] for k, v in out.items()})["predicted"]
                for i in range(len(result.val))},
             "predicted_ensemble": predicted({k: ensemble(v) for k, v in out.items()})["predicted"]}
  if preprocessor.target == "score":
    columns["benchmark"] = sample_training_distribution(
        parts["train"].frame[LABEL].to_numpy(float), len(parts[split]), spec.fit.seeds[0])
  path = run_dir / EVAL_PREDICTIONS.format(split=split)
  path.parent.mkdir(parents=True, exist_ok=True)
  pd.DataFrame(columns).to_csv(path, index=False)   # built at once: column inserts fragment wide frames
  return path


def summarize_run(spec: RunSpec, table: Table, parts: dict[str, Table], preprocessor: Preprocessor,
                  result: FitResult, *, objective=None, embedding: dict | None = None,
                  train_arrays: dict[str, np.ndarray] | None = None, groups: SplitGroups | None = None,
                  ensemble: dict | None = None, classic: dict | None = None) -> dict[str, Any]:
  """results.json: the data, every replica's val/test summaries, the ensemble's, the baselines."""
  objective = objective or objective_for(spec, preprocessor)
  eval_split = "test" if result.test is not None else "val"
  train_labels, eval_labels = parts["train"].frame[LABEL], parts[eval_split].frame[LABEL]
  baseline = trivial_baseline(objective, train_labels.to_numpy(), eval_labels.to_numpy(), spec.fit.seeds)
  if preprocessor.target == "classes":    # kept as top-level keys for existing readers
    extra = {"majority_label": baseline["label"], "majority_rate": baseline["accuracy"]}
  else:
    extra = {"score_range": [float(train_labels.min()), float(train_labels.max())]}
  return {
      "spec": spec.to_json(),
      "objective": spec.objective.kind,
      "headline": list(objective.headline),
      "data": {"source": table.source, "rows": len(table), "drops": table.drops, "notes": table.notes,
               "class_counts": table.class_counts,
               "split_groups": (split_groups(table, spec.grouping) if groups is None else groups).to_json(),
               "split_sizes": {k: len(v) for k, v in parts.items()},
               "label_counts": table.frame[LABEL].value_counts().to_dict(),
               "labels": preprocessor.labels, "vocab_size": preprocessor.vocab_size,
               "layout": preprocessor.layout, "max_len": preprocessor.max_len,
               "max_lines": preprocessor.max_lines, "max_words": preprocessor.max_words,
               "target": preprocessor.target, "embedding": embedding},
      "eval_split": eval_split,
      "select_metric": objective.select_metric,
      "baseline": baseline,
      **extra,
      "replicas": spec.fit.replicas,
      "best_epoch": result.best_epoch.tolist(),
      "diverged_epoch": result.diverged_epoch.tolist(),   # 0 = trained to the end
      "val": result.val,
      "test": result.test,
      "ensemble": ensemble,
      "classic_baseline": classic,
      "train_examples_per_second": result.train_examples_per_second,
      "throughput": throughput(result.history, train_arrays or {}, len(spec.fit.replicas)),
      "history": result.history,
  }


def throughput(history: list[dict], train_arrays: dict[str, np.ndarray], population: int) -> dict:
  """Steady-state training speed: the median epoch after the first (which includes compiling).

  Tokens are counted per example once (all replicas see the same batch): ``real`` counts
  tokens inside the lengths, ``padded`` every position the model steps through.
  """
  per_epoch = [r["train_examples_per_second"] for r in history]
  examples = float(np.median(per_epoch[1:] if len(per_epoch) > 1 else per_epoch)) if per_epoch else 0.0
  out = {"examples_per_second": examples, "population": population}
  if "tokens" in train_arrays:
    tokens = train_arrays["tokens"]
    real = train_arrays.get("word_lengths", train_arrays["lengths"]).reshape(len(tokens), -1).sum(1)
    out["real_tokens_per_second"] = examples * float(real.mean())
    out["padded_tokens_per_second"] = examples * float(np.prod(tokens.shape[1:]))
  return out


def _diff(old: Any, new: Any, path: str = "") -> list[str]:
  if isinstance(old, dict) and isinstance(new, dict):
    return [d for k in sorted(set(old) | set(new))
            for d in _diff(old.get(k), new.get(k), f"{path}.{k}" if path else k)]
  return [] if old == new else [f"{path}: {old!r} → {new!r}"]


def mean_std(values) -> tuple[float, float]:
  values = np.asarray(values, float)
  return float(values.mean()), float(values.std())
