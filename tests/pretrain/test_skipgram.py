"""Skip-gram word vectors: the pairs a window gives, a loss that falls and learns co-occurrence,
an interrupted run that resumes to the same vectors, and the GloVe file round trip."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.data import glove
from lyric_jax.pretrain import skipgram

SMALL = dict(dim=16, window=2, negatives=4, subsample=0.0, batch_size=256, lr=1e-2)


def topic_corpus(texts=400, length=12, seed=0) -> skipgram.Corpus:
  """Texts drawn from one of two disjoint word sets (ids 2..11 and 12..21; 0, 1 are PAD, UNK)."""
  rng = np.random.default_rng(seed)
  ids = [list(rng.integers(2, 12, length) + 10 * (i % 2)) for i in range(texts)]
  ids[0][:3] = [0, 1, 0]   # specials are dropped before pairing
  return skipgram.Corpus.from_ids(ids, vocab_size=22, drop=[0, 1])


def test_corpus_drops_special_tokens_and_keeps_text_boundaries():
  corpus = skipgram.Corpus.from_ids([[2, 0, 3], [1], [4, 5]], vocab_size=6, drop=[0, 1])
  np.testing.assert_array_equal(corpus.tokens, [2, 3, 4, 5])
  np.testing.assert_array_equal(corpus.texts, [0, 0, 2, 2])
  with pytest.raises(ValueError, match="no in-vocabulary tokens"):
    skipgram.Corpus.from_ids([[0, 1]], vocab_size=2, drop=[0, 1])


def test_pairs_stay_inside_one_text_and_the_window_both_ways():
  corpus = skipgram.Corpus.from_ids([[2, 3, 4, 5], [6, 7]], vocab_size=8, drop=[])
  keep = np.ones(8)
  centres, contexts = skipgram.epoch_pairs(corpus, keep, window=1, rng=np.random.default_rng(0))
  assert sorted(zip(centres.tolist(), contexts.tolist())) == sorted(
      [(2, 3), (3, 2), (3, 4), (4, 3), (4, 5), (5, 4), (6, 7), (7, 6)])   # never (5, 6): another text
  centres, _ = skipgram.epoch_pairs(corpus, keep, window=3, rng=np.random.default_rng(0))
  assert len(centres) <= 2 * (3 + 2 + 1 + 1)                                # distance ≤ 3, same text
  again = skipgram.epoch_pairs(corpus, keep, window=3, rng=np.random.default_rng(0))
  np.testing.assert_array_equal(centres, again[0])                         # seeded


def test_subsampling_keeps_rare_words_and_thins_frequent_ones():
  p = skipgram.keep_probabilities(np.array([0, 1, 10, 100_000]), threshold=1e-3)
  assert p[1] == 1.0 and p[2] == 1.0 and 0 < p[3] < 0.05
  np.testing.assert_array_equal(skipgram.keep_probabilities(np.array([5, 50]), 0.0), [1.0, 1.0])


def test_negatives_follow_the_unigram_distribution_to_the_three_quarters():
  counts = np.array([0, 0, 16, 1, 81])                         # never a word that never occurs
  cdf = jnp.asarray(np.cumsum(counts ** skipgram.NOISE_POWER), jnp.float32)
  drawn = np.asarray(skipgram.draw_negatives(jax.random.key(0), cdf, (200_000,)))
  expected = counts ** 0.75 / (counts ** 0.75).sum()
  np.testing.assert_allclose(np.bincount(drawn, minlength=5) / len(drawn), expected, atol=0.005)


def test_loss_falls_and_words_of_one_topic_end_closer(tmp_path):
  vectors, losses = skipgram.train(topic_corpus(), skipgram.SkipGramConfig(epochs=4, **SMALL), tmp_path,
                                   log=lambda _: None)
  chex.assert_shape(vectors, (22, 16))
  chex.assert_tree_all_finite(vectors)
  assert losses[-1] < 0.8 * losses[0], losses
  unit = vectors[2:] / np.linalg.norm(vectors[2:], axis=1, keepdims=True)
  cosine = unit @ unit.T
  same, other = cosine[:10, :10][~np.eye(10, dtype=bool)].mean(), cosine[:10, 10:].mean()
  assert same > other + 0.3, (same, other)
  vocab = {f"w{i}": i for i in range(22)}
  assert set(skipgram.nearest(vectors, vocab, "w2", k=5)) <= {f"w{i}" for i in range(3, 12)}
  assert skipgram.nearest(vectors, vocab, "unseen") == []


def test_interrupted_run_resumes_to_the_same_vectors(tmp_path):
  config = skipgram.SkipGramConfig(epochs=3, **SMALL)
  whole, whole_losses = skipgram.train(topic_corpus(), config, tmp_path / "whole", log=lambda _: None)

  def stop_after_first_epoch(line):
    if line.startswith("epoch 1/"):
      raise KeyboardInterrupt

  with pytest.raises(KeyboardInterrupt):
    skipgram.train(topic_corpus(), config, tmp_path / "cut", log=stop_after_first_epoch)
  said = []
  resumed, resumed_losses = skipgram.train(topic_corpus(), config, tmp_path / "cut", log=said.append)
  assert said[0].startswith("resumed after epoch 1 of 3") and len(said) == 3
  np.testing.assert_allclose(resumed, whole, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(resumed_losses, whole_losses, rtol=1e-5)


def test_written_vectors_read_back_through_the_vectors_flag_reader(tmp_path):
  vocab = {"[PAD]": 0, "[UNK]": 1, "love": 2, "hate": 3}
  matrix = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
  path = tmp_path / "v.txt"
  assert glove.write_vectors(path, vocab, matrix) == 2                      # the specials are not written
  read, coverage = glove.embedding_matrix(path, vocab)
  np.testing.assert_allclose(read[2:], matrix[2:], rtol=1e-5)
  assert coverage["hits"] == 2 and coverage["misses"] == 0 and not read[:2].any()
