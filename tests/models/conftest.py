"""Shared helpers for model tests."""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _random_params(model, *args, seed=0, **kwargs):
  """Variables shaped like `model.init(key, *args, train=False)`: params drawn N(0, 0.5²),
  other collections (BatchNorm statistics) 1, a valid running variance.

  Only traces init (jax.eval_shape): compiling flax's orthogonal init
  dominates CPU test time. Non-zero biases also let the NumPy cell reference
  check bias handling, which zero-initialised biases would hide.
  """
  shapes = jax.eval_shape(
      functools.partial(model.init, train=False, **kwargs), jax.random.key(0),
      *args)
  rng = np.random.default_rng(seed)
  draw = lambda s: jnp.asarray(rng.normal(size=s.shape) * 0.5, s.dtype)   # noqa: E731
  return {col: jax.tree.map(draw if col == "params" else (lambda s: jnp.ones(s.shape, s.dtype)), tree)
          for col, tree in shapes.items()}


@pytest.fixture(name="random_params", scope="session")
def random_params_fixture():
  return _random_params
