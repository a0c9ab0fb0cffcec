"""Lyrics + features by late fusion: an n-gram bag over the text and a residual MLP over the
features, each giving class logits, summed (a product of the two experts), trained jointly.

Study S1's combined net concatenates a small text vector and a small feature vector and
learns a head over both; on this project's splits a stack of the two classic models (lyrics
LR probabilities + features → boosting) beats it by 10+ points. Summing the logits of the two
strongest single-input nets keeps each branch whole (each is the model that measured best
on its input alone) and lets training weigh them, as the stack's second stage does.
"""

from __future__ import annotations

from typing import Mapping

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from lyric_jax.models.mlp import ResidualMLP
from lyric_jax.models.ngram_bag import NgramBag, scoped

TEXT = "text"   # the text branch's scope: its parameters and fitted constants live under it


class NgramResMLP(nn.Module):
  """``NgramBag`` (text) logits + ``ResidualMLP`` (features) logits → [B, C].

  The word table is the text branch's ``embed`` (``text/embed``); ``char_ngrams``, ``dropout``,
  ``weighting`` and ``word_dropout`` are the text branch's (see ``NgramBag``); ``feature_dropout`` is
  the MLP's (inside each block), ``numeric_embedding`` and ``sigma`` its feature embedding's (see
  ``ResidualMLP``)."""
  num_classes: int
  vocab_size: int
  embed: int = 32
  buckets: int = 2 ** 17
  ngrams: int = 2
  char_ngrams: int = 0
  dropout: float = 0.0
  width: int = 256
  blocks: int = 3
  feature_dropout: float = 0.2
  weighting: str = "mean"
  word_dropout: float = 0.0
  numeric_embedding: int = 0
  sigma: float = 0.1

  def _text_branch(self, **where) -> NgramBag:
    return NgramBag(self.num_classes, self.vocab_size, self.embed, self.buckets, self.ngrams,
                    char_ngrams=self.char_ngrams, dropout=self.dropout, weighting=self.weighting,
                    word_dropout=self.word_dropout, **where)

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    text = self._text_branch(name=TEXT)(batch, train=train)
    features = ResidualMLP(self.num_classes, self.width, self.blocks, dropout=self.feature_dropout,
                           numeric_embedding=self.numeric_embedding, sigma=self.sigma,
                           name="features")(batch, train=train)
    return text + features

  def fit_constants(self, train: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The text branch's fitted constants (its TF-IDF idf), at their paths inside this model."""
    return scoped(self._text_branch(parent=None).fit_constants(train), TEXT)
