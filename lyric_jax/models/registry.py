"""Model names → constructors, so a run's config.json is enough to rebuild its model."""

from __future__ import annotations

import dataclasses
import importlib
import json

import flax.linen as nn

# name → "module:Class"; imported lazily so a model's dependencies load only when used.
MODELS = {
    "text": "lyric_jax.models.bag:TextBag",
    "meta": "lyric_jax.models.mlp:FeatureMLP",
    "combined": "lyric_jax.models.bag:CombinedBag",
    # S4: audio features → genre
    "softmax": "lyric_jax.models.tabular:SoftmaxRegression",
    "mlp": "lyric_jax.models.mlp:FeatureMLP",
    "mlp_dropout": "lyric_jax.models.mlp:FeatureMLP",
    "dense_lstm": "lyric_jax.models.tabular:DenseLSTM",
    "lstm_lstm": "lyric_jax.models.tabular:LSTMStack",
    "resmlp": "lyric_jax.models.mlp:ResidualMLP",                # ours: a residual MLP (issue 18)
    "ngram_resmlp": "lyric_jax.models.late_fusion:NgramResMLP",  # ours: S1 lyrics + features, late fusion
    # Study S0: flat (Bi)LSTM/GRU over [B, T] tokens, and the HAN over [B, L, W] lines.
    "rnn": "lyric_jax.models.sequence:RecurrentClassifier",
    "han": "lyric_jax.models.han:HAN",
    # Study S3: the same class run as embedding → LSTM → attention pooling → dense.
    "attn_lstm": "lyric_jax.models.sequence:RecurrentClassifier",
    "ffnn": "lyric_jax.models.bag:EmbeddingBagMLP",
    "ngram_bag": "lyric_jax.models.ngram_bag:NgramBag",           # fastText-style, S3 and S2
    "cnn": "lyric_jax.models.cnn:TextCNN",                      # S2 review-score ConvNet
    "bilstm": "lyric_jax.models.spatial_rnn:SpatialDropoutRNN",  # S2 BiLSTM + spatial dropout
    "transformer": "lyric_jax.models.transformer:TransformerClassifier",
}

# Models that read line-structured input (TextSpec.layout='lines'); the rest read flat tokens.
HIERARCHICAL = frozenset({"han"})


def model_class(name: str) -> type[nn.Module]:
  if name not in MODELS:
    raise ValueError(f"Unknown model {name!r}; available: {sorted(MODELS)}")
  module_name, class_name = MODELS[name].split(":")
  return getattr(importlib.import_module(module_name), class_name)


def build(name: str, **kwargs) -> nn.Module:
  return model_class(name)(**kwargs)


def default_kwargs(name: str) -> dict:
  """The model's constructor defaults, as config.json stores them (tuples as lists)."""
  return {f.name: json.loads(json.dumps(f.default, default=str)) for f in dataclasses.fields(model_class(name))
          if f.default is not dataclasses.MISSING}
