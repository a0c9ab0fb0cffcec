"""Language-model pretraining of a classifier's recurrent encoder (Dai & Le 2015; ULMFiT).

The language model is the classifier's own token embedding and recurrent encoder (the same
module names and shapes) under a next-word head: the forward direction at position t predicts
word t+1, and a bidirectional encoder's backward direction at t predicts word t-1 (ELMo's two
directions). Stacked bidirectional layers are refused: the second layer's backward pass reads
the first layer's forward states, which have read the word it is asked for.

The head predicts the ``output_vocab`` most frequent training words and one 'other' class for
the rest: exact, and far cheaper than a softmax over the whole vocabulary; the encoder still
reads every word. The texts are the training split's, encoded as the classifier encodes them
(flat rows, or every line of a HAN's songs); ``held_out`` of them are kept aside to watch the
loss on and pick the epoch whose weights are kept. Every epoch is an Orbax checkpoint: a killed
run resumes to the same weights. A classifier starts from them through ``encoder_overrides``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from pathlib import Path
from typing import Callable, Mapping

import flax.linen as nn
import flax.traverse_util
import jax
import jax.numpy as jnp
import numpy as np
import optax

from lyric_jax.data.batches import LENGTHS, bucket_boundaries, epoch_order, iterate_batches, steps_per_epoch
from lyric_jax.data.errors import ConfigError, DataError, require
from lyric_jax.models import registry
from lyric_jax.models.recurrent import RecurrentEncoder
from lyric_jax.pretrain import provenance
from lyric_jax.train.checkpoint import BEST, TRAIN_STATE, LoopCheckpointer
from lyric_jax.train.interrupts import deferred_interrupts
from lyric_jax.train.state import lr_multiplier

EMBED, HEAD = "embed", "lm_head"
TEXT = "text"   # word_rows' column: which text a row came from
CHECKPOINTS, INFO_FILE = "checkpoints", "language_model.json"
# Model class → (its recurrent word encoder's module name, the kwarg giving that encoder's size).
ENCODERS = {"RecurrentClassifier": ("encoder", "hidden"), "SpatialDropoutRNN": ("encoder", "hidden"),
            "HAN": ("word_encoder", "word_hidden")}


@dataclasses.dataclass(frozen=True)
class LMConfig:
  epochs: int = 5
  batch_size: int = 64
  lr: float = 2e-3            # Adam; linear warmup over ``warmup`` of the steps, then cosine to 0
  warmup: float = 0.05
  clip_norm: float = 1.0
  dropout: float = 0.1        # on the embeddings, between layers and on the encoder's outputs
  output_vocab: int = 10_000  # words the head predicts (the rest: one 'other' class)
  held_out: float = 0.05      # share of the training texts the loss is watched on
  length_buckets: int = 8
  seed: int = 0

  def __post_init__(self):
    for name in ("epochs", "batch_size", "output_vocab", "length_buckets"):
      require(getattr(self, name) >= 1, f"{name} must be at least 1, got {getattr(self, name)}")
    require(self.lr > 0 and 0 <= self.dropout < 1 and 0 <= self.warmup < 1 and self.clip_norm >= 0,
            f"lr must be > 0, dropout and warmup in [0, 1), clip_norm ≥ 0: {self}")
    require(0 < self.held_out < 1, f"held_out must be in (0, 1), got {self.held_out}")


@dataclasses.dataclass(frozen=True)
class EncoderShape:
  """What a classifier's embedding and recurrent word encoder are: what the LM must match."""
  name: str                # the encoder's module name in the classifier
  embed: int
  hidden: int
  cell: str
  bidirectional: bool
  num_layers: int
  impl: str = "hoisted"    # how it runs (not part of the weights)

  def weights(self) -> dict:
    return {k: v for k, v in dataclasses.asdict(self).items() if k != "impl"}


def encoder_shape(model: str, model_kwargs: Mapping) -> EncoderShape:
  """The embedding and recurrent word encoder of registry model ``model`` built with ``model_kwargs``."""
  cls = registry.model_class(model).__name__
  if cls not in ENCODERS:
    can = sorted(m for m in registry.MODELS if registry.model_class(m).__name__ in ENCODERS)
    raise ConfigError(f"model {model!r} has no recurrent word encoder for a language model to pretrain; "
                      f"these have one: {can}")
  kwargs = {**registry.default_kwargs(model), **model_kwargs}
  name, hidden = ENCODERS[cls]
  shape = EncoderShape(name, kwargs["embed"], kwargs[hidden], kwargs.get("cell", "lstm"),
                       kwargs.get("bidirectional", False), kwargs.get("num_layers", 1),
                       kwargs.get("impl", "hoisted"))
  if shape.bidirectional and shape.num_layers > 1:
    raise ConfigError(f"a bidirectional encoder of {shape.num_layers} layers cannot be pretrained as a language "
                      "model: its upper backward layer reads forward states that have seen the word it predicts")
  return shape


class LanguageModel(nn.Module):
  """tokens [B, T], lengths [B] → next-word logits [B, T, directions, output_size]
  (direction 0 predicts word t+1, direction 1, if bidirectional, word t-1)."""
  shape: EncoderShape
  vocab_size: int
  output_size: int
  dropout: float = 0.0

  @nn.compact
  def __call__(self, tokens: jnp.ndarray, lengths: jnp.ndarray, *, train: bool) -> jnp.ndarray:
    drop = nn.Dropout(self.dropout, deterministic=not train)
    s = self.shape
    x = drop(nn.Embed(self.vocab_size, s.embed, name=EMBED)(tokens))
    outputs, _ = RecurrentEncoder(cell=s.cell, hidden=s.hidden, bidirectional=s.bidirectional,
                                  num_layers=s.num_layers, dropout=self.dropout, impl=s.impl,
                                  name=s.name)(x, lengths, train=train)
    # [B, T, dirs·H] holds the forward states then the backward ones: one head reads both.
    by_direction = outputs.reshape(*outputs.shape[:2], -1, s.hidden)
    return nn.Dense(self.output_size, name=HEAD)(drop(by_direction))


def next_word_loss(logits: jnp.ndarray, classes: jnp.ndarray, lengths: jnp.ndarray,
                   weight: jnp.ndarray) -> tuple[jnp.ndarray, jnp.ndarray]:
  """(summed cross-entropy, number of predicted words) over the real positions.

  ``classes`` [B, T]: each position's word as an output class; ``weight`` [B]: 0 for padding rows.
  Forward: position t < length-1 predicts t+1; backward: 1 ≤ t < length predicts t-1.
  """
  positions = jnp.arange(classes.shape[1])[None]
  real = weight[:, None] > 0
  ahead = jnp.concatenate([classes[:, 1:], classes[:, :1]], axis=1)     # word t+1 (wraps where unused)
  behind = jnp.concatenate([classes[:, -1:], classes[:, :-1]], axis=1)  # word t-1
  parts = [(ahead, real & (positions < lengths[:, None] - 1))]
  if logits.shape[2] == 2:
    parts.append((behind, real & (positions >= 1) & (positions < lengths[:, None])))
  total, count = 0.0, 0
  for direction, (target, valid) in enumerate(parts):
    ce = optax.softmax_cross_entropy_with_integer_labels(logits[:, :, direction], target)
    total, count = total + jnp.sum(jnp.where(valid, ce, 0.0)), count + valid.sum()
  return total, count


def word_rows(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
  """The sequences a word encoder reads, as flat rows {'tokens' [N, T], 'lengths' [N], TEXT [N]}: the
  texts, or for line-structured arrays every line, with the index of the text each came from (so
  a song's lines are held out together); rows with fewer than 2 words (nothing to predict) dropped."""
  if "word_lengths" in arrays:
    tokens = arrays["tokens"].reshape(-1, arrays["tokens"].shape[-1])
    lengths = arrays["word_lengths"].reshape(-1)
    texts = np.repeat(np.arange(arrays["tokens"].shape[0]), arrays["tokens"].shape[1])
  else:
    tokens, lengths, texts = arrays["tokens"], arrays[LENGTHS], np.arange(len(arrays[LENGTHS]))
  keep = lengths >= 2
  if not keep.any():
    raise DataError("no training text has 2 or more words: nothing for a language model to predict")
  return {"tokens": tokens[keep], LENGTHS: lengths[keep].astype(np.int32), TEXT: texts[keep]}


def output_classes(rows: Mapping[str, np.ndarray], vocab_size: int, output_vocab: int,
                   specials: tuple[int, ...]) -> np.ndarray:
  """[vocab_size] int32: the class each word id is predicted as; the ``output_vocab`` most frequent
  non-special words of ``rows`` are 0 .. K-1 (by frequency), every other id (specials too) is K."""
  positions = np.arange(rows["tokens"].shape[1])[None] < rows[LENGTHS][:, None]
  counts = np.bincount(rows["tokens"][positions], minlength=vocab_size).astype(np.int64)
  counts[list(specials)] = 0
  seen = np.flatnonzero(counts)
  top = seen[np.argsort(-counts[seen], kind="stable")][:output_vocab]
  classes = np.full(vocab_size, len(top), np.int32)
  classes[top] = np.arange(len(top), dtype=np.int32)
  return classes


def split_rows(rows: Mapping[str, np.ndarray], held_out: float, seed: int) -> tuple[dict, dict]:
  """(training rows, held-out rows): the rows of a seeded ``held_out`` share of the texts (at least
  one) aside; the TEXT column is dropped."""
  texts = np.unique(rows[TEXT])
  require(len(texts) >= 2, f"a language model needs at least 2 texts (one to hold out), got {len(texts)}")
  order = np.random.default_rng(seed).permutation(texts)
  held = np.isin(rows[TEXT], order[:min(len(texts) - 1, max(1, math.ceil(held_out * len(texts))))])
  return ({k: v[~held] for k, v in rows.items() if k != TEXT}, {k: v[held] for k, v in rows.items() if k != TEXT})


def vocabulary_digest(vocab: Mapping[str, int]) -> str:
  """SHA-256 of a tokenizer's word → id map: a classifier may start from an LM only with the same ids."""
  return hashlib.sha256(json.dumps(sorted(vocab.items())).encode()).hexdigest()


def _optimizer(config: LMConfig, total_steps: int) -> optax.GradientTransformation:
  schedule = lr_multiplier("cosine", total_steps, config.warmup)
  clip = [optax.clip_by_global_norm(config.clip_norm)] if config.clip_norm > 0 else []
  return optax.chain(*clip, optax.adam(lambda step: config.lr * schedule(step)))


def train(rows: Mapping[str, np.ndarray], vocab_size: int, shape: EncoderShape, config: LMConfig,
          checkpoint_dir: str | Path, specials: tuple[int, ...] = (0,),
          log: Callable[[str], None] = print) -> tuple[dict, list[dict], int]:
  """(the LM's parameters of its best held-out epoch, one record per epoch, that epoch), resuming
  from ``checkpoint_dir``'s newest epoch. ``rows``: ``word_rows`` of the training split."""
  classes = output_classes(rows, vocab_size, config.output_vocab, specials)
  train_rows, held_rows = split_rows(rows, config.held_out, config.seed)
  model = LanguageModel(shape, vocab_size, int(classes.max()) + 1, config.dropout)
  boundaries = bucket_boundaries(train_rows, config.length_buckets)
  steps = steps_per_epoch(train_rows, config.batch_size, boundaries)
  tx = _optimizer(config, config.epochs * steps)
  key = jax.random.key(config.seed)
  sample = next(iterate_batches(train_rows, 1))
  params = model.init(jax.random.fold_in(key, 0), sample["tokens"], sample[LENGTHS], train=False)["params"]
  classes = jnp.asarray(classes)

  def loss_fn(params, batch, rng, train):
    logits = model.apply({"params": params}, batch["tokens"], batch[LENGTHS], train=train, rngs={"dropout": rng})
    return next_word_loss(logits, classes[batch["tokens"]], batch[LENGTHS], batch["weight"])

  @jax.jit
  def train_step(params, opt_state, batch, step):
    def mean_loss(p):
      total, count = loss_fn(p, batch, jax.random.fold_in(key, step), True)
      return total / jnp.maximum(count, 1), (total, count)
    (_, sums), grads = jax.value_and_grad(mean_loss, has_aux=True)(params)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, sums

  @jax.jit
  def eval_step(params, batch):
    return loss_fn(params, batch, key, False)

  def held_out_loss(params):
    total, count = 0.0, 0.0
    for batch in iterate_batches(held_rows, config.batch_size, boundaries=boundaries):
      t, c = eval_step(params, batch)
      total, count = total + t, count + c
    return float(total) / max(float(count), 1.0)

  state = {TRAIN_STATE: {"params": params, "opt_state": tx.init(params)}, BEST: {"params": params},
           "step": np.zeros((), np.int64), "losses": np.zeros(config.epochs, np.float32),
           "held_out_losses": np.zeros(config.epochs, np.float32), "best_epoch": np.zeros((), np.int32)}
  with deferred_interrupts() as interrupts, LoopCheckpointer(checkpoint_dir) as checkpointer:
    first = 0
    if (restored := checkpointer.restore_latest(state)) is not None:
      first, state = restored[0] + 1, restored[1]
      log(f"resumed after epoch {first} of {config.epochs} from {checkpoint_dir}")
    params, opt_state = state[TRAIN_STATE]["params"], state[TRAIN_STATE]["opt_state"]
    best, step = state[BEST]["params"], int(state["step"])
    losses, held_losses = np.array(state["losses"]), np.array(state["held_out_losses"])
    best_epoch = int(state["best_epoch"])
    for epoch in range(first, config.epochs):
      start, total, count = time.perf_counter(), 0.0, 0.0
      order = epoch_order(len(train_rows[LENGTHS]), config.seed, epoch)
      for batch in iterate_batches(train_rows, config.batch_size, order=order, boundaries=boundaries):
        params, opt_state, (t, c) = train_step(params, opt_state, batch, step)
        # Summed on the device: reading each step's loss back would wait for every step.
        total, count, step = total + t, count + c, step + 1
        interrupts.raise_if_pending()
      losses[epoch] = float(total) / max(float(count), 1.0)
      held_losses[epoch] = held_out_loss(params)
      if not np.isfinite(losses[epoch]):
        raise DataError(f"language-model loss is {losses[epoch]} at epoch {epoch + 1}: lower --lr")
      if best_epoch == 0 or held_losses[epoch] < held_losses[best_epoch - 1]:
        best, best_epoch = params, epoch + 1
      checkpointer.save(epoch, {TRAIN_STATE: {"params": params, "opt_state": opt_state}, BEST: {"params": best},
                                "step": np.asarray(step), "losses": losses, "held_out_losses": held_losses,
                                "best_epoch": np.asarray(best_epoch, np.int32)})
      log(f"epoch {epoch + 1}/{config.epochs}: training loss {losses[epoch]:.4f}, held-out loss "
          f"{held_losses[epoch]:.4f} (perplexity {math.exp(held_losses[epoch]):.1f} over "
          f"{int(classes.max()) + 1:,} classes), {time.perf_counter() - start:.0f} s")
  history = [{"epoch": e + 1, "loss": float(losses[e]), "held_out_loss": float(held_losses[e])}
             for e in range(config.epochs)]
  return jax.tree.map(np.asarray, best), history, best_epoch


def write_info(directory: Path, info: dict, which: np.ndarray) -> Path:
  """The folder's ``language_model.json``: written last, so only a finished run has one."""
  return provenance.write_sidecar(directory, which, info, sidecar=directory / INFO_FILE)


def read_info(directory: str | Path) -> dict:
  path = Path(directory) / INFO_FILE
  if not path.exists():
    raise DataError(f"{directory} holds no finished language model ({INFO_FILE} is missing): train one with "
                    "python -m experiments.language_model --out=DIR -- <experiment> <its flags>")
  return json.loads(path.read_text())


def check_split(directory: str | Path, which: np.ndarray) -> None:
  """DataError unless the language model in ``directory`` held out exactly this run's val/test rows."""
  provenance.check_held_out(directory, which, sidecar=Path(directory) / INFO_FILE)


def encoder_overrides(directory: str | Path, shape: EncoderShape, vocab: Mapping[str, int]) -> dict[str, np.ndarray]:
  """{parameter path: array} of the embedding and word encoder of the language model in
  ``directory``, for a classifier with encoder ``shape`` and tokenizer vocabulary ``vocab``."""
  info = read_info(directory)
  if info["vocabulary_sha256"] != vocabulary_digest(vocab):
    raise DataError(f"the language model in {directory} was trained with another vocabulary than this run's: "
                    "train it with this run's data and tokenizer flags")
  trained = EncoderShape(**info["encoder"])
  if trained.weights() != shape.weights():
    raise DataError(f"the language model in {directory} has encoder {trained.weights()}, this model "
                    f"{shape.weights()}: train one with this run's model flags")
  model = LanguageModel(trained, info["vocab_size"], info["output_size"])
  one = jnp.zeros((1, 2), jnp.int32)
  template = jax.eval_shape(lambda: model.init(jax.random.key(0), one, jnp.array([2]), train=False)["params"])
  with LoopCheckpointer(Path(directory) / CHECKPOINTS) as checkpointer:
    restored = checkpointer.restore_latest({BEST: {"params": template}})
  if restored is None:
    raise DataError(f"{directory}/{CHECKPOINTS} has no checkpoint of its language model")
  flat = flax.traverse_util.flatten_dict(restored[1][BEST]["params"], sep="/")
  return {path: np.asarray(value) for path, value in flat.items() if not path.startswith(HEAD + "/")}
