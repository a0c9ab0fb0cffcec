"""Pretrained word vectors in GloVe text format (one ``word v1 v2 … vD`` per line).

``embedding_matrix`` builds the [vocab, D] matrix for a fitted tokenizer's vocabulary:
row i holds the vector of the word with id i; words the file lacks, and the special
tokens ([PAD], [UNK]), get zeros, as in study S2 (84k of its 256k words were found).
Only vocabulary words are kept while streaming, so the 400k-word file never sits in
memory as a dict.
"""

from __future__ import annotations

import dataclasses
import gzip
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from lyric_jax.data import download
from lyric_jax.data.errors import DataError
from lyric_jax.data.tokenize import PAD, UNK

GLOVE_6B_ARCHIVE = "glove.6B.zip"   # manifest entry (sha256-verified); holds glove.6B.{50,100,200,300}d.txt


@dataclasses.dataclass(frozen=True)
class EmbeddingSpec:
  """How a run's token embedding starts and whether it trains.

  ``vectors``: a GloVe-format file (a path, or a file name in the data dir such as
  ``glove.6B.100d.txt``); None = random initialisation (trained from scratch).
  ``freeze``: keep the embedding fixed (optax masking; study S2 froze GloVe).
  ``language_model``: a folder of ``experiments.language_model``: the embedding *and* the
  recurrent word encoder start from its weights (not with ``vectors``).
  ``pretrained_lr_scale``: factor on the learning rate of the layers it initialised (ULMFiT's
  discriminative rates; 1 = the run's rate).
  """
  vectors: str | None = None
  freeze: bool = False
  language_model: str | None = None
  pretrained_lr_scale: float = 1.0

  def __post_init__(self):
    if self.vectors and self.language_model:
      raise DataError("--vectors and --language_model both initialise the embedding: give one")
    if not 0 < self.pretrained_lr_scale <= 1 or (self.pretrained_lr_scale != 1 and not self.language_model):
      raise DataError(f"pretrained_lr_scale must be in (0, 1] and needs a language model, got "
                      f"{self.pretrained_lr_scale}")


def find_vectors(name: str, data_dir: str | Path | None = None) -> Path:
  """A vectors file by path or by name in the data dir; GloVe 6B files come from the manifest zip."""
  path = Path(name).expanduser()
  if path.exists():
    return path
  data_dir = download.resolve_data_dir(data_dir)
  if (data_dir / name).exists():
    return data_dir / name
  if not name.startswith("glove.6B."):
    raise DataError(f"Word vectors {name!r} not found (as a path or in {data_dir.resolve()}).")
  archive = data_dir / GLOVE_6B_ARCHIVE
  if not archive.exists():
    download.download(GLOVE_6B_ARCHIVE, data_dir)    # unpacks every member into data_dir
  if not (data_dir / name).exists():
    with zipfile.ZipFile(archive) as z:
      if name not in z.namelist():
        raise DataError(f"{archive} has no member {name}; it has {z.namelist()}")
      z.extract(name, data_dir)
  return data_dir / name


def _open_text(path: Path):
  if path.suffix == ".gz":
    return gzip.open(path, "rt", encoding="utf-8")
  return open(path, encoding="utf-8")


def embedding_matrix(path: str | Path, vocab: Mapping[str, int],
                     special: tuple[str, ...] = (PAD, UNK)) -> tuple[np.ndarray, dict]:
  """([V, D] float32 matrix, coverage) for ``vocab`` (word → id) from a GloVe text file.

  ``coverage`` counts hits and misses over the vocabulary's real words (not the special
  tokens). A word repeated in the file keeps its first vector. Words may contain
  spaces (GloVe 840B does): the last D fields are the vector.
  """
  path = Path(path)
  if not path.exists():
    raise DataError(f"Word vectors file not found: {path.resolve()}")
  size = max(vocab.values()) + 1
  words = {w: i for w, i in vocab.items() if w not in special}
  matrix, dim, found = None, None, set()
  try:
    with _open_text(path) as f:
      for lineno, line in enumerate(f, 1):
        parts = line.rstrip().split(" ")
        if dim is None:
          if lineno == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
            continue                      # a word2vec-style "count dim" header line
          dim = len(parts) - 1
          if dim < 1:
            raise DataError(f"{path}:{lineno}: expected 'word v1 … vD', got {line[:60]!r}")
          matrix = np.zeros((size, dim), np.float32)
        if len(parts) < dim + 1:
          raise DataError(f"{path}:{lineno}: expected a word and {dim} numbers, got {len(parts) - 1} field(s)")
        word = " ".join(parts[:-dim])
        index = words.get(word)
        if index is None or word in found:
          continue
        try:
          matrix[index] = np.asarray(parts[-dim:], np.float32)
        except ValueError:
          raise DataError(f"{path}:{lineno}: the vector of {word!r} has non-numeric values") from None
        found.add(word)
  except UnicodeDecodeError as e:
    raise DataError(f"{path} is not UTF-8 text ({e.reason}); GloVe files are UTF-8.") from None
  if matrix is None:
    raise DataError(f"{path} holds no vectors")
  coverage = {"file": str(path), "dim": dim, "vocab_words": len(words), "hits": len(found),
              "misses": len(words) - len(found)}
  return matrix, coverage


def write_vectors(path: str | Path, vocab: Mapping[str, int], matrix: np.ndarray,
                  special: tuple[str, ...] = (PAD, UNK)) -> int:
  """Writes ``vocab``'s words (not the special tokens) with their rows of ``matrix`` as a GloVe
  text file, in id order, so ``embedding_matrix`` (``--vectors``) reads it back; returns the
  number of words. Written beside the target and renamed into place, so a kill leaves no half file."""
  path = Path(path)
  words = sorted((i, w) for w, i in vocab.items() if w not in special and " " not in w)
  tmp = path.with_name(path.name + ".partial")
  with open(tmp, "w", encoding="utf-8") as f:
    for i, word in words:
      f.write(word + " " + " ".join(f"{x:.6g}" for x in matrix[i]) + "\n")
  tmp.replace(path)
  return len(words)
