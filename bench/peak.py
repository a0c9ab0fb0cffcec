"""The machine's attainable FLOP/s: a large f32 matmul in XLA (and PyTorch, when installed).

    python -m bench.peak                 # n=2048, both frameworks
    python -m bench.peak --n=4096 --frameworks=jax

`BENCHMARKS.md` divides each model's achieved GFLOP/s by this number (and by the
datasheet peak, cores × clock × FLOP/cycle, which no real kernel reaches).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags

from bench import timing

FLAGS = flags.FLAGS
flags.DEFINE_integer("n", 2048, "Square matrix size.")
flags.DEFINE_integer("steps", 20, "Timed matmuls.")
flags.DEFINE_list("frameworks", ["jax", "torch"], "jax and/or torch.")


def jax_gflops(n: int, steps_count: int) -> tuple[float, float]:
  """(measured GFLOP/s, XLA's FLOP count of one matmul / 2n³: checks how XLA counts)."""
  a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n), np.float32))
  matmul = jax.jit(jnp.matmul).lower(a, a).compile()
  cost = matmul.cost_analysis()
  cost = cost[0] if isinstance(cost, (list, tuple)) else cost
  rate = timing.median_rate(lambda i: matmul(a, a), steps_count, sync=jax.block_until_ready)
  return rate * 2 * n ** 3 / 1e9, cost["flops"] / (2 * n ** 3)


def torch_gflops(n: int, steps_count: int) -> float:
  import os
  import torch
  torch.set_num_threads(os.cpu_count())
  a = torch.randn(n, n)
  return timing.median_rate(lambda i: a @ a, steps_count) * 2 * n ** 3 / 1e9


def main(argv):
  del argv
  n = FLAGS.n
  if "jax" in FLAGS.frameworks:
    rate, counted = jax_gflops(n, FLAGS.steps)
    print(f"JAX/XLA {n}x{n} f32 matmul: {rate:.1f} GFLOP/s (XLA counts {counted:.2f} × 2n³ FLOPs)")
  if "torch" in FLAGS.frameworks:
    print(f"PyTorch {n}x{n} f32 matmul: {torch_gflops(n, FLAGS.steps):.1f} GFLOP/s")


if __name__ == "__main__":
  app.run(main)
