"""HAN: shapes, padding invariance (words and lines), empty lines/songs, one batched word scan, the
n-gram bag beside it (its sown attention, and the bag's padding and gradients: test_registry_contract)."""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models.han import HAN, song_words
from lyric_jax.models.ngram_bag import NgramBag
from tests import model_checks

B, L, W, V, C = 3, 4, 5, 20, 3
LINES = np.array([4, 2, 0], np.int32)  # full song, short song, all-empty song
WORDS = np.array([[5, 2, 0, 1],  # line 2 is an empty line inside a song
                  [3, 1, 0, 0],
                  [0, 0, 0, 0]], np.int32)
# Pairwise covering of cell x bidirectional x num_layers (the full product is
# in test_recurrent.py); halves HAN compile time on a shared 2-core CPU.
CONFIGS = pytest.mark.parametrize(
    "cell,bidirectional,num_layers",
    [("lstm", False, 1), ("lstm", True, 2), ("gru", False, 2), ("gru", True, 1)])


def _model(cell="gru", bidirectional=True, num_layers=1, **kw):
  return HAN(C, V, embed=8, word_hidden=6, line_hidden=5, attn_size=4, cell=cell,
             bidirectional=bidirectional, num_layers=num_layers, **kw)


def _batch(extra_lines=0, extra_words=0, seed=0):
  """Real tokens in 1..V-1; padding is PAD (0) or, if extra_*, random garbage."""
  rng = np.random.default_rng(seed)
  tokens = rng.integers(1, V, size=(B, L, W))
  real = np.arange(W) < WORDS[..., None]
  tokens = np.where(real, tokens, 0)
  if extra_words:
    tokens = np.concatenate(
        [tokens, rng.integers(1, V, size=(B, L, extra_words))], axis=2)
  if extra_lines:
    tokens = np.concatenate(
        [tokens, rng.integers(1, V, size=(B, extra_lines, tokens.shape[2]))], 1)
  # Lines past `lengths` claim words too: they must be ignored anyway.
  word_lengths = np.pad(WORDS, ((0, 0), (0, extra_lines)), constant_values=2)
  return {"tokens": jnp.asarray(tokens, jnp.int32),
          "word_lengths": jnp.asarray(word_lengths),
          "lengths": jnp.asarray(LINES)}


@pytest.fixture(name="run", scope="module")
def run_fixture(random_params):
  """Per config: params, logits and parameter gradients, compiled once."""

  @functools.lru_cache(maxsize=None)
  def run(cell, bidirectional, num_layers):
    model = _model(cell, bidirectional, num_layers)
    batch = _batch()
    params = random_params(model, batch)
    return model, params, *model_checks.eval_logits_and_grads(model, params, batch)

  return run


@CONFIGS
def test_logits_and_gradients_finite_nonzero(run, cell, bidirectional, num_layers):
  _, params, logits, grads = run(cell, bidirectional, num_layers)
  chex.assert_shape(logits, (B, C))
  chex.assert_tree_all_finite((logits, grads))
  for path, g in jax.tree_util.tree_leaves_with_path(grads):
    assert np.any(np.asarray(g) != 0), jax.tree_util.keystr(path)
  # The all-empty song pools to a zero vector: its logits are the head bias.
  chex.assert_trees_all_close(logits[2], params["params"]["head"]["bias"])


@CONFIGS
def test_padding_invariance(run, cell, bidirectional, num_layers):
  """5 extra garbage words per line and 3 extra garbage lines change nothing."""
  model, params, logits, _ = run(cell, bidirectional, num_layers)
  padded, _ = model_checks.apply_with_intermediates(model, params, _batch(extra_lines=3, extra_words=5))
  chex.assert_trees_all_close(padded, logits, atol=1e-5)


def test_word_encoder_is_one_batched_scan(random_params):
  """Scan count does not grow with the number of lines: no loop over lines."""
  model = _model()

  def n_scans(lines):
    batch = {"tokens": jnp.zeros((B, lines, W), jnp.int32),
             "word_lengths": jnp.zeros((B, lines), jnp.int32),
             "lengths": jnp.zeros((B,), jnp.int32)}
    params = random_params(model, batch)
    jaxpr = jax.make_jaxpr(functools.partial(model.apply, train=False))(params, batch)
    return str(jaxpr).count(" scan[")

  assert n_scans(2) == n_scans(6) == 4  # {word, line} x {fwd, bwd}


def test_dropout_only_in_training(run):
  model, params, logits, _ = run("gru", False, 2)
  train_logits = jax.jit(functools.partial(model.clone(dropout=0.5).apply, train=True))(
      params, _batch(), rngs={"dropout": jax.random.key(1)})
  chex.assert_tree_all_finite(train_logits)
  assert not np.allclose(train_logits, logits)


def test_default_hyperparameters_shapes():
  model = HAN(num_classes=C, vocab_size=V)
  logits, params = jax.eval_shape(
      functools.partial(model.init_with_output, train=False),
      jax.random.key(0), _batch())
  chex.assert_shape(logits, (B, C))
  enc = params["params"]["word_encoder"]
  chex.assert_shape(enc["fwd_0"]["cell"]["in"]["kernel"], (100, 50))
  chex.assert_shape(params["params"]["head"]["kernel"], (100, C))  # 2 x line_hidden


def test_song_words_reads_real_words_in_order():
  """The bag's flat view: each real word once, in reading order; garbage words past a line's length
  and garbage lines past the song's length are dropped."""
  batch = _batch(extra_lines=3, extra_words=5)
  words, count = song_words(batch["tokens"], batch["word_lengths"], batch["lengths"])
  tokens = np.asarray(batch["tokens"])
  for song in range(B):
    expected = [t for line in range(LINES[song]) for t in tokens[song, line, :WORDS[song, line]]]
    assert count[song] == len(expected)
    np.testing.assert_array_equal(np.asarray(words[song, :len(expected)]), expected)
    assert not np.asarray(words[song, len(expected):]).any()


def test_bag_idf_is_fitted_on_the_songs_words():
  """--bag_ngrams: the bag's idf (under constants/bag) is the flat n-gram bag's idf of the same
  words, so a HAN + bag and an ngram_bag run over the same songs weigh words alike."""
  model = _model(bag_ngrams=2, bag_buckets=64)
  train = {k: np.asarray(v) for k, v in _batch(extra_lines=2, extra_words=3).items()}
  fitted = model.fit_constants(train)
  words, count = song_words(train["tokens"], train["word_lengths"], train["lengths"])
  flat = NgramBag(C, V, buckets=64, ngrams=2, weighting="tfidf").fit_constants(
      {"tokens": np.asarray(words), "lengths": np.asarray(count)})
  assert set(fitted) == {"constants/bag/word_idf", "constants/bag/word_ngram_idf"}
  for name, idf in flat.items():
    np.testing.assert_array_equal(fitted[name.replace("constants/", "constants/bag/")], idf)
  assert _model().fit_constants(train) == {}   # no bag, nothing to fit


def test_bag_logits_join_the_hans(random_params):
  """With the HAN's head zeroed, the HAN + bag's logits are the bag's alone."""
  model = _model(bag_ngrams=2, bag_buckets=64)
  batch = _batch()
  variables = random_params(model, batch)
  params = dict(variables["params"], head=jax.tree.map(jnp.zeros_like, variables["params"]["head"]))
  logits = jax.jit(functools.partial(model.apply, train=False))({**variables, "params": params}, batch)
  words, count = song_words(batch["tokens"], batch["word_lengths"], batch["lengths"])
  bag = NgramBag(C, V, buckets=64, ngrams=2, weighting="tfidf")
  expected = bag.apply({"params": params["bag"], "constants": variables["constants"]["bag"]},
                       {"tokens": words, "lengths": count}, train=False)
  chex.assert_trees_all_close(logits, expected, atol=1e-6)
