"""Length buckets on real data: epoch time of a study job's train steps, by bucket count.

    python -m bench.buckets --job=S3:imdb-attn_lstm --buckets=1,4,8 --data_dir=../shared/data
    python -m bench.buckets --job=S3:imdb-attn_lstm --set=--max_len=p95 --buckets=1,8   # whole reviews

The job's own spec (`experiments.studies`, full budget, `--num_seeds` replicas) is read,
split and encoded as training does; each row then times the library's jitted train step
over the first `--batches` batches of epoch 1's bucketed order (every bucket compiled
first, results awaited), and scales to the whole training split. The padded share is what
the buckets remove: positions stepped through that hold no token.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time

import jax
import numpy as np
from absl import app, flags

from experiments.experiment import job_spec
from experiments.studies import select
from lyric_jax import host_memory
from lyric_jax.data.batches import (bucket_boundaries, epoch_order, iterate_batches, num_rows, padded_length,
                                    steps_per_epoch)
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.table import LABEL
from lyric_jax.run import build
from lyric_jax.run.pipeline import load_table, split_table
from lyric_jax.train import steps
from lyric_jax.train.state import init_population

FLAGS = flags.FLAGS
flags.DEFINE_string("job", "S3:imdb-attn_lstm", "STUDY:JOB of the full budget (experiments.studies).")
flags.DEFINE_list("buckets", ["1", "4", "8"], "Bucket counts to time (1 = every batch at the padded length).")
flags.DEFINE_integer("batches", 60, "Timed train steps per row (a prefix of epoch 1's order).")
flags.DEFINE_integer("repeats", 3, "Timed passes per row; the median is reported.")
flags.DEFINE_integer("num_seeds", 3, "Replicas of the population (RESULTS.md's runs use 3).")
flags.DEFINE_multi_string("set", [], "A flag added to the job's own (repeatable), e.g. --set=--max_len=p95.")
flags.DEFINE_string("data_dir", None, "The data directory (default: $LYRIC_JAX_DATA).")


def encoded_train(spec, data_dir):
  table = load_table(spec, data_dir)
  parts = split_table(table, spec)
  preprocessor = Preprocessor.fit(parts["train"], sorted(table.frame[LABEL].unique()), spec.text,
                                  target=spec.objective.target, feature_transform=spec.feature_transform)
  return preprocessor, preprocessor.encode(parts["train"])


def time_epoch(spec, preprocessor, train: dict, num_buckets: int) -> dict:
  fit = dataclasses.replace(spec.fit, length_buckets=num_buckets)
  boundaries = bucket_boundaries(train, num_buckets)
  batches = list(iterate_batches(train, fit.batch_size, order=epoch_order(num_rows(train), fit.data_seed, 0),
                                 boundaries=boundaries))[:FLAGS.batches]
  model, objective = build.model_for(spec, preprocessor), build.objective_for(spec, preprocessor)
  tx = build.optimizer_for(dataclasses.replace(spec, fit=fit), train)
  state = init_population(model, tx, batches[0], fit.seeds, fit.learning_rates)
  stats = steps.zero_stats(objective, model.apply, state.params, state.model_state, batches[0])
  train_step = steps.make_train_step(objective)
  compile_start = time.perf_counter()
  for seq_len in sorted({b["tokens"].shape[1] for b in batches}):   # one compile per bucket, untimed
    state, stats = train_step(state, stats, next(b for b in batches if b["tokens"].shape[1] == seq_len))
  jax.block_until_ready(stats)
  compile_seconds = time.perf_counter() - compile_start
  rates = []
  for _ in range(FLAGS.repeats):
    start = time.perf_counter()
    for batch in batches:
      state, stats = train_step(state, stats, batch)
    jax.block_until_ready(stats)
    rates.append(len(batches) / (time.perf_counter() - start))
  steps_per_s = statistics.median(rates)
  epoch_steps = steps_per_epoch(train, fit.batch_size, boundaries)
  real = train.get("word_lengths", train["lengths"]).reshape(num_rows(train), -1).sum(1)
  stepped = padded_length(train, boundaries) * int(np.prod(train["tokens"].shape[2:]))
  return {"buckets": num_buckets, "boundaries": boundaries or (train["tokens"].shape[1],),
          "epoch_seconds": epoch_steps / steps_per_s, "steps_per_epoch": epoch_steps,
          "padded_share": 1 - real.sum() / stepped.sum(), "compile_seconds": compile_seconds}


def main(argv):
  del argv
  host_memory.keep_freed_memory()   # as lyric_jax's command lines do
  study, name = FLAGS.job.split(":")
  job = next(j for j in select([study])[0].jobs("full") if j.name == name)
  data_dir = FLAGS.data_dir or os.environ.get("LYRIC_JAX_DATA", "data")
  argv = job.argv(data_dir, FLAGS.num_seeds, "/tmp")[:-2]   # no --workdir, --run_name
  spec = job_spec(job.experiment, [*argv, *FLAGS.set])
  preprocessor, train = encoded_train(spec, data_dir)
  print(f"{FLAGS.job} {' '.join(FLAGS.set)}: {num_rows(train):,} training rows, batch {spec.fit.batch_size}, "
        f"{len(spec.fit.replicas)} replicas, {jax.device_count()} {jax.default_backend()} device(s)")
  print("| buckets | boundaries | padded share | train epoch (s) | vs 1 bucket | compile (s) |\n|---|---|---|---|---|---|")
  base = None
  for n in (int(b) for b in FLAGS.buckets):
    row = time_epoch(spec, preprocessor, train, n)
    base = base or row["epoch_seconds"]
    print(f"| {n} | {','.join(map(str, row['boundaries']))} | {row['padded_share']:.0%} | "
          f"{row['epoch_seconds']:.1f} | {base / row['epoch_seconds']:.2f}× | {row['compile_seconds']:.1f} |",
          flush=True)


if __name__ == "__main__":
  app.run(main)
