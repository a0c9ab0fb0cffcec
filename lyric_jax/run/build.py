"""What a run's spec builds: its model, objective and optimiser, its pretrained embedding, and
its trained parameters restored from the run dir.

The only place these are built, so that training, ``predict`` and ``explain`` agree. Restoring
reads each replica's best parameters alone: no optimiser is built and no optimiser state read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

import flax.linen as nn
import jax
import numpy as np
import optax

from lyric_jax.data import glove
from lyric_jax.data.batches import bucket_boundaries, steps_per_epoch
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError
from lyric_jax.models import registry
from lyric_jax.pretrain import language_model
from lyric_jax.run.rundir import CHECKPOINTS_DIR
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.checkpoint import BEST, CheckpointError, LoopCheckpointer
from lyric_jax.train.loop import FitConfig, initial_counters
from lyric_jax.train.metrics import build_objective
from lyric_jax.train.state import frozen, lr_multiplier, make_optimizer, under, variables_template

# Text models name their token embedding 'embed'; pretrained vectors and freezing target it.
EMBEDDING_PARAM = "embed/embedding"


def model_for(spec: RunSpec, preprocessor: Preprocessor) -> nn.Module:
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


def optimizer(fit: FitConfig, freeze_embedding: bool = False, steps_per_epoch: int = 1,
              pretrained: tuple[str, ...] = (), pretrained_lr_scale: float = 1.0) -> optax.GradientTransformation:
  """The optimiser of a fit config (learning rates are set per replica at init); a schedule
  spans ``fit.epochs`` epochs of ``steps_per_epoch`` steps. The params under the ``pretrained``
  prefixes learn at ``pretrained_lr_scale`` × the rate."""
  mask = frozen([EMBEDDING_PARAM]) if freeze_embedding else None
  schedule = None if fit.schedule == "constant" else lr_multiplier(fit.schedule, fit.epochs * steps_per_epoch,
                                                                    fit.warmup)
  scaled = (under(pretrained), pretrained_lr_scale) if pretrained and pretrained_lr_scale != 1 else None
  return make_optimizer(fit.optimizer, fit.clip_norm, trainable_mask=mask, weight_decay=fit.weight_decay,
                        schedule=schedule, scaled=scaled)


def optimizer_for(spec: RunSpec, train: Mapping[str, np.ndarray]) -> optax.GradientTransformation:
  """``train``: the arrays trained on each epoch (their batches set a schedule's length)."""
  boundaries = bucket_boundaries(train, spec.fit.length_buckets)
  pretrained = ()
  if spec.embedding.language_model:
    pretrained = (language_model.EMBED, language_model.encoder_shape(spec.model, spec.model_kwargs).name)
  return optimizer(spec.fit, spec.embedding.freeze, steps_per_epoch(train, spec.fit.batch_size, boundaries),
                   pretrained, spec.embedding.pretrained_lr_scale)


def pretrained_embedding(spec: RunSpec, preprocessor: Preprocessor, model: nn.Module, sample: dict,
                         data_dir: str | None) -> tuple[dict, dict | None]:
  """({param path: array} to initialise from, coverage report) for the run's embedding spec:
  the vectors' matrix, or a language model's embedding and encoder.

  Checks up front that the model has the embedding the spec freezes or fills, with the
  vectors' dimension, so a mismatch is one clear error rather than a failed init.
  """
  if not (spec.embedding.vectors or spec.embedding.freeze or spec.embedding.language_model):
    return {}, None
  shapes = jax.eval_shape(lambda: model.init(jax.random.key(0), sample, train=False))["params"]
  shape = shapes.get("embed", {}).get("embedding")
  if spec.text is None or shape is None:
    raise DataError(f"model {spec.model!r} has no '{EMBEDDING_PARAM}' parameter to freeze or initialise")
  if spec.embedding.language_model:
    encoder = language_model.encoder_shape(spec.model, spec.model_kwargs)
    weights = language_model.encoder_overrides(spec.embedding.language_model, encoder,
                                               preprocessor.tokenizer.get_vocab())
    print(f"Language model {spec.embedding.language_model}: '{language_model.EMBED}' and '{encoder.name}' start "
          f"from its weights (learning rate × {spec.embedding.pretrained_lr_scale}; embedding "
          f"{'frozen' if spec.embedding.freeze else 'trained'})")
    return weights, None
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


def fitted_constants(model: nn.Module, train: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
  """{model_state path: array} the model fits on the training arrays (e.g. the TF-IDF bag's idf);
  checkpointed with the parameters, so predict reads the training split's values."""
  fit_constants = getattr(model, "fit_constants", None)
  return fit_constants(train) if fit_constants is not None else {}


@dataclasses.dataclass(frozen=True)
class Restored:
  """A run's best parameters of every replica, ready to apply."""
  model: nn.Module
  objective: Any
  params: Any                 # leaves [P, ...]: one slice per replica
  model_state: Any            # non-parameter collections (e.g. batch_stats), [P, ...]
  best_score: np.ndarray      # [P] each replica's best validation score (its select metric)


def restore(spec: RunSpec, preprocessor: Preprocessor, run_dir: str | Path, sample_batch: dict) -> Restored:
  """The best parameters (every replica) of the run's newest checkpoint that restores; errors if none.

  ``sample_batch``: encoded inputs of the run's shapes (any number of rows).
  """
  model = model_for(spec, preprocessor)
  population = len(spec.fit.replicas)
  template = {BEST: variables_template(model, sample_batch, population), **initial_counters(population)}
  with LoopCheckpointer(Path(run_dir) / CHECKPOINTS_DIR) as checkpointer:
    restored = checkpointer.restore_latest(template)
  if restored is None:
    raise CheckpointError(f"{run_dir} has no checkpoint yet: train it first")
  loop = restored[1]
  return Restored(model, objective_for(spec, preprocessor), loop[BEST]["params"], loop[BEST]["model_state"],
                  np.asarray(loop["best_score"]))
