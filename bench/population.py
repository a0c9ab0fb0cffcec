"""Throughput of a vmapped population of P replicas vs one model, same batches.

    python -m bench.population --model=combined --population=1,3,8 --batch_size=32 --seq_len=512
    python -m bench.population --model=attn_lstm --population=3 --batch_size=64 --seq_len=281 \
        --classes=2 --model_kwargs='{"pooling": "attention", "hidden": 64, "unroll": 8}'

Reports steady-state train steps/s (compile excluded, device results awaited) and
examples/s per replica. A population is worth it when P replicas cost well under P×.
"""

import json
import time

import jax
import numpy as np
from absl import app, flags

from lyric_jax.data.batches import iterate_batches
from lyric_jax.models import registry
from lyric_jax.train import steps
from lyric_jax.train.objectives import Classification
from lyric_jax.train.state import init_population, make_optimizer

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "combined", "Registered model name.")
flags.DEFINE_list("population", ["1", "3", "8"], "Population sizes to time.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_integer("seq_len", 512, "Tokens per example.")
flags.DEFINE_integer("vocab", 30522, "Vocabulary size.")
flags.DEFINE_integer("features", 22, "Engineered features per example.")
flags.DEFINE_integer("classes", 4, "Classes.")
flags.DEFINE_integer("steps", 50, "Timed steps per measurement.")
flags.DEFINE_string("model_kwargs", "{}", "JSON dict of model constructor arguments (sizes, cell, pooling).")


def synthetic_arrays(n, rng):
  lengths = rng.integers(FLAGS.seq_len // 4, FLAGS.seq_len + 1, n).astype(np.int32)
  tokens = rng.integers(1, FLAGS.vocab, (n, FLAGS.seq_len)).astype(np.int32)
  tokens[np.arange(FLAGS.seq_len)[None, :] >= lengths[:, None]] = 0
  return {"tokens": tokens, "lengths": lengths, "label": rng.integers(0, FLAGS.classes, n).astype(np.int32),
          "features": rng.normal(size=(n, FLAGS.features)).astype(np.float32)}


def time_population(model, objective, batches, population):
  state = init_population(model, make_optimizer(), batches[0], tuple(range(population)), (1e-3,))
  stats = steps.zero_stats(objective, model.apply, state.params, state.model_state, batches[0])
  train_step = steps.make_train_step(objective)
  state, stats = train_step(state, stats, batches[0])          # compile
  jax.block_until_ready(stats)
  start = time.perf_counter()
  for i in range(FLAGS.steps):
    state, stats = train_step(state, stats, batches[i % len(batches)])
  jax.block_until_ready(stats)
  return FLAGS.steps / (time.perf_counter() - start)


def main(argv):
  del argv
  rng = np.random.default_rng(0)
  batches = list(iterate_batches(synthetic_arrays(FLAGS.batch_size * 8, rng), FLAGS.batch_size))
  kwargs = {"num_classes": FLAGS.classes, **json.loads(FLAGS.model_kwargs)}
  if FLAGS.model != "meta":
    kwargs["vocab_size"] = FLAGS.vocab
  model = registry.build(FLAGS.model, **kwargs)
  objective = Classification(FLAGS.classes)
  print(f"device: {jax.devices()[0].device_kind}, model {FLAGS.model} {FLAGS.model_kwargs}, "
        f"batch {FLAGS.batch_size}, seq_len {FLAGS.seq_len}")
  print("| population | steps/s | examples/s (all replicas) | step time vs P=1 |")
  print("|---|---|---|---|")
  base = None
  for p in (int(x) for x in FLAGS.population):
    rate = time_population(model, objective, batches, p)
    base = base or rate
    print(f"| {p} | {rate:.1f} | {rate * FLAGS.batch_size * p:.0f} | {base / rate:.2f}× |")


if __name__ == "__main__":
  app.run(main)
