"""fastText-style bag of n-grams: the mean of word and hashed word-n-gram vectors → linear.

Joulin et al. 2016 ("Bag of Tricks for Efficient Text Classification"): a linear classifier
over the averaged vectors of a text's words and its hashed word n-grams. The n-gram ids are
hashed on device from the batch's token ids, so the data pipeline is the one every flat text
model reads. With ``char_ngrams`` it also reads the text's bytes (``chars``) and adds the mean
of their hashed char n-grams (the subword half of fastText, and of a word + char TF-IDF).

``weighting='tfidf'`` pools as the classic baseline's TfidfVectorizer weighs: each distinct
word or n-gram by (1 + log tf) · idf, the text's vector L2-normalised, idf fitted on the
training split (``fit_constants``; buckets seen in fewer than ``MIN_DF`` training texts get
0, as ``min_df=2`` drops them). On the project's S0 split, logistic regression on these
features beats the same model on mean-pooled counts (the fastText pooling) by ~5 points.
"""

from __future__ import annotations

import functools
from typing import Mapping

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from lyric_jax.models.pooling import length_mask, masked_mean

WEIGHTINGS = ("mean", "tfidf")
CONSTANTS = "constants"   # the model_state collection of values fitted on the training split
MIN_DF = 2                # sklearn's min_df of the classic baseline
DF_CHUNK = 512            # training rows per document-frequency step


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


def term_counts(ids: jnp.ndarray, mask: jnp.ndarray) -> jnp.ndarray:
  """[B, N] ids and mask → [B, N] int32: how often each real position's id occurs among its
  row's real positions (0 at padding). Sort + binary search, not an [N, N] comparison: a whole
  IMDB review has ~5,600 word and bigram positions."""
  keyed = jnp.where(mask, ids, -1)                # ids are >= 0: padding sorts first, apart
  ordered = jnp.sort(keyed, axis=-1)
  count = jax.vmap(lambda row, q: jnp.searchsorted(row, q, side="right") - jnp.searchsorted(row, q, side="left"))
  return jnp.where(mask, count(ordered, keyed), 0).astype(jnp.int32)


def sublinear_tfidf(ids: jnp.ndarray, mask: jnp.ndarray, idf: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
  """Per-position weights [B, N] whose sum over an id's positions is (1 + log tf) · idf[id],
  and each row's squared norm of that TF-IDF vector [B] (over distinct ids)."""
  tf = jnp.maximum(term_counts(ids, mask), 1).astype(jnp.float32)
  weight = jnp.where(mask, (1.0 + jnp.log(tf)) / tf * idf[ids], 0.0)
  return weight, (weight * weight * tf).sum(-1)


@functools.partial(jax.jit, static_argnums=2)
def _document_counts(ids: jnp.ndarray, mask: jnp.ndarray, size: int) -> jnp.ndarray:
  """[size] float: how many rows hold each id (each position adds 1/tf, so a row adds 1 per id)."""
  share = jnp.where(mask, 1.0 / jnp.maximum(term_counts(ids, mask), 1), 0.0)
  return jnp.zeros(size, jnp.float32).at[ids].add(share)


def smooth_idf(document_counts: np.ndarray, num_docs: int) -> np.ndarray:
  """sklearn's smooth idf, log((1 + n) / (1 + df)) + 1; 0 below ``MIN_DF`` documents."""
  df = np.rint(document_counts)
  return np.where(df >= MIN_DF, np.log((1 + num_docs) / (1 + df)) + 1, 0.0).astype(np.float32)


def scoped(constants: Mapping[str, np.ndarray], scope: str) -> dict[str, np.ndarray]:
  """A submodule's fitted constants ('constants/<name>') at its path inside its parent ('constants/<scope>/<name>')."""
  return {path.replace(f"{CONSTANTS}/", f"{CONSTANTS}/{scope}/", 1): value for path, value in constants.items()}


def _uniform(scale: float):
  """fastText's input-vector init, U(-scale, scale) with scale 1/dim. The TF-IDF sum is L2-normalised,
  so with the default init (unit-norm rows) a text's random start would be as long as what it
  learns, and a rare n-gram keeps its random part: small rows start it near the baseline's zero."""
  return lambda key, shape, dtype=jnp.float32: jax.random.uniform(key, shape, dtype, -scale, scale)


class NgramBag(nn.Module):
  """Word vectors and hashed n-gram vectors → masked mean (or TF-IDF sum) [B, D] → dropout → dense [B, C].

  ``char_ngrams`` > 0 (needs ``batch['chars']``, ``batch['char_lengths']``): the masked mean of
  hashed char 2..char_ngrams-gram vectors from their own table joins the word mean ([B, 2D]).
  A mean of its own, so a tweet's ~500 char n-grams do not drown its ~30 words.

  Two tables rather than one of vocab + buckets rows: the word table is named ``embed``
  with the vocabulary's shape, so pretrained vectors (``--vectors``) and freezing reach it as
  in every text model, and an optimiser mask can single out the large bucket table.
  ``ngrams``: the longest n-gram (1 = a plain bag of words); all orders share the buckets, as in
  fastText. ``weighting``: 'mean' (fastText) or 'tfidf' (see the module doc; words and word
  n-grams normalised together, char n-grams apart, as the baseline's two vectorizers).
  """
  num_classes: int
  vocab_size: int
  embed: int = 32
  buckets: int = 2 ** 19
  ngrams: int = 2
  char_ngrams: int = 0
  dropout: float = 0.0
  weighting: str = "mean"
  word_dropout: float = 0.0     # training: each word, n-gram and char n-gram position dropped with this probability

  def __post_init__(self):
    if self.weighting not in WEIGHTINGS:
      raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
    if not 0 <= self.word_dropout < 1:
      raise ValueError(f"word_dropout must be in [0, 1), got {self.word_dropout}")
    super().__post_init__()

  @nn.compact
  def __call__(self, batch: Mapping[str, jnp.ndarray], *, train: bool) -> jnp.ndarray:
    pooled = self._pool(self._id_groups(batch["tokens"], batch["lengths"], "word"), train)
    if self.char_ngrams:
      char_pooled = self._pool(self._id_groups(batch["chars"], batch["char_lengths"], "char"), train)
      pooled = jnp.concatenate([pooled, char_pooled], -1)
    pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
    return nn.Dense(self.num_classes)(pooled)

  def _id_groups(self, tokens, lengths, kind: str) -> list[tuple[str, str, int, jnp.ndarray, jnp.ndarray]]:
    """(idf name, table name, table rows, ids [B, N], mask [B, N]) of the words and their hashed
    n-grams (``kind='word'``), or of the hashed char n-grams alone (``kind='char'``)."""
    if kind == "char":
      return [("char_ngram", "char_embed", self.buckets, *hashed_ngrams(tokens, lengths, self.char_ngrams,
                                                                        self.buckets))]
    groups = [("word", "embed", self.vocab_size, tokens, length_mask(lengths, tokens.shape[1]))]
    if self.ngrams > 1:
      groups.append(("word_ngram", "ngram_embed", self.buckets,
                     *hashed_ngrams(tokens, lengths, self.ngrams, self.buckets)))
    return groups

  def _pool(self, groups: list[tuple], train: bool) -> jnp.ndarray:
    """One [B, D] vector of the groups' vectors, weighted as ``weighting`` says."""
    init = {"embedding_init": _uniform(1.0 / self.embed)} if self.weighting == "tfidf" else {}
    vectors = [nn.Embed(size, self.embed, name=table, **init)(ids) for _, table, size, ids, _ in groups]  # [B, N, D]
    masks = [self._kept(mask, train) for *_, mask in groups]
    if self.weighting == "mean":
      return masked_mean(jnp.concatenate(vectors, 1), jnp.concatenate(masks, 1))
    total, squared_norm = 0.0, 0.0
    for (name, _, size, ids, _), mask, vector in zip(groups, masks, vectors):
      idf = self.variable(CONSTANTS, f"{name}_idf", jnp.ones, (size,), jnp.float32).value
      weight, squared = sublinear_tfidf(ids, mask, idf)
      total = total + jnp.einsum("bn,bnd->bd", weight, vector)
      squared_norm = squared_norm + squared
    return total / jnp.sqrt(jnp.maximum(squared_norm, 1e-12))[:, None]   # an empty text gives zeros

  def _kept(self, mask: jnp.ndarray, train: bool) -> jnp.ndarray:
    """Word dropout (Iyyer et al. 2015's, for bags): in training a random part of the text's units
    is left out, so no single rare n-gram can carry a training text (tf-idf then counts the rest)."""
    if not train or not self.word_dropout:
      return mask
    return mask & jax.random.bernoulli(self.make_rng("dropout"), 1.0 - self.word_dropout, mask.shape)

  def fit_constants(self, train: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """{'constants/<group>_idf': idf} fitted on the training arrays for ``weighting='tfidf'``, else {}."""
    if self.weighting != "tfidf":
      return {}
    kinds = [("word", "tokens", "lengths")] + ([("char", "chars", "char_lengths")] if self.char_ngrams else [])
    counts = {}
    for kind, tokens, lengths in kinds:
      for start in range(0, len(train[lengths]), DF_CHUNK):
        rows = slice(start, start + DF_CHUNK)
        for name, _, size, ids, mask in self._id_groups(jnp.asarray(train[tokens][rows]),
                                                        jnp.asarray(train[lengths][rows]), kind):
          counts[name] = counts.get(name, 0.0) + np.asarray(_document_counts(ids, mask, size))
    return {f"{CONSTANTS}/{name}_idf": smooth_idf(c, len(train["lengths"])) for name, c in counts.items()}


class CharNgramMean(nn.Module):
  """A text's bytes → the masked mean of its hashed char 2..``order``-gram vectors [B, D].

  fastText's subword bag on its own, for models that add it to another text vector (e.g. the
  attention LSTM's ``char_ngrams``): tweets' misspellings, hashtags and elongations ("soooo")
  are unknown words to a word vocabulary but share char n-grams with the words they spell.
  """
  order: int
  buckets: int
  embed: int

  @nn.compact
  def __call__(self, chars: jnp.ndarray, char_lengths: jnp.ndarray) -> jnp.ndarray:
    ids, mask = hashed_ngrams(chars, char_lengths, self.order, self.buckets)
    return masked_mean(nn.Embed(self.buckets, self.embed, name="char_embed")(ids), mask)
