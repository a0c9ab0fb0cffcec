"""Shared pieces of the benchmarks: the benchmarked architectures, synthetic batches, timing.

Every JAX number goes through the library's own jitted, vmapped train/predict steps
(`lyric_jax.train.steps`), so a benchmark measures what training runs, not a toy loop.
Timings exclude compilation and wait for device results (`block_until_ready`).
"""

from __future__ import annotations

import dataclasses
import resource
import time

import jax
import numpy as np
from absl import flags

from bench import timing
from lyric_jax.data.batches import iterate_batches
from lyric_jax.models import registry
from lyric_jax.train import steps
from lyric_jax.train.objectives import Classification
from lyric_jax.train.sharding import Placement, inference_placement
from lyric_jax.train.state import init_population, make_optimizer

# Benchmark name → (registry model, constructor kwargs given embed E and hidden H). Names need not
# be registry names, but never reuse one for another net: 'birnn_lstm' is the registry's 'rnn'
# bidirectional, while the registry's 'bilstm' is S2's spatial-dropout net.
# 'han' reads lines: seq_len T is laid out as sqrt(T) lines of sqrt(T) words.
ARCHITECTURES = {
    "bag": ("ffnn", lambda e, h: {"embed": e, "hidden": h}),
    "lstm": ("rnn", lambda e, h: {"embed": e, "hidden": h, "cell": "lstm"}),
    "gru": ("rnn", lambda e, h: {"embed": e, "hidden": h, "cell": "gru"}),
    "birnn_lstm": ("rnn", lambda e, h: {"embed": e, "hidden": h, "cell": "lstm", "bidirectional": True}),
    "attn_lstm": ("attn_lstm", lambda e, h: {"embed": e, "hidden": h, "cell": "lstm", "pooling": "attention",
                                              "attn_size": h}),
    "han": ("han", lambda e, h: {"embed": e, "word_hidden": h // 2, "line_hidden": h // 2, "attn_size": h}),
    "cnn": ("cnn", lambda e, h: {"embed": e, "filters": h, "kernel_size": 5, "dense": 64}),
    # The n-gram bag, words + hashed bigrams, pooled by their mean (fastText) or by TF-IDF weights.
    "ngram_bag": ("ngram_bag", lambda e, h: {"embed": e, "ngrams": 2}),
    "tfidf_bag": ("ngram_bag", lambda e, h: {"embed": e, "ngrams": 2, "weighting": "tfidf"}),
}
# The architectures bench.torch_reference has a PyTorch twin of; the others are timed in JAX alone.
TORCH_REFERENCES = ("bag", "lstm", "gru", "birnn_lstm", "attn_lstm", "han", "cnn")


@dataclasses.dataclass(frozen=True)
class Shape:
  batch: int = 64
  seq_len: int = 256
  embed: int = 128
  hidden: int = 128
  vocab: int = 20_000
  classes: int = 4


def define_shape_flags(steps: int, hidden_help: str = "Hidden size.") -> None:
  """The benchmark shape's flags (--batch, --seq_len, --embed, --hidden, --vocab) and --steps;
  ``shape_from_flags`` reads them."""
  flags.DEFINE_integer("batch", Shape.batch, "Batch size.")
  flags.DEFINE_integer("seq_len", Shape.seq_len, "Tokens per example (HAN: sqrt(T) lines of sqrt(T) words).")
  flags.DEFINE_integer("embed", Shape.embed, "Embedding size.")
  flags.DEFINE_integer("hidden", Shape.hidden, hidden_help)
  flags.DEFINE_integer("vocab", Shape.vocab, "Vocabulary size.")
  flags.DEFINE_integer("steps", steps, "Timed train steps per row (inference: the same count).")


def shape_from_flags() -> Shape:
  f = flags.FLAGS
  return Shape(f.batch, f.seq_len, f.embed, f.hidden, f.vocab)


def line_layout(seq_len: int) -> tuple[int, int]:
  lines = max(1, int(round(seq_len ** 0.5)))
  return lines, max(1, seq_len // lines)


def build_model(name: str, shape: Shape, **overrides):
  model_name, kwargs = ARCHITECTURES[name]
  return registry.build(model_name, num_classes=shape.classes, vocab_size=shape.vocab,
                        **{**kwargs(shape.embed, shape.hidden), **overrides})


def synthetic_arrays(name: str, shape: Shape, n: int, seed: int = 0, full_length: bool = True) -> dict:
  """n random examples in the input layout of model `name` (a benchmark or registry name),
  with 22 engineered features; every token is real unless not full_length."""
  rng = np.random.default_rng(seed)
  common = {"label": rng.integers(0, shape.classes, n).astype(np.int32),
            "features": rng.normal(size=(n, 22)).astype(np.float32)}
  if name in registry.HIERARCHICAL:
    lines, words = line_layout(shape.seq_len)
    tokens = rng.integers(1, shape.vocab, (n, lines, words)).astype(np.int32)
    return {"tokens": tokens, "lengths": np.full(n, lines, np.int32),
            "word_lengths": np.full((n, lines), words, np.int32), **common}
  low = shape.seq_len if full_length else max(1, shape.seq_len // 4)
  lengths = rng.integers(low, shape.seq_len + 1, n).astype(np.int32)
  tokens = rng.integers(1, shape.vocab, (n, shape.seq_len)).astype(np.int32)
  tokens[np.arange(shape.seq_len)[None, :] >= lengths[:, None]] = 0
  return {"tokens": tokens, "lengths": lengths, **common}


def synthetic_batches(name: str, shape: Shape, count: int = 4, **kwargs) -> list[dict]:
  arrays = synthetic_arrays(name, shape, shape.batch * count, **kwargs)
  return list(iterate_batches(arrays, shape.batch))


def tokens_per_batch(batch: dict) -> int:
  return int(np.prod(batch["tokens"].shape))


@dataclasses.dataclass
class Timing:
  steps_per_second: float
  compile_seconds: float
  flops_per_step: float | None   # XLA's cost analysis of the compiled step
  temp_bytes: int | None         # XLA's scratch memory for the step (its activations)


def _compile(jitted, args):
  """AOT-compiles the step; returns the executable, compile seconds, FLOPs, scratch bytes."""
  start = time.perf_counter()
  compiled = jitted.lower(*args).compile()
  seconds = time.perf_counter() - start
  cost = compiled.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  memory = compiled.memory_analysis()
  return compiled, seconds, (cost or {}).get("flops"), getattr(memory, "temp_size_in_bytes", None)


def time_training(model, batches: list[dict], population: int = 1, steps_count: int = 20,
                  donate: bool = True, placement: Placement | None = None) -> Timing:
  """Steady-state train steps/s of a vmapped population (one replica = population 1).

  ``placement`` spreads state and batches over devices as training does (sharding.py).
  """
  objective = Classification(int(model.num_classes))
  state = init_population(model, make_optimizer(), batches[0], tuple(range(population)), (1e-3,))
  stats = steps.zero_stats(objective, model.apply, state.params, state.model_state, batches[0])
  if placement is not None:
    batches = [placement.batch(b) for b in batches]
    state, stats = placement.state(state), placement.state(stats)
  train_step, compile_s, flops, temp = _compile(
      steps.make_train_step(objective, donate=donate), (state, stats, batches[0]))
  carry = [state, stats]

  def run_step(i):
    carry[:] = train_step(*carry, batches[i % len(batches)])
    return carry[1]

  return Timing(timing.median_rate(run_step, steps_count, sync=jax.block_until_ready), compile_s, flops, temp)


def time_inference(model, batches: list[dict], steps_count: int = 20, devices: int = 0) -> Timing:
  """Predict steps/s of one replica, each batch split over ``devices`` as predicting splits it
  (``sharding.inference_placement``; 0: all visible devices)."""
  objective = Classification(int(model.num_classes))
  state = init_population(model, make_optimizer(), batches[0], (0,), (1e-3,))
  placement = inference_placement(len(batches[0]["tokens"]), 1, devices)
  params, model_state = placement.state(state.params), placement.state(state.model_state)
  batches = [placement.batch(b) for b in batches]
  predict, compile_s, flops, temp = _compile(
      steps.make_predict_step(objective, model.apply), (params, model_state, batches[0]))
  rate = timing.median_rate(lambda i: predict(params, model_state, batches[i % len(batches)]),
                            steps_count, sync=jax.block_until_ready)
  return Timing(rate, compile_s, flops, temp)


def peak_rss_mb() -> float:
  """This process's peak resident memory (Linux reports KiB)."""
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
