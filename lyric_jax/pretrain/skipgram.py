"""Word vectors from a training split's own texts: skip-gram with negative sampling (word2vec).

Mikolov et al. (2013): each (centre, context) pair within a window of the centre should score
high, and ``negatives`` words drawn from the unigram distribution ** 0.75 should score low:

  loss = -log σ(v_c · u_o) - Σ_k log σ(-v_c · u_k)

with ``v`` the input table (the vectors written out) and ``u`` the output table. As in word2vec,
frequent words are subsampled (each occurrence kept with probability √(t / f), capped at 1),
a pair at distance d is kept with probability (window - d + 1) / window (word2vec's random
window size, in expectation), the learning rate decays linearly to 0, and [PAD]/[UNK]
tokens are dropped before pairing.

The pairs of an epoch are a function of (seed, epoch), the negatives of (seed, step): a run
killed between epochs resumes from its last Orbax checkpoint to the same vectors.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lyric_jax.data.errors import DataError, require
from lyric_jax.train.checkpoint import BEST, TRAIN_STATE, LoopCheckpointer
from lyric_jax.train.interrupts import deferred_interrupts

NOISE_POWER = 0.75   # word2vec's unigram ** 0.75 negative distribution


@dataclasses.dataclass(frozen=True)
class SkipGramConfig:
  dim: int = 100
  window: int = 5
  negatives: int = 5
  subsample: float = 1e-4      # t: word2vec's sub-sampling threshold (0 = keep every token)
  epochs: int = 5
  batch_size: int = 4096       # (centre, context) pairs per step
  lr: float = 2e-3             # Adam, decayed linearly to 0 over all steps
  seed: int = 0

  def __post_init__(self):
    for name in ("dim", "window", "negatives", "epochs", "batch_size"):
      require(getattr(self, name) >= 1, f"{name} must be at least 1, got {getattr(self, name)}")
    require(self.subsample >= 0 and self.lr > 0, f"subsample must be ≥ 0 and lr > 0, got {self}")


@dataclasses.dataclass(frozen=True)
class Corpus:
  """Every kept token of the training texts in one array, and which text each came from."""
  tokens: np.ndarray     # [N] int32 token ids
  texts: np.ndarray      # [N] int32 index of each token's text
  vocab_size: int

  @classmethod
  def from_ids(cls, ids: Sequence[Sequence[int]], vocab_size: int, drop: Sequence[int]) -> "Corpus":
    lengths = np.array([len(x) for x in ids], np.int64)
    tokens = np.fromiter((t for x in ids for t in x), np.int32, int(lengths.sum()))
    texts = np.repeat(np.arange(len(ids), dtype=np.int32), lengths)
    keep = ~np.isin(tokens, np.asarray(drop, np.int32))
    if not keep.any():
      raise DataError("the training texts have no in-vocabulary tokens to train word vectors on")
    return cls(tokens[keep], texts[keep], vocab_size)

  def counts(self) -> np.ndarray:
    return np.bincount(self.tokens, minlength=self.vocab_size)


def keep_probabilities(counts: np.ndarray, threshold: float) -> np.ndarray:
  """Each word's chance that one occurrence is kept: √(t / f) capped at 1 (1 for t = 0)."""
  if threshold == 0:
    return np.ones(len(counts))
  freq = counts / max(counts.sum(), 1)
  with np.errstate(divide="ignore"):
    return np.minimum(1.0, np.sqrt(threshold / freq))


def epoch_pairs(corpus: Corpus, keep: np.ndarray, window: int, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
  """(centres, contexts), shuffled: both directions of every kept pair within ``window`` in one text."""
  kept = rng.random(len(corpus.tokens)) < keep[corpus.tokens]
  tokens, texts = corpus.tokens[kept], corpus.texts[kept]
  centres, contexts = [], []
  for d in range(1, window + 1):
    take = (texts[:-d] == texts[d:]) & (rng.random(len(tokens) - d) < (window - d + 1) / window)
    left, right = tokens[:-d][take], tokens[d:][take]
    centres += [left, right]
    contexts += [right, left]
  order = rng.permutation(sum(len(c) for c in centres))
  return np.concatenate(centres)[order], np.concatenate(contexts)[order]


def init_params(key: jax.Array, vocab_size: int, dim: int) -> dict:
  """word2vec's init: inputs uniform in ±0.5/dim, outputs zero."""
  return {"in": jax.random.uniform(key, (vocab_size, dim), jnp.float32, -0.5 / dim, 0.5 / dim),
          "out": jnp.zeros((vocab_size, dim), jnp.float32)}


def sgns_loss(params: dict, centres: jax.Array, contexts: jax.Array, negatives: jax.Array,
              mask: jax.Array) -> jax.Array:
  """Mean negative-sampling loss over the ``mask``ed pairs ([B] ids, [B, K] negatives)."""
  v = params["in"][centres]
  positive = jax.nn.log_sigmoid(jnp.sum(v * params["out"][contexts], -1))
  negative = jax.nn.log_sigmoid(-jnp.einsum("bd,bkd->bk", v, params["out"][negatives])).sum(-1)
  return -jnp.sum((positive + negative) * mask) / jnp.maximum(mask.sum(), 1.0)


def draw_negatives(key: jax.Array, noise_cdf: jax.Array, shape: tuple[int, ...]) -> jax.Array:
  """Word ids drawn by inverting the (unnormalised) noise CDF, a binary search per draw: a
  Gumbel-max draw (``jax.random.categorical``) makes vocabulary-many random numbers per draw."""
  u = jax.random.uniform(key, shape) * noise_cdf[-1]
  return jnp.minimum(jnp.searchsorted(noise_cdf, u, side="right"), noise_cdf.shape[0] - 1)


def make_step(tx: optax.GradientTransformation, noise_cdf: jax.Array, negatives: int) -> Callable:
  """One jitted update; its negatives come from (key, step), so a resumed run draws the same ones."""

  @jax.jit
  def step(params, opt_state, key, step_index, centres, contexts, mask):
    drawn = draw_negatives(jax.random.fold_in(key, step_index), noise_cdf, (centres.shape[0], negatives))
    loss, grads = jax.value_and_grad(sgns_loss)(params, centres, contexts, drawn, mask)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss

  return step


def nearest(vectors: np.ndarray, vocab: dict[str, int], word: str, k: int = 8) -> list[str]:
  """The ``k`` words whose vectors have the highest cosine with ``word``'s (none if it is not in ``vocab``)."""
  if word not in vocab:
    return []
  unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
  scores = unit @ unit[vocab[word]]
  scores[vocab[word]] = -np.inf
  words = {i: w for w, i in vocab.items()}
  return [words[i] for i in np.argsort(-scores)[:k] if i in words]


def _batches(centres: np.ndarray, contexts: np.ndarray, batch_size: int):
  """Fixed-shape batches (one compile): the last one padded and masked."""
  for start in range(0, len(centres), batch_size):
    c, o = centres[start:start + batch_size], contexts[start:start + batch_size]
    pad = batch_size - len(c)
    mask = np.r_[np.ones(len(c), np.float32), np.zeros(pad, np.float32)]
    yield np.pad(c, (0, pad)), np.pad(o, (0, pad)), mask


def train(corpus: Corpus, config: SkipGramConfig, checkpoint_dir: str | Path,
          log: Callable[[str], None] = print) -> tuple[np.ndarray, list[float]]:
  """([V, dim] input vectors, mean loss per epoch), resuming from ``checkpoint_dir``'s newest epoch."""
  counts = corpus.counts()
  keep = keep_probabilities(counts, config.subsample)
  noise_cdf = jnp.asarray(np.cumsum(counts.astype(np.float64) ** NOISE_POWER), jnp.float32)
  # Steps per epoch vary with the random subsampling: the schedule's length uses the expected count.
  expected_pairs = 2 * sum((config.window - d + 1) / config.window for d in range(1, config.window + 1)) \
      * float((keep[corpus.tokens]).sum())
  total_steps = max(1, config.epochs * math.ceil(expected_pairs / config.batch_size))
  tx = optax.adam(optax.linear_schedule(config.lr, 0.0, total_steps))
  key = jax.random.key(config.seed)
  params = init_params(jax.random.fold_in(key, 0), corpus.vocab_size, config.dim)
  state = {TRAIN_STATE: {"params": params, "opt_state": tx.init(params)}, BEST: {"vectors": params["in"]},
           "step": np.zeros((), np.int64), "losses": np.zeros(config.epochs, np.float32)}
  step_fn = make_step(tx, noise_cdf, config.negatives)
  with deferred_interrupts() as interrupts, LoopCheckpointer(checkpoint_dir) as checkpointer:
    restored = checkpointer.restore_latest(state)
    first = 0
    if restored is not None:
      first, state = restored[0] + 1, restored[1]
      log(f"resumed after epoch {first} of {config.epochs} from {checkpoint_dir}")
    params, opt_state = state[TRAIN_STATE]["params"], state[TRAIN_STATE]["opt_state"]
    step, losses = int(state["step"]), np.array(state["losses"])
    for epoch in range(first, config.epochs):
      centres, contexts = epoch_pairs(corpus, keep, config.window, np.random.default_rng([config.seed, epoch]))
      total, pairs = 0.0, 0
      for c, o, mask in _batches(centres, contexts, config.batch_size):
        params, opt_state, loss = step_fn(params, opt_state, key, step, c, o, mask)
        # Summed on the device: reading each step's loss back would wait for every step.
        total, pairs, step = total + loss * float(mask.sum()), pairs + float(mask.sum()), step + 1
        interrupts.raise_if_pending()
      losses[epoch] = float(total) / max(pairs, 1)
      if not np.isfinite(losses[epoch]):
        raise DataError(f"skip-gram loss is {losses[epoch]} at epoch {epoch + 1}: lower --vectors_lr")
      checkpointer.save(epoch, {TRAIN_STATE: {"params": params, "opt_state": opt_state},
                                BEST: {"vectors": params["in"]}, "step": np.asarray(step), "losses": losses})
      log(f"epoch {epoch + 1}/{config.epochs}: {pairs:,.0f} pairs, loss {losses[epoch]:.4f}")
  return np.asarray(params["in"]), [float(x) for x in losses]
