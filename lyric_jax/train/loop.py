"""The epoch loop: train a population, validate every epoch, keep each replica's best.

``fit`` is the one training entry point for every model and study. Replicas are
(seed, learning-rate) pairs trained in one vmapped step on the same batches; each
replica keeps its own best-by-validation parameters and early-stopping counter.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm import tqdm

from lyric_jax.data.batches import (SAMPLE_WEIGHT, bucket_boundaries, epoch_order, iterate_batches, num_rows,
                                    steps_per_epoch)
from lyric_jax.data.errors import require
from lyric_jax.run.rundir import CHECKPOINTS_DIR, METRICS_FILE, write_text_atomic
from lyric_jax.train import steps
from lyric_jax.train.checkpoint import (BEST, MIN_FREE_MB, TRAIN_STATE, LoopCheckpointer, check_run_dir, state_bytes,
                                       writing)
from lyric_jax.train.interrupts import deferred_interrupts
from lyric_jax.train.metrics import summarize
from lyric_jax.train.sharding import Placement, inference_placement, is_primary, to_host, to_local
from lyric_jax.train.state import OPTIMIZERS, SCHEDULES, TrainState, init_population, override_params


class TrainingError(RuntimeError):
  """Training cannot go on (e.g. a non-finite loss); the last good checkpoint is kept."""


@dataclasses.dataclass(frozen=True)
class FitConfig:
  epochs: int = 10
  batch_size: int = 32
  eval_batch_size: int = 256
  seeds: tuple[int, ...] = (0,)
  learning_rates: tuple[float, ...] = (1e-3,)
  optimizer: str = "adam"
  clip_norm: float = 0.0
  weight_decay: float = 1e-4  # adamw only (optax's default)
  schedule: str = "constant"  # learning-rate multiplier per step: 'constant' | 'cosine' (train.state.lr_multiplier)
  warmup: float = 0.0         # cosine: fraction of all steps warmed up linearly from 0
  patience: int = 0          # epochs without validation improvement before a replica stops; 0 = never
  length_buckets: int = 1    # batches of similar-length rows, cut to their bucket's length (data/batches.py)
  data_seed: int = 0         # batch order: shared by all replicas, so a population equals separate runs
  devices: int = 0           # devices to spread training over; 0 = all visible
  shard: str = "data"        # 'data' (split batches) | 'population' (split replicas); see sharding.py
  progress: bool = True

  def __post_init__(self):
    for name in ("epochs", "batch_size", "eval_batch_size"):
      require(getattr(self, name) >= 1, f"{name} must be at least 1, got {getattr(self, name)}")
    require(len(self.seeds) >= 1, "num_seeds must be at least 1: a population needs a replica")
    require(len(self.learning_rates) >= 1, "give at least one learning rate (--lr)")
    require(all(np.isfinite(lr) and lr > 0 for lr in self.learning_rates),
            f"learning rates must be positive, got {list(self.learning_rates)}")
    require(self.optimizer in OPTIMIZERS, f"unknown optimizer {self.optimizer!r}; available: {sorted(OPTIMIZERS)}")
    require(self.clip_norm >= 0, f"clip_norm must be ≥ 0 (0 = off), got {self.clip_norm}")
    require(self.weight_decay >= 0, f"weight_decay must be ≥ 0, got {self.weight_decay}")
    require(self.schedule in SCHEDULES, f"unknown schedule {self.schedule!r}; available: {list(SCHEDULES)}")
    require(0 <= self.warmup < 1, f"warmup is a fraction of the steps in [0, 1), got {self.warmup}")
    require(self.patience >= 0, f"patience must be ≥ 0 (0 = never stop early), got {self.patience}")
    require(self.length_buckets >= 1, f"length_buckets must be at least 1 (1 = off), got {self.length_buckets}")
    require(self.devices >= 0, f"devices must be ≥ 0 (0 = all), got {self.devices}")

  @property
  def replicas(self) -> list[dict]:
    return [{"seed": s, "lr": lr} for s in self.seeds for lr in self.learning_rates]


@dataclasses.dataclass
class FitResult:
  state: TrainState
  best: dict                       # {'params', 'model_state'} with a leading replica axis
  best_epoch: np.ndarray           # [P], 1-based epoch of each replica's best validation score
  diverged_epoch: np.ndarray       # [P], epoch whose training loss went non-finite (0 = never)
  history: list[dict]              # one record per epoch (lists over replicas)
  test: list[dict] | None          # per-replica summaries of the best parameters on the test split
  val: list[dict]                  # per-replica summaries of the best parameters on validation
  train_examples_per_second: float


def fit(model, objective, data: Mapping[str, Mapping[str, np.ndarray]], cfg: FitConfig,
        run_dir: str | Path, *, tx: optax.GradientTransformation, param_overrides: Mapping[str, Any] | None = None,
        state_overrides: Mapping[str, Any] | None = None, min_free_mb: float = MIN_FREE_MB) -> FitResult:
  """Trains on data['train'], selects on data['val'], reports data['test'] (if present).

  ``tx``: the run's optimiser (``run.build.optimizer``; learning rates are set per replica).

  ``param_overrides`` ('embed/embedding' → array) replaces freshly initialised
  parameters in every replica (pretrained vectors), ``state_overrides`` ('constants/word_idf' →
  array) non-parameter variables (values fitted on the training split); a resumed run restores
  both instead.
  Before the first step, ``run_dir``'s disk must hold ``min_free_mb`` MiB plus a checkpoint.
  """
  run_dir = Path(run_dir)
  sample = next(iterate_batches(data["train"], cfg.batch_size))
  loop = initial_loop_state(model, sample, cfg, tx, param_overrides, state_overrides)
  check_run_dir(run_dir, min_free_mb, checkpoint_bytes=state_bytes(loop))
  population = len(cfg.replicas)
  with deferred_interrupts() as interrupts, LoopCheckpointer(run_dir / CHECKPOINTS_DIR) as checkpointer:
    restored = checkpointer.restore_latest(loop)
    start_epoch = 0
    if restored is not None:
      start_epoch, loop = restored
      if start_epoch > cfg.epochs:
        raise TrainingError(
            f"{run_dir} has already trained {start_epoch} epochs, more than --epochs={cfg.epochs}: rerun with "
            f"--epochs={start_epoch} (or more) for that model, or --overwrite to train {cfg.epochs} from scratch.")
      print(f"Resumed from epoch {start_epoch} of {cfg.epochs} ({checkpointer.directory}).")
    history = _read_history(run_dir / METRICS_FILE, upto_epoch=start_epoch)
    placement = Placement(cfg.devices, cfg.shard, batch_sizes=(cfg.batch_size, cfg.eval_batch_size),
                          population=population)
    loop = {**loop, TRAIN_STATE: placement.state(loop[TRAIN_STATE]), BEST: placement.state(loop[BEST])}

    train_step = steps.make_train_step(objective)
    boundaries = bucket_boundaries(data["train"], cfg.length_buckets)
    epoch_steps = steps_per_epoch(data["train"], cfg.batch_size, boundaries)   # the same every epoch
    evaluator = Evaluator(objective, model.apply, data, cfg.eval_batch_size, sample, placement, boundaries)
    for epoch in range(start_epoch, cfg.epochs):
      if cfg.patience and ((loop["bad_epochs"] >= cfg.patience) | (loop["diverged_epoch"] > 0)).all():
        break
      state = loop[TRAIN_STATE]
      stats = placement.state(steps.zero_stats(objective, model.apply, state.params, state.model_state, sample))
      order = epoch_order(num_rows(data["train"]), cfg.data_seed, epoch)
      start = time.perf_counter()
      for batch in tqdm(iterate_batches(data["train"], cfg.batch_size, order=order, boundaries=boundaries),
                        total=epoch_steps,
                        desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not cfg.progress, leave=False):
        state, stats = train_step(state, stats, placement.batch(batch))
        interrupts.raise_if_pending()
      stats = to_host(stats)
      seconds = time.perf_counter() - start
      train_summary = [summarize(objective, _replica(stats, i)) for i in range(population)]
      diverged = _check_divergence(train_summary, loop, epoch, cfg, checkpointer.directory)
      val_summary = evaluator.summaries("val", state.params, state.model_state)
      score = np.array([s[objective.select_metric] for s in val_summary], np.float32)
      # A diverged replica's accuracy stays finite (argmax of NaN logits), so it is excluded here.
      improved = (score > loop["best_score"]) & (diverged == 0)
      loop = {
          TRAIN_STATE: state,
          BEST: _select(improved, {"params": state.params, "model_state": state.model_state}, loop[BEST]),
          "best_score": np.where(improved, score, loop["best_score"]),
          "best_epoch": np.where(improved, epoch + 1, loop["best_epoch"]).astype(np.int32),
          "bad_epochs": np.where(improved, 0, loop["bad_epochs"] + 1).astype(np.int32),
          "diverged_epoch": diverged,
      }
      record = {"epoch": epoch + 1, "seconds": seconds, "train_examples_per_second": len(order) / seconds,
                "replicas": cfg.replicas, "train": train_summary, "val": val_summary}
      history.append(record)
      if is_primary():
        with writing(run_dir, METRICS_FILE), open(run_dir / METRICS_FILE, "a") as f:
          f.write(json.dumps(record) + "\n")
      checkpointer.save(epoch + 1, loop)
      interrupts.raise_if_pending()   # after the save: closing the checkpointer lets it finish
      if cfg.progress:
        print(f"epoch {epoch + 1}: train {objective.select_metric} "
              f"{_fmt([s[objective.select_metric] for s in train_summary])}, val {_fmt(score)}")

  best = loop[BEST]
  return FitResult(
      state=to_local(loop[TRAIN_STATE]), best=to_local(best), best_epoch=np.asarray(loop["best_epoch"]),
      diverged_epoch=np.asarray(loop["diverged_epoch"]), history=history,
      val=evaluator.summaries("val", best["params"], best["model_state"]),
      test=evaluator.summaries("test", best["params"], best["model_state"]) if "test" in data else None,
      # Over every epoch of the run, so a resumed (or already finished) run reports its real speed.
      train_examples_per_second=float(np.mean([r["train_examples_per_second"] for r in history]))
      if history else float("nan"))


def initial_loop_state(model, sample_batch: dict, cfg: FitConfig, tx: optax.GradientTransformation,
                       param_overrides: Mapping[str, Any] | None = None,
                       state_overrides: Mapping[str, Any] | None = None) -> dict:
  """Everything the loop checkpoints, freshly initialised (also the template to restore into)."""
  state = init_population(model, tx, sample_batch, cfg.seeds, cfg.learning_rates)
  if param_overrides:
    state = state.replace(params=override_params(state.params, dict(param_overrides)))
  if state_overrides:
    state = state.replace(model_state=override_params(state.model_state, dict(state_overrides)))
  return {
      TRAIN_STATE: state,
      # A copy: the train step donates (frees) the state's buffers.
      BEST: jax.tree.map(jnp.copy, {"params": state.params, "model_state": state.model_state}),
      **initial_counters(len(cfg.replicas)),
  }


def initial_counters(population: int) -> dict[str, np.ndarray]:
  """The loop state's per-replica counters, [P] each, before the first epoch."""
  return {
      "best_score": np.full(population, -np.inf, np.float32),
      "best_epoch": np.zeros(population, np.int32),
      "bad_epochs": np.zeros(population, np.int32),
      "diverged_epoch": np.zeros(population, np.int32),
  }


def _check_divergence(train_summary: list[dict], loop: dict, epoch: int, cfg: FitConfig,
                      checkpoints: Path) -> np.ndarray:
  """Each replica's divergence epoch after this one. A replica whose loss went non-finite stops
  improving and keeps its best parameters, and the rest of the population trains on; when
  none is left, training stops with the last good checkpoint kept."""
  diverged = np.asarray(loop["diverged_epoch"]).copy()
  new = [i for i, s in enumerate(train_summary) if not np.isfinite(s["loss"]) and diverged[i] == 0]
  diverged[new] = epoch + 1
  if new and (diverged > 0).all():
    kept = (f"the last good checkpoint (epoch {epoch}) is kept in {checkpoints}" if epoch
            else "no checkpoint was written (the first epoch)")
    raise TrainingError(f"Non-finite training loss in epoch {epoch + 1} for every replica "
                        f"(last: {', '.join(f'#{i} {cfg.replicas[i]}' for i in new)}); {kept}. "
                        "Lower the learning rate or set --clip_norm.")
  for i in new:
    best = int(loop["best_epoch"][i])
    print(f"Replica #{i} {cfg.replicas[i]} diverged in epoch {epoch + 1} (non-finite training loss): it stops "
          f"and keeps {'its best parameters, of epoch %d' % best if best else 'its initial parameters'}; "
          "the other replicas train on.")
  return diverged


class Evaluator:
  """Evaluates a population on a named split with one compiled step."""

  def __init__(self, objective, apply_fn, data, batch_size: int, sample_batch, placement: Placement,
               boundaries: tuple[int, ...] = ()):
    self.objective, self.apply_fn, self.data, self.batch_size = objective, apply_fn, data, batch_size
    self.placement, self.boundaries = placement, boundaries
    self.sample = sample_batch   # stats are sums, so their shapes do not depend on batch size
    self.step = steps.make_eval_step(objective, apply_fn)

  def summaries(self, split: str, params, model_state) -> list[dict]:
    stats = self.placement.state(
        steps.zero_stats(self.objective, self.apply_fn, params, model_state, self.sample))
    for batch in iterate_batches(self.data[split], self.batch_size, boundaries=self.boundaries):
      stats = self.step(params, model_state, stats, self.placement.batch(batch))
    stats = to_host(stats)
    population = jax.tree.leaves(params)[0].shape[0]
    return [summarize(self.objective, _replica(stats, i)) for i in range(population)]


def predict_outputs(objective, apply_fn, params, model_state, arrays: Mapping[str, np.ndarray],
                    batch_size: int, devices: int = 0) -> dict[str, np.ndarray]:
  """The objective's outputs for every row and replica: name → [P, N, ...] (padding rows dropped).

  Each batch is split over ``devices`` (0: all of this process's, when they divide ``batch_size``).
  """
  step = steps.make_predict_step(objective, apply_fn)
  placement = inference_placement(batch_size, jax.tree.leaves(params)[0].shape[0], devices)
  params, model_state = placement.state(params), placement.state(model_state)
  inputs = {k: v for k, v in arrays.items() if k not in ("label", SAMPLE_WEIGHT)}
  parts = [jax.device_get(step(params, model_state, placement.batch(batch)))
           for batch in iterate_batches(inputs, batch_size)]
  n = num_rows(arrays)
  return {name: np.concatenate([p[name] for p in parts], axis=1)[:, :n] for name in parts[0]}


def _select(mask: np.ndarray, new: Any, old: Any) -> Any:
  """Per replica: leaves of ``new`` where mask is true, else of ``old``."""
  mask = jnp.asarray(mask)
  return jax.tree.map(lambda n, o: jnp.where(mask.reshape((-1,) + (1,) * (n.ndim - 1)), n, o), new, old)


def _replica(tree: Any, i: int) -> Any:
  return jax.tree.map(lambda x: x[i], tree)


def _read_history(path: Path, upto_epoch: int) -> list[dict]:
  """Epoch records already written, truncated to the checkpoint being resumed from.

  A line cut short (a kill or a full disk while writing it) belongs to an epoch that never
  got its checkpoint, which is trained again: it is left out like the later records.
  """
  if not path.exists():
    return []
  records = []
  for line in path.read_text().splitlines():
    try:
      records.append(json.loads(line))
    except ValueError:
      continue
  records = [r for r in records if r["epoch"] <= upto_epoch]
  if is_primary():   # atomic: the other processes of a --distributed run read it meanwhile
    write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in records))
  return records


def _fmt(values) -> str:
  values = np.asarray(values, float)
  return f"{values.mean():.4f} ± {values.std():.4f}" if len(values) > 1 else f"{values[0]:.4f}"
