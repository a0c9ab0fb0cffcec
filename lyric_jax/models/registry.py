"""Model names → constructors, so a run's config.json is enough to rebuild its model."""

from __future__ import annotations

import importlib

import flax.linen as nn

# name → "module:Class"; imported lazily so a model's dependencies load only when used.
MODELS = {
    "text": "lyric_jax.models.bag:TextBag",
    "meta": "lyric_jax.models.mlp:FeatureMLP",
    "combined": "lyric_jax.models.bag:CombinedBag",
    "cnn": "lyric_jax.models.cnn:TextCNN",                      # S2 review-score ConvNet
    "bilstm": "lyric_jax.models.spatial_rnn:SpatialDropoutRNN",  # S2 BiLSTM + spatial dropout
}


def build(name: str, **kwargs) -> nn.Module:
  if name not in MODELS:
    raise ValueError(f"Unknown model {name!r}; available: {sorted(MODELS)}")
  module_name, class_name = MODELS[name].split(":")
  return getattr(importlib.import_module(module_name), class_name)(**kwargs)
