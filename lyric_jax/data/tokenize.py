"""Tokenizers from HF ``tokenizers``: load a WordPiece file, or train on the training split.

Every tokenizer here reserves id 0 for padding ([PAD]) so encoded batches can be
masked with ``tokens != 0`` and lengths alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import numpy as np
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers

from lyric_jax.data.errors import DataError

PAD, UNK = "[PAD]", "[UNK]"
# Study S2's keras Tokenizer filters: Keras' default set plus the apostrophe.
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r\''


def load_tokenizer(path: str | Path) -> Tokenizer:
  path = Path(path)
  if not path.exists():
    raise DataError(f"Tokenizer file not found: {path}")
  tokenizer = Tokenizer.from_file(str(path))
  # Published tokenizer files may carry their own padding/truncation; ours is explicit.
  tokenizer.no_padding()
  tokenizer.no_truncation()
  _check_pad(tokenizer, path)
  return tokenizer


def train_tokenizer(texts: Iterable[str], kind: str = "wordlevel", *, min_frequency: int = 2,
                    vocab_size: int = 30000, lowercase: bool = True) -> Tokenizer:
  """Trains a WordLevel (whole words, rare ones → [UNK]) or WordPiece vocabulary.

  ``kind='keras'`` is a WordLevel vocabulary over Keras' ``text_to_word_sequence``
  words (study S2): lower-case, every ``KERAS_FILTERS`` character becomes a space,
  split on spaces. Unlike Keras, unseen words map to [UNK] instead of vanishing.
  Call it on training texts only: a vocabulary that saw validation or test text leaks.
  """
  if kind == "keras":
    return _train_keras_words(texts, min_frequency=min_frequency, vocab_size=vocab_size,
                              lowercase=lowercase)
  if kind == "wordlevel":
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=[PAD, UNK], show_progress=False)
  elif kind == "wordpiece":
    tokenizer = Tokenizer(models.WordPiece(unk_token=UNK))
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=[PAD, UNK], show_progress=False)
  else:
    raise ValueError(f"Unknown tokenizer kind {kind!r}; use wordlevel or wordpiece")
  tokenizer.normalizer = normalizers.BertNormalizer(lowercase=lowercase, clean_text=True,
                                                    handle_chinese_chars=True, strip_accents=None)
  tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
  tokenizer.train_from_iterator(list(texts), trainer=trainer)
  _check_pad(tokenizer, "trained tokenizer")
  return tokenizer


def _train_keras_words(texts: Iterable[str], *, min_frequency: int, vocab_size: int,
                       lowercase: bool) -> Tokenizer:
  tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
  steps = [normalizers.Lowercase()] if lowercase else []
  steps.append(normalizers.Replace(Regex("[" + re.escape(KERAS_FILTERS) + "]"), " "))
  tokenizer.normalizer = normalizers.Sequence(steps)
  # Keras splits on ' ' only (other whitespace was a filter character or stays inside words).
  tokenizer.pre_tokenizer = pre_tokenizers.Split(" ", behavior="removed")
  trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                      special_tokens=[PAD, UNK], show_progress=False)
  tokenizer.train_from_iterator(list(texts), trainer=trainer)
  _check_pad(tokenizer, "trained tokenizer")
  return tokenizer


def _check_pad(tokenizer: Tokenizer, where) -> None:
  if tokenizer.token_to_id(PAD) != 0:
    raise DataError(f"{where}: expected {PAD} to have id 0 (masking relies on it), "
                    f"got {tokenizer.token_to_id(PAD)}")


def encode_flat(tokenizer: Tokenizer, texts: list[str], max_len: int) -> tuple[np.ndarray, np.ndarray]:
  """Token ids int32 [N, max_len] (post-padded with 0, truncated) and true lengths int32 [N]."""
  encodings = tokenizer.encode_batch(list(texts), add_special_tokens=False)
  tokens = np.zeros((len(encodings), max_len), np.int32)
  lengths = np.zeros(len(encodings), np.int32)
  for i, encoding in enumerate(encodings):
    ids = encoding.ids[:max_len]
    tokens[i, :len(ids)] = ids
    lengths[i] = len(ids)
  return tokens, lengths


# Runs of whitespace read as one space, as in scikit-learn's char analyzer: line breaks and
# indentation are layout, not characters.
_WHITESPACE = re.compile(r"\s\s+")


def text_bytes(text: str) -> bytes:
  """The lowercased UTF-8 bytes that char n-grams are read from (whitespace runs → one space)."""
  return _WHITESPACE.sub(" ", text.lower()).encode("utf-8")


def encode_chars(texts: list[str], max_chars: int) -> tuple[np.ndarray, np.ndarray]:
  """Byte values int32 [N, max_chars] of each ``text_bytes`` (post-padded with 0, truncated) and
  true lengths int32 [N]: the input of char n-gram models, beside the token ids."""
  chars = np.zeros((len(texts), max_chars), np.int32)
  lengths = np.zeros(len(texts), np.int32)
  for i, text in enumerate(texts):
    values = np.frombuffer(text_bytes(text)[:max_chars], np.uint8)
    chars[i, :len(values)] = values
    lengths[i] = len(values)
  return chars, lengths


def char_counts(texts: list[str]) -> np.ndarray:
  """Untruncated byte count per text (for choosing max_chars from the training split)."""
  return np.array([len(text_bytes(t)) for t in texts])


def encode_ids(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
  """Each text's untruncated token ids."""
  return [e.ids for e in tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def token_counts(tokenizer: Tokenizer, texts: list[str]) -> np.ndarray:
  """Untruncated token count per text (for choosing max_len from the training split)."""
  return np.array([len(ids) for ids in encode_ids(tokenizer, texts)])



def split_lines(text: str) -> list[str]:
  """A text's lines (split on any line break)."""
  return text.splitlines()


def encode_line_ids(tokenizer: Tokenizer, texts: list[str]) -> list[list[list[int]]]:
  """Token ids per line per text, untruncated; lines with no token (blank) are left out.

  Leaving them out (rather than keeping empty rows) means blank lines cannot change a
  HAN's output: its line encoder never sees them.
  """
  lines = [split_lines(t) for t in texts]
  encodings = iter(tokenizer.encode_batch([l for song in lines for l in song], add_special_tokens=False))
  songs = []
  for song in lines:
    ids = [next(encodings).ids for _ in song]
    songs.append([line for line in ids if line])
  return songs


def encode_lines(tokenizer: Tokenizer, texts: list[str], max_lines: int,
                 max_words: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Line-structured ids for the HAN: tokens int32 [N, L, W], word_lengths [N, L], lengths [N].

  Songs keep their first ``max_lines`` non-blank lines, each line its first
  ``max_words`` tokens; every position past a length is 0 (PAD).
  """
  songs = encode_line_ids(tokenizer, texts)
  tokens = np.zeros((len(songs), max_lines, max_words), np.int32)
  word_lengths = np.zeros((len(songs), max_lines), np.int32)
  lengths = np.zeros(len(songs), np.int32)
  for i, song in enumerate(songs):
    lengths[i] = min(len(song), max_lines)
    for j, ids in enumerate(song[:max_lines]):
      ids = ids[:max_words]
      tokens[i, j, :len(ids)] = ids
      word_lengths[i, j] = len(ids)
  return tokens, word_lengths, lengths
