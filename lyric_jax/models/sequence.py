"""Flat-sequence classifiers: embedding -> recurrent encoder -> pooling -> logits.

MODEL CONTRACT: `__call__(batch, *, train) -> logits [B, num_classes]` with
`batch['tokens']` int32 `[B, T]` (0 = PAD) and `batch['lengths']` int32 `[B]`.
"""
from __future__ import annotations

from collections.abc import Mapping

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.attention import AttentionPool
from lyric_jax.models.intermediates import sow_attention
from lyric_jax.models.ngram_bag import CharNgramMean, NgramBag
from lyric_jax.models.pooling import length_mask, masked_max
from lyric_jax.models.recurrent import RecurrentEncoder

POOLINGS = ("last", "attention", "mean", "max")


def pool_states(module: nn.Module, pooling: str, outputs: jnp.ndarray, final: jnp.ndarray,
                lengths: jnp.ndarray, attn_size: int) -> jnp.ndarray:
  """A text vector from a recurrent encoder's ``outputs`` [B, T, H] and ``final`` states [B, H].

  'last': the final states at the true lengths; 'attention': additive attention pooling, its
  weights sown on ``module`` as the contract's token attention [B, T]; 'mean' / 'max': over
  the real positions. Called inside ``module``'s compact ``__call__`` (the attention's
  parameters are its submodule 'attention'); padding never reaches the vector.
  """
  if pooling not in POOLINGS:
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
  if pooling == "last":
    return final
  mask = length_mask(lengths, outputs.shape[1])
  if pooling == "attention":
    pooled, weights = AttentionPool(attn_size, name="attention")(outputs, mask)
    sow_attention(module, tokens=weights)
    return pooled
  if pooling == "max":
    return masked_max(outputs, mask)
  return outputs.sum(axis=1) / jnp.maximum(lengths, 1)[:, None]   # outputs are already 0 on padding


class RecurrentClassifier(nn.Module):
  """(Bi)LSTM/GRU classifier; pooling 'last' (final states), 'attention', 'mean' or 'max'.

  Every pooling reads only real positions, so padding never reaches the logits.
  'attention' sows its weights as the contract's token attention `[B, T]`.

  ``char_ngrams`` > 0 (needs ``batch['chars']``, ``batch['char_lengths']``): the mean of the
  text's hashed char 2..char_ngrams-gram vectors (``char_embed`` wide, ``char_buckets`` rows)
  joins the pooled states before the head, a subword view of the words the vocabulary cuts
  (fastText's char n-grams beside the recurrent reading; wide & deep style late fusion).

  ``bag_ngrams`` > 0: the logits of an ``NgramBag`` over the same tokens (the mean of word and
  hashed word 2..bag_ngrams-gram vectors, its own tables, ``bag_buckets`` rows) are added to the
  head's, trained jointly: a linear bag of n-grams beside the recurrent reading.
  """

  num_classes: int
  vocab_size: int
  embed: int = 100
  hidden: int = 128
  cell: str = "lstm"
  bidirectional: bool = False
  num_layers: int = 1
  dropout: float = 0.0
  pooling: str = "last"
  attn_size: int = 100
  unroll: int = 1
  impl: str = "hoisted"            # recurrent layer implementation (see recurrent.IMPLS)
  dtype: jnp.dtype = jnp.float32   # recurrent matmul compute dtype
  char_ngrams: int = 0             # > 0: + the char n-gram bag (see the class doc)
  char_buckets: int = 2 ** 18
  char_embed: int = 32
  bag_ngrams: int = 0              # > 0: + a bag of words and word 2..bag_ngrams-grams' logits (see the class doc)
  bag_buckets: int = 2 ** 18

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens, lengths = batch["tokens"], batch["lengths"]
    x = nn.Embed(self.vocab_size, self.embed, name="embed")(tokens)
    outputs, final = RecurrentEncoder(
        cell=self.cell, hidden=self.hidden, bidirectional=self.bidirectional,
        num_layers=self.num_layers, dropout=self.dropout, unroll=self.unroll,
        impl=self.impl, dtype=self.dtype,
        name="encoder")(x, lengths, train=train)
    pooled = pool_states(self, self.pooling, outputs, final, lengths, self.attn_size)
    if self.char_ngrams:
      chars = CharNgramMean(self.char_ngrams, self.char_buckets, self.char_embed, name="chars")
      pooled = jnp.concatenate([pooled, chars(batch["chars"], batch["char_lengths"])], -1)
    pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
    logits = nn.Dense(self.num_classes, name="head")(pooled)
    if not self.bag_ngrams:
      return logits
    bag = NgramBag(self.num_classes, self.vocab_size, buckets=self.bag_buckets, ngrams=self.bag_ngrams,
                   dropout=self.dropout, name="bag")
    return logits + bag({"tokens": tokens, "lengths": lengths}, train=train)
