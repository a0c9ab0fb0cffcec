"""Hierarchical Attention Network (Yang et al., 2016) for line-structured lyrics.

MODEL CONTRACT: `__call__(batch, *, train) -> logits [B, num_classes]` with
`batch['tokens']` int32 `[B, L, W]` (0 = PAD), `batch['word_lengths']` int32
`[B, L]` (real words per line) and `batch['lengths']` int32 `[B]` (real lines).

With ``bag_ngrams`` > 0 the HAN's logits are summed with those of a TF-IDF n-gram bag over the
song's words (``NgramBag``, the S0 bag recipe's model, trained jointly: late fusion, as
``late_fusion`` does for lyrics + features): the HAN adds what word order and line structure
know to a strong bag of words. Measured on S0's 5,966 training songs it does not help: the HAN
half memorises them first and the sum scores ~2 val points under the bag alone (RESULTS.md S0).
"""
from __future__ import annotations

import functools
from collections.abc import Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from lyric_jax.models.attention import AttentionPool
from lyric_jax.models.intermediates import sow_attention
from lyric_jax.models.ngram_bag import NgramBag, scoped
from lyric_jax.models.pooling import length_mask
from lyric_jax.models.recurrent import RecurrentEncoder

BAG = "bag"   # the n-gram bag's scope: its parameters and fitted idf live under it


@jax.jit
def song_words(tokens: jnp.ndarray, word_lengths: jnp.ndarray, lengths: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
  """[B, L, W] lines → the song's real words in reading order, flat: tokens [B, L*W] (PAD after
  the last word) and lengths [B]. Words past a line's length and lines past the song's are
  dropped whatever they hold, so a bag over them is padding-invariant like the HAN."""
  b, l, w = tokens.shape
  real = (length_mask(word_lengths, w) & length_mask(lengths, l)[..., None]).reshape(b, l * w)
  order = jnp.argsort(~real, axis=1, stable=True)       # real words first, in order
  count = real.sum(1).astype(jnp.int32)
  flat = jnp.take_along_axis(tokens.reshape(b, l * w), order, axis=1)
  return jnp.where(length_mask(count, l * w), flat, 0), count


class HAN(nn.Module):
  """Words -> (encoder + attention) -> line vectors -> (encoder + attention) -> song.

  Sows the contract's word attention `[B, L, W]` and line attention `[B, L]`
  (`intermediates.sow_attention`).
  Empty lines and empty songs pool to zero vectors, never NaN. `dropout` acts
  on line vectors, the song vector and between stacked recurrent layers.
  """

  num_classes: int
  vocab_size: int
  embed: int = 100
  word_hidden: int = 50
  line_hidden: int = 50
  attn_size: int = 100
  cell: str = "gru"
  bidirectional: bool = True
  num_layers: int = 1
  dropout: float = 0.0
  bag_ngrams: int = 0               # > 0: + a TF-IDF bag of words and word 2..bag_ngrams-grams (module doc)
  bag_buckets: int = 2 ** 19
  bag_word_dropout: float = 0.5     # the bag's word dropout (NgramBag); ``dropout`` acts on its vector

  def _bag(self, **where) -> NgramBag:
    return NgramBag(self.num_classes, self.vocab_size, buckets=self.bag_buckets, ngrams=self.bag_ngrams,
                    dropout=self.dropout, weighting="tfidf", word_dropout=self.bag_word_dropout, **where)

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens = batch["tokens"]
    word_lengths, lengths = batch["word_lengths"], batch["lengths"]
    b, l, w = tokens.shape
    encoder = functools.partial(
        RecurrentEncoder, cell=self.cell, bidirectional=self.bidirectional,
        num_layers=self.num_layers, dropout=self.dropout)
    drop = nn.Dropout(self.dropout, deterministic=not train)

    x = nn.Embed(self.vocab_size, self.embed, name="embed")(tokens)
    # All B*L lines go through the word encoder as one batch (one scan).
    words, _ = encoder(hidden=self.word_hidden, name="word_encoder")(
        x.reshape(b * l, w, self.embed), word_lengths.reshape(b * l),
        train=train)
    line_vecs, word_weights = AttentionPool(self.attn_size, name="word_attention")(
        words.reshape(b, l, w, -1), length_mask(word_lengths, w))
    lines, _ = encoder(hidden=self.line_hidden, name="line_encoder")(
        drop(line_vecs), lengths, train=train)
    song, line_weights = AttentionPool(self.attn_size, name="line_attention")(
        lines, length_mask(lengths, l))
    sow_attention(self, lines=line_weights, words=word_weights)
    logits = nn.Dense(self.num_classes, name="head")(drop(song))
    if not self.bag_ngrams:
      return logits
    words, count = song_words(tokens, word_lengths, lengths)
    return logits + self._bag(name=BAG)({"tokens": words, "lengths": count}, train=train)

  def fit_constants(self, train: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The bag's idf over the training songs' words, at its path inside this model ({} without a bag)."""
    if not self.bag_ngrams:
      return {}
    words, count = song_words(jnp.asarray(train["tokens"]), jnp.asarray(train["word_lengths"]),
                              jnp.asarray(train["lengths"]))
    return scoped(self._bag(parent=None).fit_constants({"tokens": np.asarray(words), "lengths": np.asarray(count)}), BAG)
