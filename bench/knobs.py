"""Which recurrent-layer settings train fastest: measured, not guessed.

    python -m bench.knobs                      # LSTM and GRU, B=64, T=256, E=H=128

Knobs: the layer implementation (`impl`: flax's `nn.RNN` over its cell, our
`lax.scan` with the input matmul inside the step, or hoisted out of it), scan
`unroll`, bf16 matmuls with f32 parameters, and buffer donation of the train
state. Every row is the library's train step on the same synthetic batches; the
fastest setting is what `RecurrentEncoder` uses by default.
"""

from __future__ import annotations

import itertools

import jax.numpy as jnp
from absl import app, flags

from bench import harness
from lyric_jax import host_memory

FLAGS = flags.FLAGS
flags.DEFINE_list("cells", ["lstm", "gru"], "Recurrent cells to time.")
flags.DEFINE_list("impls", ["flax", "scan", "hoisted"], "Layer implementations (RecurrentEncoder.impl).")
flags.DEFINE_list("unrolls", ["1", "4", "16"], "Scan unroll factors.")
flags.DEFINE_integer("batch", 64, "Batch size.")
flags.DEFINE_integer("seq_len", 256, "Tokens per example.")
flags.DEFINE_integer("size", 128, "Embedding and hidden size.")
flags.DEFINE_integer("steps", 20, "Timed train steps per setting.")


def tokens_per_second(cell: str, donate: bool = True, **layer) -> float:
  shape = harness.Shape(FLAGS.batch, FLAGS.seq_len, FLAGS.size, FLAGS.size)
  model = harness.build_model(cell, shape, **layer)
  batches = harness.synthetic_batches(cell, shape)
  timing = harness.time_training(model, batches, steps_count=FLAGS.steps, donate=donate)
  return timing.steps_per_second * harness.tokens_per_batch(batches[0])


def main(argv):
  del argv
  host_memory.keep_freed_memory()   # as lyric_jax's command lines do
  print(f"B={FLAGS.batch} T={FLAGS.seq_len} E=H={FLAGS.size}: train tokens/s")
  print("| cell | impl | unroll | dtype | donate | train tokens/s | vs flax, unroll 1 |\n|---|---|---|---|---|---|---|")
  for cell in FLAGS.cells:
    rates = {}
    for impl, unroll in itertools.product(FLAGS.impls, (int(u) for u in FLAGS.unrolls)):
      rates[impl, unroll, "f32", True] = tokens_per_second(cell, impl=impl, unroll=unroll)
    best_impl, best_unroll = max(rates, key=rates.get)[:2]
    bf16 = {} if best_impl == "flax" else {"dtype": jnp.bfloat16}
    if bf16:
      rates[best_impl, best_unroll, "bf16", True] = tokens_per_second(cell, impl=best_impl,
                                                                      unroll=best_unroll, **bf16)
    rates[best_impl, best_unroll, "f32", False] = tokens_per_second(cell, donate=False, impl=best_impl,
                                                                    unroll=best_unroll)
    base = rates.get(("flax", 1, "f32", True))
    for (impl, unroll, dtype, donate), rate in rates.items():
      versus = f"{rate / base:.2f}×" if base else "—"
      print(f"| {cell} | {impl} | {unroll} | {dtype} | {donate} | {rate:,.0f} | {versus} |", flush=True)


if __name__ == "__main__":
  app.run(main)
