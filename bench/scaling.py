"""Scaling curves of training throughput: sequence length, batch, population, devices;
and the input pipeline's share of an epoch.

    python -m bench.scaling --out=docs/bench               # all curves, LSTM E=H=128
    python -m bench.scaling --curves=population --model=gru

Each curve prints a markdown table and writes `<out>/scaling_<curve>.png`. Devices are
forced host devices (`--xla_force_host_platform_device_count=N`), one subprocess per
N, training with the library's data-parallel placement (`--shard=data`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np
from absl import app, flags

from bench import harness
from lyric_jax import host_memory
from lyric_jax.data.batches import epoch_order, iterate_batches, num_rows
from lyric_jax.run.build import optimizer
from lyric_jax.train import steps
from lyric_jax.train.loop import FitConfig, fit
from lyric_jax.train.objectives import Classification
from lyric_jax.train.sharding import Placement

FLAGS = flags.FLAGS
CURVES = ("seq_len", "batch", "population", "devices", "pipeline")
flags.DEFINE_list("curves", list(CURVES), f"Which of {CURVES}.")
flags.DEFINE_string("model", "lstm", "Architecture (bench.harness.ARCHITECTURES).")
flags.DEFINE_integer("size", 128, "Embedding and hidden size.")
flags.DEFINE_list("seq_lens", ["64", "128", "256", "512", "1024"], "seq_len curve (batch 64).")
flags.DEFINE_list("batches", ["8", "16", "32", "64", "128", "256"], "batch curve (T=256).")
flags.DEFINE_list("populations", ["1", "2", "4", "8", "16", "32"], "population curve (B=64, T=256).")
flags.DEFINE_list("device_counts", ["1", "2", "4"], "devices curve (B=64, T=256, data parallel).")
flags.DEFINE_integer("steps", 10, "Timed train steps per point.")
flags.DEFINE_string("out", "docs/bench", "Folder for the PNG plots.")
flags.DEFINE_integer("devices_worker", 0, "Internal: measure the devices curve point with N devices.")


def train_rate(batch: int = 64, seq_len: int = 256, population: int = 1) -> tuple[float, int]:
  """(train steps/s, real tokens per step for the whole population)."""
  shape = harness.Shape(batch, seq_len, FLAGS.size, FLAGS.size)
  batches = harness.synthetic_batches(FLAGS.model, shape)
  timing = harness.time_training(harness.build_model(FLAGS.model, shape), batches, population, FLAGS.steps)
  return timing.steps_per_second, harness.tokens_per_batch(batches[0]) * population


def curve(name: str, xs: list[int], point) -> list[dict]:
  rows = []
  for x in xs:
    rate, tokens = point(x)
    rows.append({name: x, "steps_s": rate, "tokens_s": rate * tokens})
    print(f"  {name}={x}: {rate * tokens:,.0f} tokens/s", flush=True)
  return rows


def devices_point(n: int) -> tuple[float, int]:
  env = {**os.environ, "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} "
                                    f"--xla_force_host_platform_device_count={n}"}
  args = [sys.executable, "-m", "bench.scaling", f"--devices_worker={n}", f"--model={FLAGS.model}",
          f"--size={FLAGS.size}", f"--steps={FLAGS.steps}"]
  done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
  if done.returncode:
    raise RuntimeError(f"devices={n} failed:\n{done.stderr[-2000:]}")
  rate, tokens = json.loads(done.stdout.strip().splitlines()[-1])
  return rate, tokens


def devices_worker(n: int) -> None:
  """Times the train step with batches split over n devices (state replicated)."""
  shape = harness.Shape(64, 256, FLAGS.size, FLAGS.size)
  batches = harness.synthetic_batches(FLAGS.model, shape)
  placement = Placement(n, "data", batch_sizes=(shape.batch,), population=1)
  timing = harness.time_training(harness.build_model(FLAGS.model, shape), batches, 1, FLAGS.steps,
                                 placement=placement)
  print(json.dumps([timing.steps_per_second, harness.tokens_per_batch(batches[0])]))


def pipeline_share() -> dict:
  """Epoch wall time of `fit` vs the time its input pipeline alone takes; recompiles after epoch 1."""
  shape = harness.Shape(64, 256, FLAGS.size, FLAGS.size)
  arrays = harness.synthetic_arrays(FLAGS.model, shape, shape.batch * 16, full_length=False)
  data = {"train": arrays, "val": harness.synthetic_arrays(FLAGS.model, shape, shape.batch, seed=1)}
  cfg = FitConfig(epochs=3, batch_size=shape.batch, progress=False)
  before = dict(steps.TRACE_COUNTS)    # other curves of this process traced their own steps
  with tempfile.TemporaryDirectory() as run_dir:
    result = fit(harness.build_model(FLAGS.model, shape), Classification(shape.classes), data, cfg, run_dir,
                 tx=optimizer(cfg))
  start = time.perf_counter()
  for epoch in range(1, 3):    # what fit's loop does besides the step: order, slice, transfer
    for batch in iterate_batches(arrays, shape.batch, order=epoch_order(num_rows(arrays), 0, epoch)):
      jax.block_until_ready(jax.device_put(batch))
  pipeline = (time.perf_counter() - start) / 2
  epoch = float(np.mean([h["seconds"] for h in result.history[1:]]))
  # Each step is traced once per fit: more than 1 would mean recompiles in later epochs.
  traces = {name: count - before.get(name, 0) for name, count in steps.TRACE_COUNTS.items()}
  return {"epoch_s": epoch, "pipeline_s": pipeline, "share": pipeline / epoch, "traces": traces}


def plot(rows: list[dict], key: str, path: Path, per_replica: bool = False) -> None:
  import matplotlib
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt
  xs = [r[key] for r in rows]
  ys = [r["tokens_s"] / (r[key] if per_replica else 1) for r in rows]
  fig, ax = plt.subplots(figsize=(5, 3.2))
  ax.plot(xs, ys, marker="o")
  ax.set_xscale("log", base=2)
  ax.set_xlabel(key)
  ax.set_ylabel("train tokens/s" + (" per replica" if per_replica else ""))
  ax.set_title(f"{FLAGS.model}, E=H={FLAGS.size}")
  ax.grid(alpha=0.3)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def main(argv):
  del argv
  host_memory.keep_freed_memory()   # as lyric_jax's command lines do
  if FLAGS.devices_worker:
    devices_worker(FLAGS.devices_worker)
    return
  out = Path(FLAGS.out)
  out.mkdir(parents=True, exist_ok=True)
  ints = lambda values: [int(v) for v in values]
  points = {
      "seq_len": (ints(FLAGS.seq_lens), lambda t: train_rate(seq_len=t)),
      "batch": (ints(FLAGS.batches), lambda b: train_rate(batch=b)),
      "population": (ints(FLAGS.populations), lambda p: train_rate(population=p)),
      "devices": (ints(FLAGS.device_counts), devices_point),
  }
  for name in FLAGS.curves:
    if name == "pipeline":
      r = pipeline_share()
      print(f"input pipeline: {r['pipeline_s']:.3f} s of a {r['epoch_s']:.2f} s epoch "
            f"({100 * r['share']:.1f}%); step traces after 3 epochs: {r['traces']}")
      continue
    print(f"{name} curve ({FLAGS.model}):")
    rows = curve(name, *points[name])
    base = rows[0]["tokens_s"] / rows[0][name] if name == "population" else rows[0]["tokens_s"]
    print(f"| {name} | steps/s | step time vs first | train tokens/s | tokens/s per replica "
          f"| per replica vs first |\n|---|---|---|---|---|---|")
    for r in rows:
      per = r["tokens_s"] / (r[name] if name == "population" else 1)
      print(f"| {r[name]} | {r['steps_s']:.2f} | {rows[0]['steps_s'] / r['steps_s']:.2f}× "
            f"| {r['tokens_s']:,.0f} | {per:,.0f} | {per / base:.2f}× |")
    plot(rows, name, out / f"scaling_{name}.png", per_replica=name == "population")


if __name__ == "__main__":
  app.run(main)
