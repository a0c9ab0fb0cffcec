"""Training and inference throughput of each architecture, lyric_jax vs the same net in PyTorch.

    python -m bench.throughput                       # B=64, T=256, E=H=128, all models
    python -m bench.throughput --models=lstm,gru --batch=32 --seq_len=512 --frameworks=jax

Each (framework, model) runs in its own subprocess, so its peak resident memory is its
own and one framework's thread pools never slow the other. JAX: the library's jitted
train step (population of 1, one device), its predict step with each batch split over one CPU
device per core as `lyric_jax.predict` splits it (`--cpu_devices`), compile time and XLA's FLOP
count of the step; PyTorch:
`bench.torch_reference`, eager, `torch.set_num_threads(os.cpu_count())`. Prints a
markdown table; `--json=FILE` also saves the rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from absl import app, flags

from bench import harness
from lyric_jax import host_memory
from lyric_jax.train import sharding

FLAGS = flags.FLAGS
flags.DEFINE_list("models", list(harness.ARCHITECTURES), "Architectures to time.")
flags.DEFINE_list("frameworks", ["jax", "torch"], "jax and/or torch.")
harness.define_shape_flags(steps=20, hidden_help="Hidden size (HAN: per level, split over two directions).")
flags.DEFINE_integer("cpu_devices", 0, "JAX inference: split each batch over this many CPU devices, as "
                     "`lyric_jax.predict` does (0: one per core; 1: one device). Training runs on one device.")
flags.DEFINE_enum("keep_freed_memory", "jax", ["jax", "both", "none"], "Which frameworks' processes keep freed "
                  "memory for reuse (`lyric_jax.host_memory`): jax, as lyric_jax's command lines do; both, PyTorch "
                  "too, to compare the frameworks under one allocator setting; none.")
flags.DEFINE_string("worker", None, "Internal: 'framework:model' measured in this process.")
flags.DEFINE_string("json", None, "Also write the rows as JSON to this file.")


shape = harness.shape_from_flags


def measure(framework: str, name: str) -> dict:
  """One row: examples/s and tokens/s for train and inference, compile time, peak memory."""
  if FLAGS.keep_freed_memory in (framework, "both"):
    host_memory.keep_freed_memory()
  s = shape()
  batches = harness.synthetic_batches(name, s)
  tokens = harness.tokens_per_batch(batches[0])
  if framework == "jax":
    devices = sharding.use_cpu_cores(FLAGS.cpu_devices)
    model = harness.build_model(name, s)
    train = harness.time_training(model, batches, steps_count=FLAGS.steps)
    infer = harness.time_inference(model, batches, steps_count=FLAGS.steps, devices=devices)
    train_rate, infer_rate = train.steps_per_second, infer.steps_per_second
    extra = {"infer_devices": devices, "compile_s": train.compile_seconds + infer.compile_seconds,
             "train_gflops_per_s": (train.flops_per_step or 0) * train_rate / 1e9}
  else:
    import torch
    from bench import torch_reference
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count())
    model = torch_reference.build(name, s.vocab, s.embed, s.hidden, s.classes)
    train_rate = torch_reference.time_training(model, batches, FLAGS.steps)
    infer_rate = torch_reference.time_inference(model, batches, FLAGS.steps)
    extra = {}
  return {"framework": framework, "model": name, "train_examples_s": train_rate * s.batch,
          "train_tokens_s": train_rate * tokens, "infer_examples_s": infer_rate * s.batch,
          "infer_tokens_s": infer_rate * tokens, "peak_rss_mb": harness.peak_rss_mb(), **extra}


def run_worker(framework: str, name: str) -> dict:
  args = [sys.executable, "-m", "bench.throughput", f"--worker={framework}:{name}"]
  args += [f"--{f}={getattr(FLAGS, f)}" for f in ("batch", "seq_len", "embed", "hidden", "vocab", "steps", "cpu_devices",
                                                 "keep_freed_memory")]
  done = subprocess.run(args, capture_output=True, text=True, check=False)
  if done.returncode:
    raise RuntimeError(f"{framework}:{name} failed:\n{done.stderr[-2000:]}")
  return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: list[dict]) -> str:
  by_key = {(r["framework"], r["model"]): r for r in rows}
  lines = ["| model | JAX train tokens/s | PyTorch train tokens/s | train ratio | JAX infer tokens/s "
           "| PyTorch infer tokens/s | infer ratio | JAX compile s | JAX GFLOP/s (train) "
           "| peak RSS MB (JAX / PyTorch) |", "|" + "---|" * 10]
  fmt = lambda r, k, spec=",.0f": format(r[k], spec) if r else "—"
  for name in FLAGS.models:
    j, t = by_key.get(("jax", name)), by_key.get(("torch", name))
    ratio = lambda k: f"{j[k] / t[k]:.1f}×" if j and t else "—"
    lines.append(
        f"| {name} | {fmt(j, 'train_tokens_s')} | {fmt(t, 'train_tokens_s')} | {ratio('train_tokens_s')} "
        f"| {fmt(j, 'infer_tokens_s')} | {fmt(t, 'infer_tokens_s')} | {ratio('infer_tokens_s')} "
        f"| {fmt(j, 'compile_s', '.1f')} | {fmt(j, 'train_gflops_per_s', '.1f')} "
        f"| {fmt(j, 'peak_rss_mb')} / {fmt(t, 'peak_rss_mb')} |")
  return "\n".join(lines)


def main(argv):
  del argv
  if FLAGS.worker:
    print(json.dumps(measure(*FLAGS.worker.split(":"))))
    return
  print(f"B={FLAGS.batch} T={FLAGS.seq_len} E={FLAGS.embed} H={FLAGS.hidden} vocab={FLAGS.vocab}, "
        f"{os.cpu_count()} CPUs, {FLAGS.steps} timed steps")
  rows = []
  for name in FLAGS.models:
    for framework in FLAGS.frameworks:
      if framework == "torch" and name not in harness.TORCH_REFERENCES:
        continue
      rows.append(run_worker(framework, name))
      print(f"  {framework:5s} {name:9s} train {rows[-1]['train_tokens_s']:>10,.0f} tokens/s", flush=True)
  print(table(rows))
  if FLAGS.json:
    with open(FLAGS.json, "w") as f:
      json.dump(rows, f, indent=1)


if __name__ == "__main__":
  app.run(main)
