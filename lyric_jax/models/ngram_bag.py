"""fastText-style bag of n-grams: the mean of word and hashed word-n-gram vectors → linear.

Joulin et al. 2016 ("Bag of Tricks for Efficient Text Classification"): a linear classifier
over the averaged vectors of a text's words and its hashed word n-grams. The n-gram ids are
hashed on device from the batch's token ids, so the data pipeline is the one every flat text
model reads. With ``char_ngrams`` it also reads the text's bytes (``chars``) and adds the mean
of their hashed char n-grams (the subword half of fastText, and of a word + char TF-IDF).
"""

from __future__ import annotations

from typing import Mapping

import flax.linen as nn
import jax.numpy as jnp

from lyric_jax.models.pooling import length_mask, masked_mean


def _mix32(h: jnp.ndarray) -> jnp.ndarray:
  """MurmurHash3's 32-bit finaliser: a bijection of uint32 that spreads every input bit over
  the low bits a modulo keeps (plain multiply-add hashes collide in them)."""
  h = h ^ (h >> 16)
  h = h * jnp.uint32(0x85EBCA6B)
  h = h ^ (h >> 13)
  h = h * jnp.uint32(0xC2B2AE35)
  return h ^ (h >> 16)


def hashed_ngrams(tokens: jnp.ndarray, lengths: jnp.ndarray, order: int,
                  buckets: int) -> tuple[jnp.ndarray, jnp.ndarray]:
  """Bucket ids of every word n-gram of order 2..``order`` (>= 2), and which of them are real.

  tokens [B, T] int ids, lengths [B] → ids [B, (order - 1) * T] int32 in [0, buckets) and
  mask [B, (order - 1) * T] bool: block n - 2 holds the n-grams starting at t = 0..T-1, real
  iff t + n <= length, so no n-gram touching padding counts. An n-gram's id depends only on
  its tokens and n (uint32 arithmetic wraps, never goes negative), not on where it occurs.
  """
  b, t = tokens.shape
  padded = jnp.pad(tokens.astype(jnp.uint32), ((0, 0), (0, order - 1)))   # n-grams past T are masked
  ids, masks = [], []
  for n in range(2, order + 1):
    h = jnp.full((b, t), n, jnp.uint32)   # seeded by n: a bigram and a trigram hash apart
    for k in range(n):
      h = _mix32(h ^ padded[:, k:k + t])
    ids.append((h % jnp.uint32(buckets)).astype(jnp.int32))
    masks.append(length_mask(lengths - (n - 1), t))
  return jnp.concatenate(ids, 1), jnp.concatenate(masks, 1)


class NgramBag(nn.Module):
  """Word vectors and hashed n-gram vectors → masked mean [B, D] → dropout → dense [B, C].

  ``char_ngrams`` > 0 (needs ``batch['chars']``, ``batch['char_lengths']``): the masked mean of
  hashed char 2..char_ngrams-gram vectors from their own table joins the word mean ([B, 2D]).
  A mean of its own, so a tweet's ~500 char n-grams do not drown its ~30 words.

  Two tables rather than one of vocab + buckets rows: the word table is named ``embed``
  with the vocabulary's shape, so pretrained vectors (``--vectors``) and freezing reach it as
  in every text model, and an optimiser mask can single out the large bucket table.
  ``ngrams``: the longest n-gram (1 = a plain bag of words); all orders share the buckets, as in
  fastText.
  """
  num_classes: int
  vocab_size: int
  embed: int = 32
  buckets: int = 2 ** 19
  ngrams: int = 2
  char_ngrams: int = 0
  dropout: float = 0.0

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    tokens, lengths = batch["tokens"], batch["lengths"]
    vectors = [nn.Embed(self.vocab_size, self.embed, name="embed")(tokens)]              # [B, T, D]
    mask = [length_mask(lengths, tokens.shape[1])]
    if self.ngrams > 1:
      ngram_ids, ngram_mask = hashed_ngrams(tokens, lengths, self.ngrams, self.buckets)
      vectors.append(nn.Embed(self.buckets, self.embed, name="ngram_embed")(ngram_ids))  # [B, (n-1)T, D]
      mask.append(ngram_mask)
    pooled = masked_mean(jnp.concatenate(vectors, 1), jnp.concatenate(mask, 1))
    if self.char_ngrams:
      char_ids, char_mask = hashed_ngrams(batch["chars"], batch["char_lengths"], self.char_ngrams, self.buckets)
      char_vectors = nn.Embed(self.buckets, self.embed, name="char_embed")(char_ids)       # [B, (c-1)C, D]
      pooled = jnp.concatenate([pooled, masked_mean(char_vectors, char_mask)], -1)
    pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
    return nn.Dense(self.num_classes)(pooled)
