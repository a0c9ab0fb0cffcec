"""The benchmarks still run (tiny shapes; their speed is measured by bench/, never here)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import harness

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["lstm"])
def test_harness_times_the_library_train_and_predict_steps(name):
  shape = harness.Shape(batch=4, seq_len=9, embed=8, hidden=8, vocab=50)
  model = harness.build_model(name, shape)
  batches = harness.synthetic_batches(name, shape, count=2, full_length=False)
  assert batches[0]["tokens"].shape == (4, 9)
  train = harness.time_training(model, batches, population=2, steps_count=2)
  infer = harness.time_inference(model, batches, steps_count=2)
  for timing in (train, infer):
    assert timing.steps_per_second > 0 and timing.compile_seconds > 0
  assert train.flops_per_step > infer.flops_per_step > 0    # backward + Adam cost more than a forward


def test_torch_reference_trains_every_architecture():
  torch = pytest.importorskip("torch")
  from bench import torch_reference
  shape = harness.Shape(batch=4, seq_len=9, embed=8, hidden=8, vocab=50)
  for name in harness.TORCH_REFERENCES:
    torch.manual_seed(0)
    model = torch_reference.build(name, shape.vocab, shape.embed, shape.hidden, shape.classes)
    before = [p.detach().clone() for p in model.parameters()]
    assert torch_reference.time_training(model, harness.synthetic_batches(name, shape, count=2), 1) > 0
    assert all(not torch.equal(a, b) for a, b in zip(before, model.parameters())), name


def test_the_gpu_benchmark_stops_with_one_line_without_a_cuda_gpu():
  done = subprocess.run([sys.executable, "-m", "bench.gpu"], capture_output=True, text=True, check=False, cwd=ROOT,
                        env={**os.environ, "JAX_PLATFORMS": "cpu"})
  (line,) = done.stderr.splitlines()
  assert done.returncode == 1 and not done.stdout and line.startswith("bench.gpu needs a CUDA GPU: jax ")
  assert "runs on cpu here" in line
