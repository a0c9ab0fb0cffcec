"""Jitted applies shared by the per-model test files (the checks every model must pass are
tests/models/test_registry_contract.py)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import optax


def loss_and_grads(model, variables, batch, labels):
  def loss(params):
    logits = model.apply({**variables, "params": params}, batch, train=True,
                         rngs={"dropout": jax.random.key(1)})
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
  return jax.value_and_grad(loss)(variables["params"])


@functools.partial(jax.jit, static_argnums=0)
def apply_with_intermediates(model, params, batch):
  """Eval-mode logits and the sown intermediates (attention weights ...), jitted per model."""
  return model.apply(params, batch, train=False, mutable=["intermediates"])


def eval_logits_and_grads(model, params, batch):
  """Eval-mode logits and the gradient of a fixed log-likelihood, jitted once."""
  def loss(params):
    logits = model.apply(params, batch, train=False)
    return jnp.sum(jax.nn.log_softmax(logits)[:, 0]), logits

  (_, logits), grads = jax.jit(jax.value_and_grad(loss, has_aux=True))(params)
  return logits, grads
