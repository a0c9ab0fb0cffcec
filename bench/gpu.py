"""The recurrent layer on a CUDA GPU: the scan, cuDNN through jax, a population, PyTorch's cuDNN.

    python -m bench.gpu                                    # B=64, T=256, E=H=128: lstm, birnn_lstm
    python -m bench.gpu --models=lstm --unrolls=1 --unrolls=4 --unrolls=16 --steps=100

Rows per architecture, each the library's jitted train and predict steps (compile excluded,
results awaited, `bench/timing.py`): the hoisted scan at each `--unrolls` (one replica),
`impl='cudnn'` (one replica), a population of `--population` replicas with the scan at its
fastest unroll, and PyTorch's `nn.LSTM` at the same shape on cuDNN (`bench.torch_reference`,
in its own process; the row says why when torch has no CUDA). Every token is real, so PyTorch's
unpacked `nn.LSTM` does the same work as our per-row lengths. Each side runs at its defaults:
float32, TF32 allowed in the recurrent kernels (jax's and cuDNN's defaults,
`torch.backends.cudnn.allow_tf32`). Prints a markdown table; `--json=FILE` also saves the rows.
Without a CUDA GPU it stops with one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax
from absl import app, flags, logging

from bench import harness
from lyric_jax.models import cudnn_lstm

# The architectures with an impl='cudnn' row: bench.harness's LSTMs.
LSTMS = [name for name, (_, kwargs) in harness.ARCHITECTURES.items() if kwargs(1, 1).get("cell") == "lstm"]

FLAGS = flags.FLAGS
flags.DEFINE_list("models", ["lstm", "birnn_lstm"], f"Architectures of bench.harness to time: {', '.join(LSTMS)}.")
flags.register_validator("models", lambda names: set(names) <= set(LSTMS), f"wants some of {', '.join(LSTMS)}")
flags.DEFINE_multi_integer("unrolls", [1, 8], "Scan unroll factors, one replica each (repeatable).")
flags.DEFINE_integer("population", 8, "Replicas of the population row (vmapped scan).")
harness.define_shape_flags(steps=50, hidden_help="Hidden size per direction.")
flags.DEFINE_string("torch_worker", None, "Internal: the architecture whose PyTorch row this process measures.")
flags.DEFINE_string("json", None, "Also write the rows as JSON to this file.")
SHAPE_FLAGS = ("batch", "seq_len", "embed", "hidden", "vocab", "steps")
TORCH_LAYER = "PyTorch nn.LSTM (cuDNN)"


shape = harness.shape_from_flags


def row(name: str, layer: str, replicas: int, train_rate: float, infer_rate: float | None, **extra) -> dict:
  """Steps/s → one table row: step time, tokens/s of all replicas, inference tokens/s."""
  tokens = shape().batch * shape().seq_len
  return {"model": name, "layer": layer, "replicas": replicas, "train_step_ms": 1e3 / train_rate,
          "train_tokens_s": train_rate * tokens * replicas,
          "infer_tokens_s": infer_rate * tokens if infer_rate else None, **extra}


def jax_row(name: str, layer: str, replicas: int = 1, **layer_kwargs) -> dict:
  """The library's train step for ``replicas`` vmapped replicas (and, for one, its predict step)."""
  s = shape()
  model, batches = harness.build_model(name, s, **layer_kwargs), harness.synthetic_batches(name, s)
  train = harness.time_training(model, batches, population=replicas, steps_count=FLAGS.steps)
  infer = harness.time_inference(model, batches, steps_count=FLAGS.steps) if replicas == 1 else None
  return row(name, layer, replicas, train.steps_per_second, infer and infer.steps_per_second,
             compile_s=train.compile_seconds, **layer_kwargs)


def torch_row(name: str) -> dict:
  """PyTorch's row, measured in this process; ``skipped`` says why when there is none."""
  try:
    import torch
  except ImportError:
    return {"model": name, "layer": TORCH_LAYER, "skipped": "torch is not installed"}
  if not torch.cuda.is_available():
    return {"model": name, "layer": TORCH_LAYER, "skipped": f"torch {torch.__version__} sees no CUDA device"}
  from bench import torch_reference
  torch.manual_seed(0)
  s = shape()
  model = torch_reference.build(name, s.vocab, s.embed, s.hidden, s.classes)
  batches = harness.synthetic_batches(name, s)
  train = torch_reference.time_training(model, batches, FLAGS.steps, device="cuda")
  infer = torch_reference.time_inference(model, batches, FLAGS.steps, device="cuda")
  return row(name, TORCH_LAYER, 1, train, infer, torch=torch.__version__, cudnn=torch.backends.cudnn.version())


def run_torch_worker(name: str) -> dict:
  args = [sys.executable, "-m", "bench.gpu", f"--torch_worker={name}"]
  args += [f"--{f}={getattr(FLAGS, f)}" for f in SHAPE_FLAGS]
  done = subprocess.run(args, capture_output=True, text=True, check=False)
  if done.returncode:
    return {"model": name, "layer": TORCH_LAYER, "skipped": f"worker failed: {done.stderr.strip()[-300:]}"}
  return json.loads(done.stdout.strip().splitlines()[-1])


def rows_of(name: str) -> list[dict]:
  """Every row of one architecture, printed as it is measured."""
  scans = [jax_row(name, f"hoisted scan, unroll {u}", unroll=u) for u in FLAGS.unrolls]
  fastest = max(scans, key=lambda r: r["train_tokens_s"])
  rows = [*scans, jax_row(name, "cudnn", impl="cudnn"),
          jax_row(name, fastest["layer"], FLAGS.population, unroll=fastest["unroll"]),
          run_torch_worker(name)]
  for r in rows:
    print(f"  {name:10s} {r['layer']:26s} ×{r.get('replicas', 1)}: "
          + (f"{r['train_tokens_s']:>12,.0f} train tokens/s" if "skipped" not in r else r["skipped"]), flush=True)
  return rows


def table(rows: list[dict]) -> str:
  lines = ["| model | layer | replicas | train ms/step | train tokens/s (all replicas) | infer tokens/s "
           "| step vs 1 replica | train vs PyTorch cuDNN |", "|" + "---|" * 8]
  for r in rows:
    if "skipped" in r:
      lines.append(f"| {r['model']} | {r['layer']} | 1 | — | — | — | — | skipped: {r['skipped']} |")
      continue
    ran = [o for o in rows if o["model"] == r["model"] and "skipped" not in o]
    single = next(o for o in ran if o["layer"] == r["layer"] and o["replicas"] == 1)
    torch_rows = [o for o in ran if o["layer"] == TORCH_LAYER]
    versus_torch = f"{r['train_tokens_s'] / torch_rows[0]['train_tokens_s']:.2f}×" if torch_rows else "—"
    infer = f"{r['infer_tokens_s']:,.0f}" if r["infer_tokens_s"] else "—"
    versus_one = f"{r['train_step_ms'] / single['train_step_ms']:.2f}×" if r["replicas"] > 1 else "—"
    lines.append(f"| {r['model']} | {r['layer']} | {r['replicas']} | {r['train_step_ms']:.2f} "
                 f"| {r['train_tokens_s']:,.0f} | {infer} | {versus_one} | {versus_torch} |")
  return "\n".join(lines)


def main(argv):
  del argv
  # The PyTorch worker shares the GPU: JAX takes memory as it needs it instead of 75% up front.
  os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
  logging.set_verbosity(logging.WARNING)   # not jax's INFO lines on the backends it probes
  if FLAGS.torch_worker:
    print(json.dumps(torch_row(FLAGS.torch_worker)))
    return
  if not cudnn_lstm.available():
    raise SystemExit(f"bench.gpu needs a CUDA GPU: jax {jax.__version__} runs on {jax.default_backend()} here "
                     f"(on a GPU machine: pip install 'jax[cuda12]').")
  print(f"{jax.devices()[0].device_kind}, jax {jax.__version__}: B={FLAGS.batch} T={FLAGS.seq_len} "
        f"E={FLAGS.embed} H={FLAGS.hidden} vocab={FLAGS.vocab}, {FLAGS.steps} timed steps per row")
  rows = [r for name in FLAGS.models for r in rows_of(name)]
  print(table(rows))
  if FLAGS.json:
    with open(FLAGS.json, "w") as f:
      json.dump(rows, f, indent=1)


if __name__ == "__main__":
  app.run(main)
