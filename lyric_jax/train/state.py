"""Train state for a population of replicas (leading axis = replica).

A replica is one (seed, learning rate) pair. Initialising with ``jax.vmap`` gives
every leaf a leading replica axis, so one compiled step trains them all.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import flax.linen as nn
import flax.traverse_util
import jax
import jax.numpy as jnp
import optax
from flax import struct
from flax.training import train_state


class TrainState(train_state.TrainState):
  """Flax's TrainState plus non-parameter collections (e.g. batch_stats) and an RNG key."""
  model_state: Any = struct.field(default_factory=dict)
  rng: jax.Array = None


OPTIMIZERS = {"adam": optax.adam, "adamw": optax.adamw, "sgd": optax.sgd, "rmsprop": optax.rmsprop}
SCHEDULES = ("constant", "cosine")


def lr_multiplier(schedule: str = "constant", total_steps: int = 1, warmup: float = 0.0) -> optax.Schedule:
  """Step → factor on each replica's learning rate: 1, or a linear warmup over the first
  ``warmup`` fraction of ``total_steps`` then a cosine decay to 0 at ``total_steps``."""
  if schedule not in SCHEDULES:
    raise ValueError(f"Unknown schedule {schedule!r}; available: {list(SCHEDULES)}")
  if schedule == "constant":
    return optax.constant_schedule(1.0)
  warmup_steps = int(round(warmup * total_steps))
  if warmup_steps == 0:
    return optax.cosine_decay_schedule(1.0, max(total_steps, 1))
  return optax.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps, max(total_steps, warmup_steps + 1))


def make_optimizer(name: str = "adam", clip_norm: float = 0.0,
                   trainable_mask: Callable[[Any], Any] | None = None, *, weight_decay: float = 1e-4,
                   schedule: optax.Schedule | None = None,
                   scaled: tuple[Callable[[Any], Any], float] | None = None) -> optax.GradientTransformation:
  """An optimiser whose learning rate is a per-replica hyperparameter (``inject_hyperparams``).

  ``trainable_mask(params)`` → pytree of bools freezes the False leaves (e.g. GloVe embeddings).
  ``weight_decay``: adamw's decoupled decay (1e-4 is optax's default, kept for older adamw runs).
  ``schedule`` (``lr_multiplier``) scales every replica's update by the same factor per step,
  so each replica keeps its own peak learning rate.
  ``scaled`` = (mask, factor): the True leaves of ``mask(params)`` learn at ``factor`` × the rate
  (pretrained layers fine-tuned gently: ULMFiT's discriminative learning rates).
  """
  if name not in OPTIMIZERS:
    raise ValueError(f"Unknown optimizer {name!r}; available: {sorted(OPTIMIZERS)}")
  base = functools.partial(optax.adamw, weight_decay=weight_decay) if name == "adamw" else OPTIMIZERS[name]

  def chain(learning_rate):
    parts = [optax.clip_by_global_norm(clip_norm)] if clip_norm > 0 else []
    parts.append(base(learning_rate))
    if schedule is not None:
      parts.append(optax.scale_by_schedule(schedule))
    return optax.chain(*parts)

  tx = optax.inject_hyperparams(chain)(learning_rate=1e-3)
  if scaled is not None:
    mask, factor = scaled
    tx = optax.chain(tx, optax.masked(optax.scale(factor), mask))
  if trainable_mask is not None:
    tx = optax.multi_transform({True: tx, False: optax.set_to_zero()}, trainable_mask)
  return tx


def frozen(prefixes: Sequence[str]) -> Callable[[Any], Any]:
  """A ``trainable_mask`` for ``make_optimizer``: False for params under any '/'-joined prefix.

  E.g. ``frozen(['embed'])`` freezes ``params['embed']['embedding']``.
  """
  prefixes = tuple(prefixes)

  def mask(params):
    flat = flax.traverse_util.flatten_dict(params, sep="/")
    return flax.traverse_util.unflatten_dict(
        {path: not any(path == p or path.startswith(p + "/") for p in prefixes) for path in flat}, sep="/")
  return mask


def under(prefixes: Sequence[str]) -> Callable[[Any], Any]:
  """The complement of ``frozen(prefixes)``: True for params under any of the prefixes."""
  outside = frozen(prefixes)
  return lambda params: jax.tree.map(lambda x: not x, outside(params))


def override_params(params, overrides: dict[str, Any]):
  """Population params (or model_state) with named leaves ('embed/embedding') set to the same
  array in every replica.

  For pretrained weights (e.g. GloVe) and values fitted on the training split: the array has
  one replica's shape.
  """
  flat = flax.traverse_util.flatten_dict(params, sep="/")
  for path, value in overrides.items():
    if path not in flat:
      raise ValueError(f"the model has no parameter {path!r} to initialise; it has {sorted(flat)}")
    value = jnp.asarray(value, flat[path].dtype)
    if value.shape != flat[path].shape[1:]:
      raise ValueError(f"parameter {path!r} has shape {flat[path].shape[1:]}, the given array {value.shape}")
    flat[path] = jnp.broadcast_to(value, flat[path].shape)
  return flax.traverse_util.unflatten_dict(flat, sep="/")


def init_population(model: nn.Module, tx: optax.GradientTransformation, sample_batch: dict,
                    seeds: Sequence[int], learning_rates: Sequence[float]) -> TrainState:
  """One replica per (seed, lr) pair, stacked on a leading axis; seed-major order."""
  pairs = [(s, lr) for s in seeds for lr in learning_rates]
  # Raw uint32[2] keys (not jax.random.key): each replica's TrainState.rng is checkpointed as
  # one, so existing checkpoints restore; elsewhere the code uses typed jax.random.key.
  keys = jnp.stack([jax.random.PRNGKey(s) for s, _ in pairs])
  lrs = jnp.asarray([lr for _, lr in pairs], jnp.float32)
  sample = jax.tree.map(lambda x: jnp.asarray(x[:1]), sample_batch)

  def init_one(key, lr):
    init_key, dropout_key, train_key = jax.random.split(key, 3)
    variables = split_variables(model.init({"params": init_key, "dropout": dropout_key}, sample, train=False))
    state = TrainState.create(apply_fn=model.apply, tx=tx, rng=train_key, **variables)
    return state.replace(opt_state=set_learning_rate(state.opt_state, lr))

  # lax.map, not vmap: a vmapped init batches the QR of every orthogonal initialiser, and on
  # a 2-core CPU several batched QR kernels (jaxlib lapack ParallelBatchMap) running at once
  # fill XLA's thread pool and wait on each other forever (seen with LSTM(80) → LSTM(150)).
  # Each replica's values depend only on its key, so they are the same either way.
  return jax.jit(lambda k, lr: jax.lax.map(lambda args: init_one(*args), (k, lr)))(keys, lrs)


def split_variables(variables: dict) -> dict:
  """A ``model.init`` result as {'params', 'model_state': every other collection (e.g. batch_stats)}."""
  variables = dict(variables)
  return {"params": variables.pop("params"), "model_state": variables}


def variables_template(model: nn.Module, sample_batch: dict, population: int) -> dict:
  """Shapes and dtypes of a population's {'params', 'model_state'}, leaves [P, ...]: what a
  run's best parameters restore into. Traced only (jax.eval_shape): no initialiser runs."""
  sample = jax.tree.map(lambda x: jnp.asarray(x[:1]), sample_batch)
  key = jax.random.key(0)
  one = jax.eval_shape(lambda: split_variables(model.init({"params": key, "dropout": key}, sample, train=False)))
  return jax.tree.map(lambda s: jax.ShapeDtypeStruct((population, *s.shape), s.dtype), one)


def set_learning_rate(opt_state, lr):
  """Writes ``lr`` into every inject_hyperparams state inside ``opt_state``."""
  # Duck-typed: optax has renamed this state class across versions.
  def is_injected(node):
    return hasattr(node, "hyperparams") and hasattr(node, "_replace")

  def visit(node):
    if is_injected(node):
      return node._replace(hyperparams={**node.hyperparams, "learning_rate": lr})
    return node
  return jax.tree.map(visit, opt_state, is_leaf=is_injected)
