"""One tiny fixture per entry of ``lyric_jax.models.registry.MODELS``, for the contract test.

A fixture is the model's constructor arguments at tiny sizes (``num_classes`` and, for text,
``vocab_size`` are added as the run does), the batch builder of the input it reads, and the
attention kinds it sows under the intermediates contract. A new architecture adds one line here.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax.numpy as jnp
import numpy as np

B, T, V, F = 4, 8, 20, 5
LENGTHS = np.array([8, 5, 1, 0], np.int32)       # full, partial, one token, an all-padding row
# Line-structured text (HAN): [B, L, W]; song 0 has an empty line inside it, song 3 is empty.
LINES = np.array([3, 2, 1, 0], np.int32)
WORDS = np.array([[4, 0, 2], [1, 3, 0], [2, 0, 0], [0, 0, 0]], np.int32)


def tokens(extra: int = 0, seed: int = 0) -> dict:
  """tokens [B, T + extra]: real ids in 1..V-1 up to each length, PAD after it, then ``extra``
  garbage (non-PAD) steps that the model must ignore; lengths [B]."""
  rng = np.random.default_rng(seed)
  ids = np.where(np.arange(T) < LENGTHS[:, None], rng.integers(1, V, (B, T)), 0)
  ids = np.concatenate([ids, rng.integers(1, V, (B, extra))], axis=1)
  return {"tokens": jnp.asarray(ids, jnp.int32), "lengths": jnp.asarray(LENGTHS)}


CHAR_LENGTHS = np.array([12, 7, 1, 0], np.int32)


def tokens_and_chars(extra: int = 0, seed: int = 0) -> dict:
  """tokens (as ``tokens``) and the texts' bytes: chars [B, 12 + extra] in 1..255 up to each
  char length, 0 after it, then ``extra`` garbage bytes; char_lengths [B]."""
  rng = np.random.default_rng(seed + 1)
  c = int(CHAR_LENGTHS.max())
  chars = np.where(np.arange(c) < CHAR_LENGTHS[:, None], rng.integers(1, 256, (B, c)), 0)
  chars = np.concatenate([chars, rng.integers(1, 256, (B, extra))], axis=1)
  return {**tokens(extra, seed), "chars": jnp.asarray(chars, jnp.int32), "char_lengths": jnp.asarray(CHAR_LENGTHS)}


def features(extra: int = 0, seed: int = 0) -> dict:
  """features [B, F] (no padded axis: ``extra`` does not apply)."""
  del extra
  return {"features": jnp.asarray(np.random.default_rng(seed).normal(size=(B, F)), jnp.float32)}


def tokens_and_features(extra: int = 0, seed: int = 0) -> dict:
  return {**tokens(extra, seed), **features(seed=seed)}


def tokens_chars_and_features(extra: int = 0, seed: int = 0) -> dict:
  return {**tokens_and_chars(extra, seed), **features(seed=seed)}


def lines(extra: int = 0, seed: int = 0) -> dict:
  """tokens [B, L + extra, W + extra], word_lengths [B, L + extra], lengths [B] (real lines).

  ``extra`` appends garbage words to every line and garbage lines that claim 2 words each:
  lines past ``lengths`` must be ignored whatever they hold.
  """
  rng = np.random.default_rng(seed)
  l, w = WORDS.shape[1], int(WORDS.max())
  ids = np.where(np.arange(w) < WORDS[..., None], rng.integers(1, V, (B, l, w)), 0)
  ids = np.concatenate([ids, rng.integers(1, V, (B, l, extra))], axis=2)
  ids = np.concatenate([ids, rng.integers(1, V, (B, extra, w + extra))], axis=1)
  word_lengths = np.pad(WORDS, ((0, 0), (0, extra)), constant_values=2)
  return {"tokens": jnp.asarray(ids, jnp.int32), "word_lengths": jnp.asarray(word_lengths),
          "lengths": jnp.asarray(LINES)}


@dataclasses.dataclass(frozen=True)
class Fixture:
  kwargs: dict
  batch: Callable[..., dict]       # (extra padding=0, seed=0) → the batch the model reads
  attention: tuple[str, ...] = ()  # intermediates contract kinds it sows: 'tokens', 'lines', 'words'
  num_classes: int = 3


RECURRENT = {"embed": 6, "hidden": 5}
FIXTURES = {
    "text": Fixture({"embed": 6, "hidden": 5}, tokens),
    "meta": Fixture({"hidden": (6, 5)}, features),
    "combined": Fixture({"embed": 6, "text_out": 4, "feature_hidden": (6, 5), "head_hidden": (5, 4)},
                        tokens_and_features),
    "softmax": Fixture({}, features),
    "mlp": Fixture({"hidden": (7, 9, 9)}, features),
    "mlp_dropout": Fixture({"hidden": (7, 9, 9), "dropout": 0.2, "dropout_layers": (0,)}, features),
    # 'features' sequences: a single step ('step') leaves recurrent kernels unused (test_tabular.py).
    "dense_lstm": Fixture({"dense": 6, "lstm": (5,), "sequence": "features"}, features),
    "lstm_lstm": Fixture({"lstm": (5, 4), "sequence": "features"}, features),
    "resmlp": Fixture({"width": 8, "blocks": 2, "dropout": 0.2, "numeric_embedding": 3}, features),
    "ngram_resmlp": Fixture({"embed": 6, "buckets": 64, "ngrams": 2, "char_ngrams": 3, "dropout": 0.2, "width": 6,
                             "blocks": 1}, tokens_chars_and_features),
    "rnn": Fixture({**RECURRENT, "cell": "simple", "pooling": "last"}, tokens),
    "han": Fixture({"embed": 6, "word_hidden": 4, "line_hidden": 4, "attn_size": 4, "dropout": 0.2, "bag_ngrams": 2,
                    "bag_buckets": 64}, lines,
                   attention=("lines", "words")),
    "attn_lstm": Fixture({**RECURRENT, "cell": "lstm", "bidirectional": True, "pooling": "attention",
                          "attn_size": 4, "dropout": 0.2, "char_ngrams": 3, "char_buckets": 64, "char_embed": 4,
                          "bag_ngrams": 2, "bag_buckets": 64},
                         tokens_and_chars, attention=("tokens",)),
    "ffnn": Fixture({"embed": 6, "hidden": 5, "dropout": 0.2}, tokens),
    "ngram_bag": Fixture({"embed": 6, "buckets": 64, "ngrams": 3, "char_ngrams": 4, "dropout": 0.2, "word_dropout": 0.2},
                         tokens_and_chars),
    "cnn": Fixture({"embed": 6, "filters": 5, "kernel_size": 3, "dense": 4, "pooling": "attention", "attn_size": 4,
                    "spatial_dropout": 0.3}, tokens, num_classes=1),
    "bilstm": Fixture({**RECURRENT, "spatial_dropout": 0.5, "pooling": "attention", "attn_size": 4}, tokens,
                      attention=("tokens",)),
    "transformer": Fixture({"embed": 8, "heads": 2, "layers": 2, "mlp": 16, "max_len": 16}, tokens,
                           attention=("tokens",)),
}
