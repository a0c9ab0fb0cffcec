"""The n-gram bag's on-device hashing and its TF-IDF pooling (the registry contract test covers the
mean-pooled bag's shapes, padding, gradients)."""

import jax
import jax.numpy as jnp
import numpy as np

from lyric_jax.models import registry
from lyric_jax.models.ngram_bag import hashed_ngrams, sublinear_tfidf
from lyric_jax.models.pooling import length_mask
from tests.model_checks import loss_and_grads

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


# --- weighting='tfidf': the classic baseline's TF-IDF, pooled -----------------------------

CORPUS = [[1, 2, 2, 3, 9], [2, 3, 3, 3], [4, 1, 2], [5, 6, 6, 1, 1, 2, 3], [7, 2]]


def _padded(rows, width):
  tokens = np.zeros((len(rows), width), np.int32)
  for i, row in enumerate(rows):
    tokens[i, :len(row)] = row
  return {"tokens": tokens, "lengths": np.asarray([len(r) for r in rows], np.int32)}


def _tfidf_bag(**kwargs):
  return registry.build("ngram_bag", num_classes=3, vocab_size=10, embed=10, buckets=64,
                        weighting="tfidf", **kwargs)


def test_tfidf_weights_and_idf_equal_sklearns_tfidf_vectorizer():
  from sklearn.feature_extraction.text import TfidfVectorizer
  train = _padded(CORPUS, 8)
  constants = _tfidf_bag(ngrams=1).fit_constants(train)
  idf = constants["constants/word_idf"]
  weight, squared_norm = map(np.asarray, sublinear_tfidf(jnp.asarray(train["tokens"]),
                                                         length_mask(jnp.asarray(train["lengths"]), 8), idf))
  ours = np.zeros((len(CORPUS), 10))
  np.add.at(ours, (np.arange(len(CORPUS))[:, None].repeat(8, 1), train["tokens"]), weight)
  ours /= np.sqrt(squared_norm)[:, None]
  vectorizer = TfidfVectorizer(analyzer=lambda row: row, sublinear_tf=True, min_df=2)
  theirs = vectorizer.fit_transform(CORPUS).toarray()
  words = vectorizer.get_feature_names_out().astype(int)
  np.testing.assert_allclose(ours[:, words], theirs, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(idf[words], vectorizer.idf_, rtol=1e-6)
  assert not np.delete(ours, words, axis=1).any()           # words in < 2 texts (4, 5, 6, 7, 9) weigh 0


def test_tfidf_bag_ignores_padding_and_trains_every_parameter_but_not_its_idf():
  model = _tfidf_bag(ngrams=3, char_ngrams=3, word_dropout=0.3)
  rows = _padded(CORPUS, 8)
  chars = _padded([[104 + t for t in row] * 2 for row in CORPUS], 16)
  batch = {**rows, "chars": chars["tokens"], "char_lengths": chars["lengths"]}
  constants = model.fit_constants(batch)
  assert set(constants) == {"constants/word_idf", "constants/word_ngram_idf", "constants/char_ngram_idf"}
  assert all(c.max() > 0 for c in constants.values())
  variables = model.init(jax.random.key(0), batch, train=False)
  variables["constants"] = {k.split("/")[1]: jnp.asarray(v) for k, v in constants.items()}
  logits = model.apply(variables, batch, train=False)
  longer = {**batch, "tokens": np.pad(batch["tokens"], ((0, 0), (0, 5))),
            "chars": np.pad(batch["chars"], ((0, 0), (0, 7)))}
  np.testing.assert_allclose(model.apply(variables, longer, train=False), logits, rtol=1e-5, atol=1e-6)
  empty = {**batch, "lengths": np.zeros_like(batch["lengths"]), "char_lengths": np.zeros_like(batch["lengths"])}
  assert np.isfinite(np.asarray(model.apply(variables, empty, train=False))).all()
  _, grads = loss_and_grads(model, variables, batch, jnp.asarray([0, 1, 2, 0, 1]))
  for path, grad in jax.tree_util.tree_leaves_with_path(grads):
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0, path
  assert "constants" not in grads     # idf is data, not a parameter


def test_late_fusion_fits_its_text_branchs_idf_at_the_branchs_path():
  """S1's NgramResMLP with a TF-IDF text branch: the idf the pipeline writes lands on the text
  branch's own constants, and equals what the bag alone fits on the same rows."""
  from flax import traverse_util
  kwargs = dict(num_classes=3, vocab_size=10, embed=10, buckets=64, ngrams=2)
  fused = registry.build("ngram_resmlp", width=4, blocks=1, weighting="tfidf", **kwargs)
  batch = {**_padded(CORPUS, 8), "features": np.ones((len(CORPUS), 2), np.float32)}
  constants = fused.fit_constants(batch)
  alone = registry.build("ngram_bag", weighting="tfidf", **kwargs).fit_constants(batch)
  assert constants.keys() == {"constants/text/word_idf", "constants/text/word_ngram_idf"}
  for name, idf in alone.items():
    np.testing.assert_array_equal(constants[name.replace("constants/", "constants/text/")], idf)
  variables = fused.init(jax.random.key(0), batch, train=False)
  slots = traverse_util.flatten_dict({"constants": variables["constants"]}, sep="/")
  assert {path: v.shape for path, v in slots.items()} == {path: v.shape for path, v in constants.items()}
  assert registry.build("ngram_resmlp", width=4, blocks=1, **kwargs).fit_constants(batch) == {}
