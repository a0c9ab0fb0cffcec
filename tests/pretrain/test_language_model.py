"""Language-model pretraining: which words each direction predicts, a loss that falls and learns
word order, an interrupted run that resumes to the same weights, and weights that reach the
classifier (with their own learning rate) only from the same vocabulary and encoder."""

import dataclasses

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments import pretraining
from experiments.experiment import job_spec
from lyric_jax.data.errors import ConfigError, DataError
from lyric_jax.models import registry
from lyric_jax.pretrain import language_model as lm
from lyric_jax.run.build import optimizer
from lyric_jax.train.loop import FitConfig
from lyric_jax.train.state import override_params

SMALL = dict(epochs=8, batch_size=16, lr=2e-2, dropout=0.0, warmup=0.0, held_out=0.1, length_buckets=1)
UNI = lm.EncoderShape("encoder", embed=8, hidden=16, cell="lstm", bidirectional=False, num_layers=1)
BI = dataclasses.replace(UNI, cell="gru", bidirectional=True)


def cyclic_rows(texts=200, length=12, vocab=10, seed=0) -> dict:
  """Texts that count up through word ids 2 .. vocab-1 from a random start: each word fixes the next."""
  rng = np.random.default_rng(seed)
  starts = rng.integers(0, vocab - 2, texts)
  lengths = rng.integers(3, length + 1, texts).astype(np.int32)
  tokens = (starts[:, None] + np.arange(length)[None]) % (vocab - 2) + 2
  tokens = np.where(np.arange(length)[None] < lengths[:, None], tokens, 0).astype(np.int32)
  return {"tokens": tokens, "lengths": lengths, lm.TEXT: np.arange(texts)}


def test_each_direction_predicts_its_neighbour_at_real_positions_only():
  classes = jnp.array([[3, 1, 4, 0], [2, 5, 0, 0], [7, 7, 7, 7]])
  lengths, weight = jnp.array([3, 2, 4]), jnp.array([1.0, 1.0, 0.0])   # the last row is batch padding
  # One-hot logits on the right neighbour score ~0; the count is the real predictions.
  ahead = jax.nn.one_hot(jnp.concatenate([classes[:, 1:], classes[:, :1]], 1), 8) * 50
  behind = jax.nn.one_hot(jnp.concatenate([classes[:, -1:], classes[:, :-1]], 1), 8) * 50
  total, count = lm.next_word_loss(jnp.stack([ahead, behind], 2), classes, lengths, weight)
  assert int(count) == 2 * ((3 - 1) + (2 - 1)) and float(total) < 1e-6
  # Swapping the directions' logits makes every real prediction wrong.
  total, _ = lm.next_word_loss(jnp.stack([behind, ahead], 2), classes, lengths, weight)
  assert float(total) > 40 * int(count)
  total, count = lm.next_word_loss(ahead[:, :, None], classes, lengths, weight)
  assert int(count) == 3 and float(total) < 1e-6


def test_padding_never_changes_the_loss():
  rows = cyclic_rows(texts=8)
  model = lm.LanguageModel(BI, vocab_size=10, output_size=9)
  tokens, lengths = jnp.asarray(rows["tokens"]), jnp.asarray(rows["lengths"])
  params = model.init(jax.random.key(0), tokens, lengths, train=False)["params"]
  classes = jnp.arange(10) % 9

  def loss(tokens):
    return lm.next_word_loss(model.apply({"params": params}, tokens, lengths, train=False), classes[tokens],
                             lengths, jnp.ones(8))

  noise = jax.random.randint(jax.random.key(1), tokens.shape, 2, 10)
  padded = jnp.where(jnp.arange(tokens.shape[1])[None] < lengths[:, None], tokens, noise)
  chex.assert_trees_all_close(loss(tokens), loss(padded), rtol=1e-6)


def test_output_classes_keep_the_most_frequent_words_and_pool_the_rest():
  rows = {"tokens": np.array([[2, 3, 3, 4, 0], [3, 4, 1, 9, 9]]), "lengths": np.array([4, 3])}
  classes = lm.output_classes(rows, vocab_size=10, output_vocab=2, specials=(0, 1))
  assert classes[3] == 0 and classes[4] == 1                  # 3 ×3, 4 ×2: the two kept
  assert (classes[[0, 1, 2, 9]] == 2).all()                  # specials, the rarer word, padding-only 9
  assert lm.output_classes(rows, 10, 100, (0, 1)).max() == 3  # only 3 words seen: 3 classes + other


def test_word_rows_are_texts_or_every_line_with_something_to_predict():
  flat = lm.word_rows({"tokens": np.ones((3, 4), np.int32), "lengths": np.array([4, 1, 2])})
  np.testing.assert_array_equal(flat["lengths"], [4, 2])
  np.testing.assert_array_equal(flat[lm.TEXT], [0, 2])
  lines = lm.word_rows({"tokens": np.ones((2, 3, 5), np.int32), "word_lengths": np.array([[5, 0, 2], [1, 3, 0]]),
                        "lengths": np.array([3, 2])})
  chex.assert_shape(lines["tokens"], (3, 5))
  np.testing.assert_array_equal(lines["lengths"], [5, 2, 3])
  np.testing.assert_array_equal(lines[lm.TEXT], [0, 0, 1])       # which song each line is from
  with pytest.raises(DataError, match="nothing for a language model to predict"):
    lm.word_rows({"tokens": np.ones((2, 4), np.int32), "lengths": np.array([1, 0])})


def test_a_songs_lines_are_held_out_together():
  rows = {"tokens": np.arange(40).reshape(20, 2), "lengths": np.full(20, 2), lm.TEXT: np.arange(20) // 4}
  train, held = lm.split_rows(rows, held_out=0.2, seed=0)
  assert lm.TEXT not in train and len(held["lengths"]) == 4 and len(train["lengths"]) == 16
  assert len(np.unique(held["tokens"][:, 0] // 8)) == 1          # one song's 4 lines (8 ids a song)


def test_the_encoder_is_the_classifiers_own():
  assert lm.encoder_shape("han", {"embed": 12, "word_hidden": 7}) == lm.EncoderShape(
      "word_encoder", 12, 7, "gru", True, 1)
  assert lm.encoder_shape("attn_lstm", {"hidden": 5}).weights() == {
      "name": "encoder", "embed": 100, "hidden": 5, "cell": "lstm", "bidirectional": False, "num_layers": 1}
  with pytest.raises(ConfigError, match="no recurrent word encoder"):
    lm.encoder_shape("cnn", {})
  with pytest.raises(ConfigError, match="bidirectional encoder of 2 layers"):
    lm.encoder_shape("rnn", {"bidirectional": True, "num_layers": 2})
  with pytest.raises(ConfigError, match="'cnn' has no recurrent word encoder"):   # when the flags are read
    job_spec("review_cnn", ["--model=cnn", "--language_model=lm"])


@pytest.mark.parametrize("shape", [UNI, BI], ids=["lstm", "bigru"])
def test_loss_falls_and_the_model_learns_word_order(tmp_path, shape):
  params, history, best_epoch = lm.train(cyclic_rows(), 10, shape, lm.LMConfig(**SMALL), tmp_path,
                                         log=lambda _: None)
  chex.assert_tree_all_finite(params)
  assert history[-1]["held_out_loss"] < 0.2 * history[0]["held_out_loss"], history
  assert history[-1]["held_out_loss"] < 0.1 * np.log(9)      # a guess scores log(9): each word fixes the next
  assert history[best_epoch - 1]["held_out_loss"] == min(h["held_out_loss"] for h in history)


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
  config = lm.LMConfig(**{**SMALL, "epochs": 3})
  rows = cyclic_rows(texts=64)
  whole, _, _ = lm.train(rows, 10, UNI, config, tmp_path / "whole", log=lambda _: None)

  def stop_after_first_epoch(line):
    if line.startswith("epoch 1/"):
      raise KeyboardInterrupt

  with pytest.raises(KeyboardInterrupt):
    lm.train(rows, 10, UNI, config, tmp_path / "cut", log=stop_after_first_epoch)
  said = []
  resumed, _, _ = lm.train(rows, 10, UNI, config, tmp_path / "cut", log=said.append)
  assert said[0].startswith("resumed after epoch 1 of 3") and len(said) == 3
  chex.assert_trees_all_close(resumed, whole, rtol=1e-5, atol=1e-6)


@pytest.fixture
def trained(tmp_path):
  """A finished language model folder for the 'attn_lstm' classifier below, and the vocabulary."""
  vocab = {f"w{i}": i for i in range(10)}
  shape = lm.encoder_shape("attn_lstm", {"embed": 8, "hidden": 16})
  params, history, _ = lm.train(cyclic_rows(texts=32), 10, shape, lm.LMConfig(**{**SMALL, "epochs": 1}),
                             tmp_path / lm.CHECKPOINTS, log=lambda _: None)
  which = np.array(["train"] * 8 + ["val", "test"], dtype=object)
  lm.write_info(tmp_path, {"encoder": dataclasses.asdict(shape), "vocabulary_sha256": lm.vocabulary_digest(vocab),
                           "vocab_size": 10, "output_size": 9, "history": history}, which)
  return tmp_path, shape, vocab, params, which


def test_the_classifier_starts_from_its_embedding_and_encoder(trained):
  folder, shape, vocab, params, which = trained
  overrides = lm.encoder_overrides(folder, shape, vocab)
  assert set(overrides) == {p for p in overrides if p.startswith(("embed/", "encoder/"))} and overrides
  classifier = registry.build("attn_lstm", num_classes=3, vocab_size=10, embed=8, hidden=16)
  batch = {"tokens": jnp.ones((1, 4), jnp.int32), "lengths": jnp.array([4])}
  fresh = jax.vmap(lambda k: classifier.init(k, batch, train=False)["params"])(jax.random.split(jax.random.key(0), 2))
  started = override_params(fresh, overrides)
  for replica in range(2):
    chex.assert_trees_all_close(jax.tree.map(lambda x: x[replica], started["encoder"]), params["encoder"])
    np.testing.assert_allclose(started["embed"]["embedding"][replica], params["embed"]["embedding"])
  lm.check_split(folder, which)                                           # the same split passes


def test_it_is_refused_to_another_vocabulary_encoder_or_split(trained, tmp_path):
  folder, shape, vocab, _, which = trained
  with pytest.raises(DataError, match="another vocabulary"):
    lm.encoder_overrides(folder, shape, {**vocab, "new": 10})
  with pytest.raises(DataError, match="has encoder"):
    lm.encoder_overrides(folder, dataclasses.replace(shape, hidden=32), vocab)
  with pytest.raises(DataError, match="trained on another split"):
    lm.check_split(folder, which[::-1])
  with pytest.raises(DataError, match="no finished language model"):
    lm.encoder_overrides(tmp_path / "unfinished", shape, vocab)


def test_pretrained_layers_learn_at_their_own_rate():
  params = {"embed": {"embedding": jnp.ones((3, 2))}, "encoder": {"w": jnp.ones(2)}, "head": {"w": jnp.ones(2)}}
  grads = jax.tree.map(jnp.ones_like, params)
  fit = FitConfig(optimizer="sgd")
  plain, gentle = optimizer(fit), optimizer(fit, pretrained=("embed", "encoder"), pretrained_lr_scale=0.25)
  step = {name: tx.update(grads, tx.init(params), params)[0] for name, tx in (("plain", plain), ("gentle", gentle))}
  for path in ("embed", "encoder"):
    chex.assert_trees_all_close(step["gentle"][path], jax.tree.map(lambda u: 0.25 * u, step["plain"][path]))
  chex.assert_trees_all_close(step["gentle"]["head"], step["plain"]["head"])


def test_pretraining_reads_the_jobs_data_dir_when_the_command_names_none(monkeypatch):
  seen = []

  def load(spec, data_dir):
    seen.append(data_dir)
    raise DataError("stop here")

  monkeypatch.setattr(pretraining, "load_table", load)
  for outer, job in ((None, ["--data_dir=/job/data"]), (None, ["--data_dir", "/job/data"]), ("/outer", [])):
    with pytest.raises(DataError, match="stop here"):
      pretraining.training_split("lstm", ["--dataset=synthetic", *job], outer)
  assert seen == ["/job/data", "/job/data", "/outer"]
