"""The model contract, checked for every entry of the registry (fixtures: registry_fixtures.py).

Each model: logits [B, num_classes], finite; padding (garbage past the lengths) never changes
the logits of a text model; in training mode every parameter gets a finite, non-zero
gradient and one Adam step changes it; it sows exactly the attention kinds its fixture
declares, with the contract's shapes, exact zeros on padding and rows summing to 1.
One jitted function per model computes all of it (one compile each).
"""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lyric_jax.models import registry
from lyric_jax.models.intermediates import read_attention
from tests.models.registry_fixtures import B, FIXTURES

NAMES = sorted(registry.MODELS)
TEXT = [n for n in NAMES if "tokens" in FIXTURES[n].batch()]
ATTENTION = [n for n in NAMES if FIXTURES[n].attention]
EXTRA = 5   # padding steps (and HAN lines/words) appended for the invariance check


def build(name: str):
  fixture = FIXTURES[name]
  vocab = {"vocab_size": 20} if "tokens" in fixture.batch() else {}
  return registry.build(name, num_classes=fixture.num_classes, **vocab, **fixture.kwargs)


@pytest.fixture(name="contract", scope="module")
def contract_fixture(random_params):
  @functools.lru_cache(maxsize=None)
  def run(name):
    fixture, model = FIXTURES[name], build(name)
    batch = fixture.batch()
    padded = fixture.batch(extra=EXTRA) if name in TEXT else None
    variables = random_params(model, batch)
    return model, batch, variables, jax.jit(functools.partial(_everything, model))(variables, batch, padded)
  return run


def _everything(model, variables, batch, padded):
  def evaluate(b):
    logits, state = model.apply(variables, b, train=False, mutable=["intermediates"])
    return logits, read_attention(state, b)

  state_cols = [c for c in variables if c != "params"]   # BatchNorm statistics update in training

  def loss(params):
    out = model.apply({**variables, "params": params}, batch, train=True, rngs={"dropout": jax.random.key(1)},
                      mutable=state_cols or False)
    logits = out[0] if state_cols else out
    weights = jnp.asarray(np.random.default_rng(0).normal(size=logits.shape), logits.dtype)
    return jnp.sum(logits * weights)   # any output size: also num_classes=1 regressors

  params = variables["params"]
  grads = jax.grad(loss)(params)
  tx = optax.adam(1e-2)
  updates, _ = tx.update(grads, tx.init(params), params)
  return {"eval": evaluate(batch), "padded": evaluate(padded) if padded is not None else None,
          "grads": grads, "stepped": optax.apply_updates(params, updates)}


def test_every_registry_entry_has_a_fixture():
  assert set(FIXTURES) == set(registry.MODELS), "add a fixture in tests/models/registry_fixtures.py"


@pytest.mark.parametrize("name", NAMES)
def test_defaults_build(name):
  """The constructor defaults (what an older config.json lacking an argument reads as) build."""
  model = registry.build(name, num_classes=3, **({"vocab_size": 20} if name in TEXT else {}))
  logits, _ = jax.eval_shape(functools.partial(model.init_with_output, train=False), jax.random.key(0),
                             FIXTURES[name].batch())
  chex.assert_shape(logits, (B, 3))


@pytest.mark.parametrize("name", NAMES)
def test_logits_shape_and_finite(contract, name):
  *_, out = contract(name)
  logits, _ = out["eval"]
  chex.assert_shape(logits, (B, FIXTURES[name].num_classes))
  chex.assert_tree_all_finite(logits)


@pytest.mark.parametrize("name", TEXT)
def test_padding_never_changes_logits(contract, name):
  *_, out = contract(name)
  chex.assert_trees_all_close(out["padded"][0], out["eval"][0], atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_finite_and_nonzero_for_every_parameter(contract, name):
  *_, out = contract(name)
  chex.assert_tree_all_finite(out["grads"])
  for path, g in jax.tree_util.tree_leaves_with_path(out["grads"]):
    assert float(jnp.abs(g).max()) > 0, f"zero gradient for {jax.tree_util.keystr(path)}"


@pytest.mark.parametrize("name", NAMES)
def test_one_optimizer_step_changes_every_parameter(contract, name):
  _, _, variables, out = contract(name)
  for (path, old), new in zip(jax.tree_util.tree_leaves_with_path(variables["params"]),
                              jax.tree.leaves(out["stepped"])):
    assert not np.allclose(old, new), f"parameter {jax.tree_util.keystr(path)} did not change"


@pytest.mark.parametrize("name", NAMES)
def test_sows_exactly_the_declared_attention(contract, name):
  *_, out = contract(name)
  _, attention = out["eval"]
  assert {k for k, v in attention._asdict().items() if v is not None} == set(FIXTURES[name].attention)


@pytest.mark.parametrize("name", ATTENTION)
def test_attention_is_zero_on_padding_sums_to_one_and_ignores_more_padding(contract, name):
  _, batch, _, out = contract(name)
  (_, attention), (_, padded) = out["eval"], out["padded"]
  for kind in FIXTURES[name].attention:
    weights, real = np.asarray(getattr(attention, kind)), _real_positions(kind, batch)
    assert np.all(weights[~real] == 0.0), kind
    np.testing.assert_allclose(weights.sum(-1), real.any(-1).astype(float), atol=1e-5, err_msg=kind)
    region = tuple(slice(0, n) for n in weights.shape)   # the unpadded batch's positions
    np.testing.assert_allclose(np.asarray(getattr(padded, kind))[region], weights, atol=1e-5, err_msg=kind)


def _real_positions(kind: str, batch: dict) -> np.ndarray:
  """Bool mask, shaped like the attention of ``kind``, of the positions holding real input."""
  if kind == "words":
    return np.arange(batch["tokens"].shape[2]) < np.asarray(batch["word_lengths"])[..., None]
  return np.arange(batch["tokens"].shape[1]) < np.asarray(batch["lengths"])[:, None]
