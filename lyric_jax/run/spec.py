"""What defines a run: the ``RunSpec``, its JSON (``config.json``) and the versions it had.

A RunSpec is all ``lyric_jax.predict`` needs to rebuild the data reader, the preprocessing
and the model. Re-running the same command on the same run directory resumes from the last
checkpoint; a spec that differs in more than ``RESUMABLE_CHANGES`` is refused.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from lyric_jax.data.encode import TextSpec
from lyric_jax.data.errors import DataError, require
from lyric_jax.data.glove import EmbeddingSpec
from lyric_jax.data.grouping import GROUPINGS
from lyric_jax.data.splits import check_split_fractions
from lyric_jax.models import cudnn_lstm, registry
from lyric_jax.pretrain import language_model
from lyric_jax.run.rundir import CONFIG_FILE, read_json
from lyric_jax.train.loop import FitConfig
from lyric_jax.train.objectives import ObjectiveSpec

# Fields that only say how verbosely or where a run goes: never part of what it computes.
PLACEMENT = ("progress", "devices", "shard")
# What may change between a run and its resumption (a finished run counts epochs: see finished_results).
RESUMABLE_CHANGES = ("epochs", *PLACEMENT)
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
  feature_transform: str = "standard"   # 'standard' | 'quantile' (data/feature_scaling.py), fitted on train
  fit: FitConfig = FitConfig()
  split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
  split_seed: int = 0
  # Which rows share a split (data/grouping.py): 'artist' (normalised artist, text and the
  # reader's group), 'track' (the reader's group only), 'none' (rows at random, to measure the leak).
  grouping: str = "artist"
  subset: int = 0                       # a random subset of this many rows (study S0: 25,000); 0 = all
  # Validation metric that picks each replica's best epoch (and drives early stopping);
  # 'f1' = positive-class F1 for binary tasks, macro-F1 otherwise (see objectives).
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
    if self.embedding.language_model:   # a model without a recurrent word encoder is refused here
      language_model.encoder_shape(self.model, self.model_kwargs)
    if self.model_kwargs.get("impl") == "cudnn":   # refused here, before a run dir or any data is touched
      kwargs = {**registry.default_kwargs(self.model), **self.model_kwargs}
      refusal = cudnn_lstm.refusal(kwargs.get("cell", "lstm"), replicas=len(self.fit.replicas))
      require(refusal is None, f"{refusal} (--rnn_impl)")

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
  stored = read_json(run_dir, CONFIG_FILE)
  if stored is None:
    raise DataError(f"{run_dir} has no {CONFIG_FILE}: not a lyric_jax run directory")
  return RunSpec.from_json(stored)


def spec_diffs(old_json: dict, spec: RunSpec, ignore: tuple[str, ...] = PLACEMENT) -> list[str]:
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


def resume_diffs(spec: RunSpec):
  """stored config → what keeps ``spec`` from resuming it (for ``rundir.check_resumable``)."""
  return lambda stored: spec_diffs(stored, spec, ignore=RESUMABLE_CHANGES)


def _diff(old: Any, new: Any, path: str = "") -> list[str]:
  if isinstance(old, dict) and isinstance(new, dict):
    return [d for k in sorted(set(old) | set(new))
            for d in _diff(old.get(k), new.get(k), f"{path}.{k}" if path else k)]
  return [] if old == new else [f"{path}: {old!r} → {new!r}"]
