"""Throughput of a vmapped population of P replicas vs one model, same batches.

    python -m bench.population --model=combined --population=1,3,8 --batch_size=32 --seq_len=512
    python -m bench.population --model=attn_lstm --population=3 --batch_size=64 --seq_len=281 \
        --classes=2 --model_kwargs='{"pooling": "attention", "hidden": 64, "unroll": 8}'

Reports steady-state train steps/s (compile excluded, device results awaited) and
examples/s per replica. A population is worth it when P replicas cost well under P×.
"""

import json

import jax
from absl import app, flags

from bench import harness
from lyric_jax import host_memory
from lyric_jax.models import registry

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "combined", "Registered model name.")
flags.DEFINE_list("population", ["1", "3", "8"], "Population sizes to time.")
flags.DEFINE_integer("batch_size", 32, "Batch size.")
flags.DEFINE_integer("seq_len", 512, "Tokens per example.")
flags.DEFINE_integer("vocab", 30522, "Vocabulary size.")
flags.DEFINE_integer("classes", 4, "Classes.")
flags.DEFINE_integer("steps", 50, "Timed steps per measurement.")
flags.DEFINE_string("model_kwargs", "{}", "JSON dict of model constructor arguments (sizes, cell, pooling).")


def main(argv):
  del argv
  host_memory.keep_freed_memory()   # as lyric_jax's command lines do
  shape = harness.Shape(batch=FLAGS.batch_size, seq_len=FLAGS.seq_len, vocab=FLAGS.vocab, classes=FLAGS.classes)
  batches = harness.synthetic_batches(FLAGS.model, shape, count=8, full_length=False)
  kwargs = {"num_classes": FLAGS.classes, **json.loads(FLAGS.model_kwargs)}
  if FLAGS.model != "meta":
    kwargs["vocab_size"] = FLAGS.vocab
  model = registry.build(FLAGS.model, **kwargs)
  print(f"device: {jax.devices()[0].device_kind}, model {FLAGS.model} {FLAGS.model_kwargs}, "
        f"batch {FLAGS.batch_size}, seq_len {FLAGS.seq_len}")
  print("| population | steps/s | examples/s (all replicas) | step time vs P=1 |")
  print("|---|---|---|---|")
  base = None
  for p in (int(x) for x in FLAGS.population):
    rate = harness.time_training(model, batches, p, FLAGS.steps).steps_per_second
    base = base or rate
    print(f"| {p} | {rate:.1f} | {rate * FLAGS.batch_size * p:.0f} | {base / rate:.2f}× |")


if __name__ == "__main__":
  app.run(main)
