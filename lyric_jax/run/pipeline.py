"""One run of one experiment: load → relabel → split → preprocess → fit → artefacts.

``run`` trains (or resumes) a RunSpec in its run directory and returns its ``Results``.
Re-running the same command on the same run directory resumes from the last checkpoint.
"""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import numpy as np

from lyric_jax.data import download, glove, sources
from lyric_jax.data.batches import SAMPLE_WEIGHT
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError
from lyric_jax.data.grouping import SplitGroups, split_groups
from lyric_jax.data.label_maps import apply_label_map
from lyric_jax.data.splits import SPLITS, balanced_group_split, stratified_group_split
from lyric_jax.data.table import LABEL, Table, select_labels
from lyric_jax.data.weights import balancing_weights, score_bins
from lyric_jax.pretrain import language_model, provenance
from lyric_jax.run import artifacts, build, rundir
from lyric_jax.run.results import Results
from lyric_jax.run.spec import RunSpec, resume_diffs
from lyric_jax.train.checkpoint import MIN_FREE_MB, check_run_dir, writing
from lyric_jax.train.loop import fit, predict_outputs
from lyric_jax.train.sharding import is_primary, sync

UNUSED = "unused"   # split.csv's name for training rows that --train_subsample skips


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


def input_identity(spec: RunSpec, data_dir: str | None) -> dict | None:
  """The data file the run reads (path, bytes, sha256); None for generated data."""
  path = sources.get(spec.dataset).locate(data_dir)
  return None if path is None else download.identity(path)


def run(spec: RunSpec, run_dir: str | Path, data_dir: str | None = None,
        overwrite: bool = False, min_free_mb: float = MIN_FREE_MB) -> Results:
  """Trains (or resumes) the run, writes its artefacts and returns its results.

  A run dir made by another config or on other data is refused before the data is read.
  ``min_free_mb``: free disk space (MiB) the run dir must keep beyond a checkpoint.
  """
  run_dir = Path(run_dir)
  inputs = input_identity(spec, data_dir)
  if not overwrite:
    rundir.check_resumable(run_dir, resume_diffs(spec), inputs)
  table = load_table(spec, data_dir)
  print(table.report())
  check_run_dir(run_dir, min_free_mb)   # writable, with room: before the lock file is made
  # Hosts of one --distributed run share the run dir: the first holds the lock and writes for all.
  with rundir.locked(run_dir) if is_primary() else contextlib.nullcontext():
    if is_primary():
      # Checked again under the lock: another process may have finished a run here meanwhile.
      rundir.prepare(run_dir, spec.to_json(), resume_diffs(spec), inputs, overwrite, min_free_mb)
    sync("run dir prepared")   # the others read it only once it is cleared (--overwrite) and checked
    return _train(spec, run_dir, table, data_dir, min_free_mb)


def _train(spec: RunSpec, run_dir: Path, table: Table, data_dir: str | None, min_free_mb: float) -> Results:
  groups = split_groups(table, spec.grouping)
  print(groups.describe())
  which = assign_splits(table, spec, groups)
  if spec.embedding.vectors:
    provenance.check_held_out(glove.find_vectors(spec.embedding.vectors, data_dir), which)
  if spec.embedding.language_model:
    language_model.check_split(spec.embedding.language_model, which)
  if is_primary():
    with writing(run_dir, "the split"):
      artifacts.write_split(run_dir, table, which)
  parts = split_parts(table, which)
  if (run_dir / rundir.PREPROCESSOR_FILE).exists():      # resuming: reuse the fitted vocabulary
    preprocessor = Preprocessor.load(run_dir)
  else:
    labels = sorted(table.frame[LABEL].unique())
    preprocessor = Preprocessor.fit(parts["train"], labels, spec.text, target=spec.objective.target,
                                    feature_transform=spec.feature_transform)
    if is_primary():   # the others fit the same one (or, once it is saved, load it)
      preprocessor.save(run_dir)
  data = {name: preprocessor.encode(part) for name, part in parts.items()}
  if spec.objective.sample_weights == "inverse_bin":
    data["train"][SAMPLE_WEIGHT] = balancing_weights(
        data["train"]["label"], target=preprocessor.target, num_bins=spec.objective.weight_bins)
  model = build.model_for(spec, preprocessor)
  objective = build.objective_for(spec, preprocessor)
  sample = {k: v[:1] for k, v in data["train"].items() if k not in ("label", SAMPLE_WEIGHT)}
  overrides, coverage = build.pretrained_embedding(spec, preprocessor, model, sample, data_dir)
  tx = build.optimizer_for(spec, data["train"])
  result = fit(model, objective, data, spec.fit, run_dir, tx=tx, param_overrides=overrides,
               state_overrides=build.fitted_constants(model, data["train"]), min_free_mb=min_free_mb)
  outputs = {split: predict_outputs(objective, model.apply, result.best["params"], result.best["model_state"],
                                    data[split], spec.fit.eval_batch_size)
             for split in ("val", "test") if split in data}
  trained = artifacts.TrainedRun(spec, table, parts, groups, preprocessor, data, model, objective, result, outputs,
                                 coverage)
  return artifacts.write_all(trained, run_dir, write=is_primary())
