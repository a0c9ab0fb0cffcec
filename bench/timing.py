"""Steady-state rates on a shared machine, for both frameworks.

One long timed window is at the mercy of whatever else the host runs for a moment;
the median over several short windows is not (and a slow window shows up as spread,
not as a slower framework).
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable


def median_rate(run_step: Callable[[int], Any], steps_count: int, windows: int = 5,
                sync: Callable[[Any], Any] = lambda out: out) -> float:
  """Median steps/s over ``windows`` windows of ``steps_count // windows`` steps, after a warm-up.

  ``sync`` waits for a step's result (JAX dispatches asynchronously).
  """
  sync(run_step(0))
  per_window = max(1, steps_count // windows)
  rates, step = [], 1
  for _ in range(windows):
    start = time.perf_counter()
    for _ in range(per_window):
      out = run_step(step)
      step += 1
    sync(out)
    rates.append(per_window / (time.perf_counter() - start))
  return statistics.median(rates)
