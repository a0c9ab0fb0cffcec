"""The intermediates reader: the contract's names and shapes only, whatever else a model sows."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models.intermediates import NAMES, Attention, AttentionContractError, read_attention, sow_attention

B, T, HEADS = 2, 5, 3
BATCH = {"tokens": jnp.ones((B, T), jnp.int32), "lengths": jnp.full((B,), T)}


class SelfAttentionOnly(nn.Module):
  """Sows flax's own attention_weights [B, heads, T, T], nothing of the contract."""

  @nn.compact
  def __call__(self, batch, *, train):
    x = nn.Embed(10, 6)(batch["tokens"])
    x = nn.MultiHeadDotProductAttention(HEADS)(x, deterministic=not train, sow_weights=True)
    return nn.Dense(2)(x.mean(1))


def sown(model, batch=BATCH):
  variables = model.init(jax.random.key(0), batch, train=False)
  return model.apply(variables, batch, train=False, mutable=["intermediates"])[1]


def test_other_intermediates_are_ignored():
  state = sown(SelfAttentionOnly())
  assert jax.tree.leaves(state["intermediates"])[0].shape == (B, HEADS, T, T)   # flax's own, present
  assert read_attention(state, BATCH) == Attention() and not read_attention(state).sown
  assert read_attention({}) == Attention()


def test_contract_names_with_wrong_shapes_are_refused():
  four_d = jnp.ones((B, HEADS, T, T))
  with pytest.raises(AttentionContractError, match=r"attention_over_tokens must be \[B, T\]"):
    read_attention({"intermediates": {NAMES["tokens"]: (four_d,)}})
  with pytest.raises(AttentionContractError, match="the batch's tokens"):    # e.g. a CLS column left in
    read_attention({"intermediates": {NAMES["tokens"]: (jnp.ones((B, T + 1)),)}}, BATCH)
  with pytest.raises(AttentionContractError, match="together"):
    read_attention({"intermediates": {NAMES["lines"]: (jnp.ones((B, 3)),)}})


def test_sow_attention_checks_shapes_where_the_model_sows():
  class Sows(nn.Module):
    weights: tuple

    @nn.compact
    def __call__(self, batch, *, train):
      sow_attention(self, tokens=jnp.ones(self.weights))
      return batch["tokens"]

  state = sown(Sows((B, T)))
  np.testing.assert_array_equal(read_attention(state, BATCH).tokens, np.ones((B, T)))
  with pytest.raises(AttentionContractError):
    sown(Sows((B, HEADS, T, T)))


def test_the_reader_runs_under_jit_and_vmap():
  """explain reads the attention of every replica inside one jit(vmap(...))."""
  state = {"intermediates": {NAMES["tokens"]: (jnp.ones((4, B, T)),)}}   # 4 replicas
  read = jax.jit(jax.vmap(lambda s: read_attention(s, BATCH).tokens))
  assert read(state).shape == (4, B, T)
