"""Pure train/eval steps for one replica, vmapped over the population and jitted once.

The same step serves one model (population of 1), a population of seeds/learning
rates, and data-parallel sharding (the batch argument may be sharded; see sharding).
"""

from __future__ import annotations

import collections
import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp

from lyric_jax.train.state import TrainState

# Incremented at trace time only: a test asserts each step compiles once per run.
TRACE_COUNTS: collections.Counter = collections.Counter()


def _variables(params, model_state):
  return {"params": params, **model_state}


def _population_map(step: Callable, in_axes: tuple) -> Callable:
  """``jax.vmap(step, in_axes)``, except that a population of one runs ``step`` unbatched.

  For the forward-only steps (eval, predict): the choice is made at trace time from static
  shapes. Unbatched, XLA:CPU inferred 5-25% faster on the recurrent nets (`bench.throughput`,
  population 1); the train step stays vmapped, as the GRU trained 12% slower unbatched.
  """
  batched = jax.vmap(step, in_axes=in_axes)

  def mapped(*args):
    sizes = {leaf.shape[0] for arg, axis in zip(args, in_axes) if axis == 0 for leaf in jax.tree.leaves(arg)}
    if sizes != {1}:
      return batched(*args)
    one = [jax.tree.map(lambda x: x[0], arg) if axis == 0 else arg for arg, axis in zip(args, in_axes)]
    return jax.tree.map(lambda x: x[None], step(*one))

  return mapped


# Cached on (objective, apply_fn): equal models in one process (tests, sweeps, predict)
# reuse one compiled step instead of compiling again.
@functools.lru_cache(maxsize=None)
def make_train_step(objective, donate: bool = True) -> Callable:
  """(state, stats_sum, batch) → (state, stats_sum + this batch's stats), for a population.

  ``donate`` lets XLA update the state in place (the caller must not reuse the inputs);
  ``bench.knobs`` measures it.
  """

  def train_step(state: TrainState, stats_sum: Any, batch: dict) -> tuple[TrainState, Any]:
    TRACE_COUNTS["train_step"] += 1
    dropout_key = jax.random.fold_in(state.rng, state.step)
    mutable = list(state.model_state)

    def loss_fn(params):
      out = state.apply_fn(_variables(params, state.model_state), batch, train=True,
                           rngs={"dropout": dropout_key}, mutable=mutable or False)
      outputs, new_model_state = out if mutable else (out, {})
      return objective.loss(outputs, batch), (outputs, new_model_state)

    (_, (outputs, new_model_state)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    state = state.apply_gradients(grads=grads, model_state=dict(new_model_state))
    stats = objective.stats(jax.lax.stop_gradient(outputs), batch)
    return state, jax.tree.map(jnp.add, stats_sum, stats)

  return jax.jit(jax.vmap(train_step, in_axes=(0, 0, None)), donate_argnums=(0, 1) if donate else ())


@functools.lru_cache(maxsize=None)
def make_eval_step(objective, apply_fn) -> Callable:
  """(params, model_state, stats_sum, batch) → stats_sum + stats, for a population."""

  def eval_step(params, model_state, stats_sum, batch):
    TRACE_COUNTS["eval_step"] += 1
    outputs = apply_fn(_variables(params, model_state), batch, train=False)
    return jax.tree.map(jnp.add, stats_sum, objective.stats(outputs, batch))

  return jax.jit(_population_map(eval_step, (0, 0, 0, None)), donate_argnums=(2,))


@functools.lru_cache(maxsize=None)
def make_predict_step(objective, apply_fn) -> Callable:
  """(params, model_state, batch) → objective outputs per replica, e.g. probabilities [P, B, C]."""

  def predict_step(params, model_state, batch):
    TRACE_COUNTS["predict_step"] += 1
    return objective.outputs(apply_fn(_variables(params, model_state), batch, train=False))

  return jax.jit(_population_map(predict_step, (0, 0, None)))


def zero_stats(objective, apply_fn, params, model_state, batch):
  """Zeros shaped like one replica's stats, stacked for the population (for accumulation)."""
  def one(p, m):
    return objective.stats(apply_fn(_variables(p, m), batch, train=False), batch)
  shapes = jax.eval_shape(jax.vmap(one), params, model_state)
  return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
