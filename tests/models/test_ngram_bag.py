"""The n-gram bag's on-device hashing (the registry contract test covers shapes, padding, gradients)."""

import jax
import jax.numpy as jnp
import numpy as np

from lyric_jax.models import registry
from lyric_jax.models.ngram_bag import hashed_ngrams

BUCKETS = 1000   # not a power of two: the modulo keeps more than the low bits


def test_ngram_ids_in_range_and_the_same_for_the_same_tokens_anywhere():
  big = 2 ** 31 - 1   # the largest int32 id: the uint32 arithmetic must not go negative
  tokens = jnp.asarray([[5, 7, 9, big, 3, 0, 0],
                        [1, 1, 1, 5, 7, 9, 0],
                        [7, 5, 0, 0, 0, 0, 0]], jnp.int32)
  lengths = jnp.asarray([5, 6, 2])
  ids, mask = map(np.asarray, hashed_ngrams(tokens, lengths, 3, BUCKETS))
  assert ids.dtype == np.int32 and ids.shape == mask.shape == (3, 2 * 7)
  assert ids.min() >= 0 and ids.max() < BUCKETS
  bigrams, trigrams = ids[:, :7], ids[:, 7:]
  assert bigrams[0, 0] == bigrams[1, 3] and trigrams[0, 0] == trigrams[1, 3]   # (5, 7), (5, 7, 9)
  assert bigrams[0, 0] != bigrams[2, 0]                                           # (7, 5): order counts
  # Real iff the n-gram ends inside the text: L - 1 bigrams and L - 2 trigrams from the start.
  np.testing.assert_array_equal(mask[:, :7].sum(1), [4, 5, 1])
  np.testing.assert_array_equal(mask[:, 7:].sum(1), [3, 4, 0])
  assert mask[0, :4].all() and not mask[0, 4:7].any()
  # More padding changes neither the ids nor the mask of the real n-grams.
  longer_ids, longer_mask = map(np.asarray, hashed_ngrams(jnp.pad(tokens, ((0, 0), (0, 3))), lengths, 3, BUCKETS))
  np.testing.assert_array_equal(longer_ids[:, :7][mask[:, :7]], bigrams[mask[:, :7]])
  np.testing.assert_array_equal(longer_mask[:, :10].sum(1), mask[:, :7].sum(1))


def test_distinct_bigrams_rarely_share_a_bucket():
  a, b = np.meshgrid(np.arange(1, 51), np.arange(1, 51))
  pairs = jnp.asarray(np.stack([a.ravel(), b.ravel()], 1), jnp.int32)      # 2500 distinct bigrams
  ids, _ = hashed_ngrams(pairs, jnp.full((len(pairs),), 2), 2, 2 ** 19)
  assert len(np.unique(np.asarray(ids)[:, 0])) >= 0.99 * len(pairs)       # ~6 collisions expected


def test_unigrams_only_has_no_bucket_table():
  model = registry.build("ngram_bag", num_classes=2, vocab_size=20, ngrams=1)
  batch = {"tokens": jnp.ones((2, 4), jnp.int32), "lengths": jnp.asarray([4, 2])}
  params = jax.eval_shape(lambda: model.init(jax.random.key(0), batch, train=False))["params"]
  assert set(params) == {"embed", "Dense_0"}
