"""The fitted preprocessing of a run: label map, tokenizer, length cap, feature scaling.

Everything here is fitted on the training split only, saved next to the checkpoint,
and reloaded by ``lyric_jax.predict`` so new text is encoded exactly as in training.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
from tokenizers import Tokenizer

from lyric_jax.data import tokenize
from lyric_jax.data.feature_scaling import FEATURE_TRANSFORMS, fit_quantiles, quantile_normal
from lyric_jax.data.errors import DataError, require
from lyric_jax.data.table import LABEL, TEXT, Table
from lyric_jax.run.rundir import PREPROCESSOR_FILE, TOKENIZER_FILE, write_json_atomic, write_text_atomic


@dataclasses.dataclass(frozen=True)
class TextSpec:
  """How text becomes ids: a tokenizer file to load, or one to train, and length caps.

  ``layout='flat'`` gives tokens [N, T] with T = ``max_len``; ``'lines'`` (HAN) splits
  on line breaks into tokens [N, L, W] with L = ``max_lines``, W = ``max_words``.
  ``max_chars`` other than '0' adds the text's bytes, chars [N, C] with C = ``max_chars``
  (char n-gram models). Each cap is a number or a rule over the training counts: 'mean'
  (study S3), 'p95', or 'max' (pad to the longest, study S0/S2).
  """
  tokenizer: str = "wordlevel"   # 'wordlevel' | 'wordpiece' | 'keras' | path to a tokenizer.json
  min_frequency: int = 2
  vocab_size: int = 30000
  max_len: str = "256"
  lowercase: bool = True
  layout: str = "flat"           # 'flat' | 'lines'
  max_lines: str = "40"
  max_words: str = "12"
  max_chars: str = "0"           # '0': no chars array

  def __post_init__(self):
    require(self.vocab_size >= 1, f"vocab_size must be at least 1, got {self.vocab_size}")
    require(self.min_frequency >= 0, f"min_freq must be ≥ 0, got {self.min_frequency}")
    require(self.layout in ("flat", "lines"), f"layout must be 'flat' or 'lines', got {self.layout!r}")
    for name in ("max_len", "max_lines", "max_words"):
      check_length_rule(name, getattr(self, name))
    if str(self.max_chars) != "0":
      check_length_rule("max_chars", self.max_chars)


TARGETS = ("classes", "score")


@dataclasses.dataclass
class Preprocessor:
  """``target`` says how labels are encoded: 'classes' → int ids into ``labels``,
  'score' → the float score itself (regression; ``labels`` is empty)."""
  labels: list[str]
  feature_names: list[str]
  feature_mean: list[float]
  feature_std: list[float]
  max_len: int = 0
  target: str = "classes"
  tokenizer: Tokenizer | None = None
  layout: str = "flat"
  max_lines: int = 0
  max_words: int = 0
  max_chars: int = 0                                   # > 0: encode also gives chars [N, max_chars]
  feature_quantiles: list[list[float]] | None = None   # set: quantile scaling (feature_scaling.py)

  @property
  def num_classes(self) -> int:
    return len(self.labels)

  @property
  def num_outputs(self) -> int:
    """Width of the model's output: one unit per class, or a single score."""
    return 1 if self.target == "score" else self.num_classes

  @property
  def vocab_size(self) -> int:
    return self.tokenizer.get_vocab_size() if self.tokenizer else 0

  @classmethod
  def fit(cls, train: Table, labels: list[str], text: TextSpec | None,
          target: str = "classes", feature_transform: str = "standard") -> "Preprocessor":
    if target not in TARGETS:
      raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    require(feature_transform in FEATURE_TRANSFORMS,
            f"feature_transform must be one of {list(FEATURE_TRANSFORMS)}, got {feature_transform!r}")
    features = train.frame[list(train.feature_names)].to_numpy(np.float64)
    quantiles = fit_quantiles(features) if feature_transform == "quantile" else None
    if quantiles is not None:   # mean/std then standardise the normal scores (≈ 0 / 1 already)
      features = quantile_normal(features, quantiles)
    mean = features.mean(0) if len(features) else np.zeros(features.shape[1])
    std = features.std(0) if len(features) else np.ones(features.shape[1])
    std = np.where(std > 1e-12, std, 1.0)   # a constant feature is centred, not divided by 0
    tokenizer, max_len, lines, max_chars = None, 0, {}, 0
    if text is not None:
      texts = train.frame[TEXT].tolist()
      if text.tokenizer in ("wordlevel", "wordpiece", "keras"):
        tokenizer = tokenize.train_tokenizer(texts, text.tokenizer, min_frequency=text.min_frequency,
                                             vocab_size=text.vocab_size, lowercase=text.lowercase)
      else:
        tokenizer = tokenize.load_tokenizer(text.tokenizer)
      if text.layout == "flat":
        max_len = _resolve_max_len(text.max_len, tokenize.token_counts(tokenizer, texts))
        _check_padded_size(len(texts), (max_len,), f"max_len={text.max_len!r}")
      elif text.layout == "lines":
        songs = tokenize.encode_line_ids(tokenizer, texts)
        lines = {"max_lines": _resolve_max_len(text.max_lines, np.array([len(s) for s in songs])),
                 "max_words": _resolve_max_len(text.max_words,
                                               np.array([len(l) for s in songs for l in s]))}
        _check_padded_size(len(texts), tuple(lines.values()),
                           f"max_lines={text.max_lines!r}, max_words={text.max_words!r}")
      else:
        raise DataError(f"text layout must be 'flat' or 'lines', got {text.layout!r}")
      if str(text.max_chars) != "0":
        max_chars = _resolve_max_len(text.max_chars, tokenize.char_counts(texts))
        _check_padded_size(len(texts), (max_chars,), f"max_chars={text.max_chars!r}")
    labels = list(labels) if target == "classes" else []
    return cls(labels, list(train.feature_names), mean.tolist(), std.tolist(), max_len,
               target=target, tokenizer=tokenizer, layout=text.layout if text is not None else "flat",
               max_chars=max_chars, feature_quantiles=quantiles, **lines)

  def encode(self, table: Table) -> dict[str, np.ndarray]:
    """Arrays for the model: tokens/lengths (if text), chars/char_lengths (if ``max_chars``),
    features, label (if labelled)."""
    missing = [f for f in self.feature_names if f not in table.frame]
    if missing:
      raise DataError(f"{table.source} rows lack feature column(s) {missing} the model was trained on")
    arrays = {}
    if self.tokenizer is not None and self.layout == "lines":
      arrays["tokens"], arrays["word_lengths"], arrays["lengths"] = tokenize.encode_lines(
          self.tokenizer, table.frame[TEXT].tolist(), self.max_lines, self.max_words)
    elif self.tokenizer is not None:
      arrays["tokens"], arrays["lengths"] = tokenize.encode_flat(
          self.tokenizer, table.frame[TEXT].tolist(), self.max_len)
    if self.max_chars:
      arrays["chars"], arrays["char_lengths"] = tokenize.encode_chars(table.frame[TEXT].tolist(), self.max_chars)
    if self.feature_names:
      raw = table.frame[self.feature_names].to_numpy(np.float64)
      if self.feature_quantiles is not None:
        raw = quantile_normal(raw, self.feature_quantiles)
      arrays["features"] = ((raw - self.feature_mean) / self.feature_std).astype(np.float32)
    if table.labeled:
      arrays["label"] = (self.scores(table.frame[LABEL]) if self.target == "score"
                         else self.label_ids(table.frame[LABEL]))
    return arrays

  def scores(self, values) -> np.ndarray:
    scores = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), np.float32)
    bad = ~np.isfinite(scores)
    if bad.any():
      raise DataError(f"{int(bad.sum())} label(s) are not numeric scores, e.g. "
                      f"{list(pd.Series(values)[bad][:3])}; a score model needs numbers")
    return scores

  def label_ids(self, names) -> np.ndarray:
    index = {name: i for i, name in enumerate(self.labels)}
    unknown = sorted(set(names) - set(index))
    if unknown:
      raise DataError(f"Unknown label(s) {unknown[:10]}; the model knows {self.labels}")
    return np.array([index[n] for n in names], np.int32)

  def save(self, directory: str | Path) -> None:
    """Tokenizer first, spec last, each whole or not at all: a run holding the spec holds both."""
    directory = Path(directory)
    spec = {k: v for k, v in dataclasses.asdict(self).items() if k != "tokenizer"}
    if self.tokenizer is not None:
      write_text_atomic(directory / TOKENIZER_FILE, self.tokenizer.to_str())
    write_json_atomic(directory / PREPROCESSOR_FILE, spec)

  @classmethod
  def load(cls, directory: str | Path) -> "Preprocessor":
    directory = Path(directory)
    if not (directory / PREPROCESSOR_FILE).exists():
      raise DataError(f"{directory} has no {PREPROCESSOR_FILE}: is it a lyric_jax run directory?")
    spec = json.loads((directory / PREPROCESSOR_FILE).read_text())
    tokenizer_path = directory / TOKENIZER_FILE
    tokenizer = tokenize.load_tokenizer(tokenizer_path) if tokenizer_path.exists() else None
    return cls(**spec, tokenizer=tokenizer)


# Padded int32 token ids of the training split above this size mean a length rule ('max')
# was set by an outlier text: fail with the fix rather than exhaust memory inside numpy/JAX.
MAX_PADDED_BYTES = 4 << 30


def _check_padded_size(rows: int, shape: tuple[int, ...], rule: str) -> None:
  size = rows * int(np.prod(shape)) * 4
  if size > MAX_PADDED_BYTES:
    raise DataError(
        f"{rule} pads every text to {' x '.join(f'{d:,}' for d in shape)} tokens: "
        f"{size / 2**30:.1f} GiB of token ids for {rows:,} training texts, so some text is far longer "
        "than the rest. Cap the length with a percentile ('p95') or a number (e.g. --max_len=512).")


_LENGTH_RULES = {"mean": np.mean, "max": np.max, "p95": lambda c: np.percentile(c, 95)}


def check_length_rule(name: str, rule: str) -> None:
  rule = str(rule)
  require((rule.isdigit() and int(rule) > 0) or rule in _LENGTH_RULES,
          f"{name} must be a positive integer or one of {sorted(_LENGTH_RULES)}, got {rule!r}")


def _resolve_max_len(rule: str, counts: np.ndarray) -> int:
  rule = str(rule)
  if rule.isdigit():
    return int(rule)
  return max(1, int(np.ceil(_LENGTH_RULES[rule](counts)))) if len(counts) else 1
