"""Study S3 models (attention LSTM, vanilla RNN, FFNN) beyond the registry contract
(test_registry_contract): the Elman cell's math and the registry names the study uses."""

import jax
import jax.numpy as jnp
import numpy as np

from lyric_jax.models import registry
from lyric_jax.models.recurrent import RecurrentEncoder

V = 30


def test_simple_cell_matches_numpy_elman_rnn(random_params):
  x = jnp.asarray(np.random.default_rng(0).normal(size=(1, 6, 4)), jnp.float32)
  encoder = RecurrentEncoder("simple", 3)
  params = random_params(encoder, x, jnp.array([6]))
  outputs, final = encoder.apply(params, x, jnp.array([6]), train=False)
  p = jax.tree.map(np.asarray, params["params"]["fwd_0"]["cell"])
  h = np.zeros(3)
  for t in range(6):
    h = np.tanh(np.asarray(x[0, t]) @ p["i"]["kernel"] + p["i"]["bias"] + h @ p["h"]["kernel"])
    np.testing.assert_allclose(outputs[0, t], h, atol=1e-5)
  np.testing.assert_allclose(final[0], h, atol=1e-5)


def test_registry_names_for_s3():
  from lyric_jax.models.bag import EmbeddingBagMLP
  from lyric_jax.models.sequence import RecurrentClassifier
  model = registry.build("attn_lstm", num_classes=2, vocab_size=V, pooling="attention")
  assert isinstance(model, RecurrentClassifier) and model.pooling == "attention"
  assert isinstance(registry.build("rnn", num_classes=2, vocab_size=V), RecurrentClassifier)
  assert isinstance(registry.build("ffnn", num_classes=2, vocab_size=V), EmbeddingBagMLP)


def test_attention_lstm_reads_the_char_ngrams_beside_its_words(random_params):
  """With char_ngrams the text's bytes reach the logits (the words being equal), and padding
  bytes past char_lengths do not."""
  model = registry.build("attn_lstm", num_classes=3, vocab_size=V, embed=6, hidden=5, pooling="attention",
                         attn_size=4, char_ngrams=3, char_buckets=64, char_embed=4)
  rng = np.random.default_rng(0)
  batch = {"tokens": jnp.asarray(rng.integers(1, V, (2, 5)), jnp.int32), "lengths": jnp.array([5, 3]),
           "chars": jnp.asarray(rng.integers(1, 256, (2, 9)), jnp.int32), "char_lengths": jnp.array([9, 6])}
  params = random_params(model, batch)
  logits = model.apply(params, batch, train=False)
  assert params["params"]["chars"]["char_embed"]["embedding"].shape == (64, 4)
  assert params["params"]["head"]["kernel"].shape == (5 + 4, 3)
  other_text = {**batch, "chars": batch["chars"].at[0, :3].set(jnp.array([104, 105, 33]))}
  assert not np.allclose(model.apply(params, other_text, train=False)[0], logits[0])
  padded = {**batch, "chars": batch["chars"].at[1, 6:].set(7)}
  np.testing.assert_allclose(model.apply(params, padded, train=False), logits, atol=1e-6)


def test_attention_lstm_adds_the_logits_of_its_ngram_bag(random_params):
  """bag_ngrams: with the LSTM's head zeroed, the logits are the n-gram bag's over the same tokens."""
  model = registry.build("attn_lstm", num_classes=3, vocab_size=V, embed=6, hidden=5, pooling="attention",
                         attn_size=4, bag_ngrams=2, bag_buckets=64)
  rng = np.random.default_rng(1)
  batch = {"tokens": jnp.asarray(rng.integers(1, V, (2, 5)), jnp.int32), "lengths": jnp.array([5, 3])}
  variables = random_params(model, batch)
  params = dict(variables["params"], head=jax.tree.map(jnp.zeros_like, variables["params"]["head"]))
  logits = model.apply({"params": params}, batch, train=False)
  bag = registry.build("ngram_bag", num_classes=3, vocab_size=V, buckets=64, ngrams=2)
  np.testing.assert_allclose(logits, bag.apply({"params": params["bag"]}, batch, train=False), atol=1e-6)
  assert params["bag"]["ngram_embed"]["embedding"].shape == (64, 32)
