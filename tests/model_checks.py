"""Checks every model must pass, shared by the per-model test files."""

from __future__ import annotations

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax


def loss_and_grads(model, variables, batch, labels):
  def loss(params):
    logits = model.apply({**variables, "params": params}, batch, train=True,
                         rngs={"dropout": jax.random.PRNGKey(1)})
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


def assert_all_grads_finite_and_nonzero(model, variables, batch, labels):
  _, grads = loss_and_grads(model, variables, batch, labels)
  chex.assert_tree_all_finite(grads)
  for path, g in jax.tree_util.tree_leaves_with_path(grads):
    assert float(jnp.abs(g).max()) > 0, f"zero gradient for {jax.tree_util.keystr(path)}"


def assert_one_step_changes_every_param(model, variables, batch, labels, lr=1e-2):
  tx = optax.adam(lr)
  params = variables["params"]
  _, grads = loss_and_grads(model, variables, batch, labels)
  updates, _ = tx.update(grads, tx.init(params), params)
  new_params = optax.apply_updates(params, updates)
  for (path, old), new in zip(jax.tree_util.tree_leaves_with_path(params), jax.tree.leaves(new_params)):
    assert not np.allclose(old, new), f"parameter {jax.tree_util.keystr(path)} did not change"
