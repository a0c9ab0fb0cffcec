"""attention.png after training: drawn from the intermediates contract, and never an error.

A model that sows something else (flax's own [B, heads, T, T] self-attention) gets no
figure; one that breaks the contract gets a one-line warning and no figure; the run's
results are written either way (experiment.write_attention_example only reads the bool).
"""

import logging

import flax.linen as nn
import jax
import jax.numpy as jnp

from lyric_jax.models import registry
from lyric_jax.models.intermediates import NAMES
from lyric_jax.report.attention import write_attention_png
from tests.models.registry_fixtures import tokens
from tests.models.test_intermediates import SelfAttentionOnly


class BrokenContract(nn.Module):
  """Sows flax's [B, heads, T, T] weights under the contract's token name."""

  @nn.compact
  def __call__(self, batch, *, train):
    b, t = batch["tokens"].shape
    self.sow("intermediates", NAMES["tokens"], jnp.ones((b, 2, t, t)))
    return nn.Dense(2)(nn.Embed(20, 4)(batch["tokens"]).mean(1))


def draw(model, tmp_path):
  batch = tokens()
  variables = model.init(jax.random.key(0), batch, train=False)
  path = tmp_path / "attention.png"
  return write_attention_png(model, variables, batch, lambda i: f"w{i}", path, "title"), path


def test_a_model_sowing_other_attention_gets_no_figure(tmp_path):
  written, path = draw(SelfAttentionOnly(), tmp_path)
  assert not written and not path.exists()


def test_a_model_breaking_the_contract_is_one_warning_not_an_error(tmp_path, caplog):
  with caplog.at_level(logging.WARNING):
    written, path = draw(BrokenContract(), tmp_path)
  assert not written and not path.exists()
  (record,) = [r for r in caplog.records if "attention.png not written" in r.getMessage()]
  assert "AttentionContractError" in record.getMessage() and "\n" not in record.getMessage()


def test_the_transformer_draws_its_token_attention(tmp_path):
  model = registry.build("transformer", num_classes=3, vocab_size=20, embed=8, heads=2, layers=1, mlp=8)
  written, path = draw(model, tmp_path)
  assert written and path.stat().st_size > 0
