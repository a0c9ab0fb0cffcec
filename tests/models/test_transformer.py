"""Transformer encoder beyond the registry contract (which runs its default, mean pooling):
CLS pooling, its limits, dropout."""

import chex
import jax
import numpy as np
import pytest

from lyric_jax.models.intermediates import read_attention
from lyric_jax.models.transformer import TransformerClassifier
from tests.models.registry_fixtures import FIXTURES, LENGTHS, T, V, tokens


def _model(**kwargs):
  return TransformerClassifier(num_classes=3, vocab_size=V, **{**FIXTURES["transformer"].kwargs, **kwargs})


def test_cls_pooling_ignores_padding_and_its_attention_follows_the_contract(random_params):
  model = _model(pooling="cls")
  variables = random_params(model, tokens())
  evaluate = jax.jit(lambda b: model.apply(variables, b, train=False, mutable=["intermediates"]))
  (logits, state), (padded, padded_state) = evaluate(tokens()), evaluate(tokens(extra=5))
  chex.assert_trees_all_close(padded, logits, atol=1e-5)
  weights = np.asarray(read_attention(state, tokens()).tokens)          # [B, T]: no CLS column
  real = np.arange(T) < LENGTHS[:, None]
  assert np.all(weights[~real] == 0.0)
  np.testing.assert_allclose(weights.sum(-1), (LENGTHS > 0).astype(float), atol=1e-5)
  np.testing.assert_allclose(np.asarray(read_attention(padded_state).tokens)[:, :T], weights, atol=1e-5)


def test_dropout_follows_the_key_in_training(random_params):
  model = _model(dropout=0.5)
  variables = random_params(model, tokens())
  train = jax.jit(lambda key: model.apply(variables, tokens(), train=True, rngs={"dropout": key}))
  assert not np.allclose(train(jax.random.key(1)), train(jax.random.key(2)))


def test_limits_are_clear_errors(random_params):
  with pytest.raises(ValueError, match="max_len=4 positions"):
    random_params(_model(max_len=4), tokens())
  with pytest.raises(ValueError, match="pooling"):
    random_params(_model(pooling="max"), tokens())
