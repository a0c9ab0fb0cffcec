"""Keeping the memory XLA:CPU frees for its next step, instead of returning it to the kernel.

XLA:CPU allocates each step's temporaries afresh (about 170 MB for an LSTM train step at B=64,
T=256, E=H=128). glibc hands blocks that large back to the kernel when they are freed (each is
mmap'd, or trimmed off the top of a thread's arena), so every step faults the same pages in
again: 42,600 minor page faults a step there, about a fifth of its time (BENCHMARKS.md, "Page
faults"). One malloc arena, no mmap'd blocks and no trimming keep them in the process: 4,000
faults a step. The price is that the process's resident memory stays at its high-water mark.

The command lines (experiments, ``lyric_jax.predict``, the benchmarks) call ``keep_freed_memory``
first thing; a notebook can call it before its first JAX computation.
``LYRIC_JAX_KEEP_FREED_MEMORY=0`` leaves malloc as it is.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

# mallopt(3) parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
_NEVER_TRIM = 2 ** 31 - 1   # mallopt takes an int


def keep_freed_memory() -> bool:
  """Sets glibc's malloc to reuse freed blocks in-process (one arena, no mmap, no trim); returns
  whether it did. Call before JAX starts its threads (its first computation): arenas made before
  keep their own behaviour. Elsewhere than glibc (macOS, musl) it does nothing."""
  if os.environ.get("LYRIC_JAX_KEEP_FREED_MEMORY", "1") == "0":
    return False
  try:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    mallopt = libc.mallopt
  except (OSError, AttributeError):
    return False
  mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
  # mallopt returns 1 on success; each setting is kept even if another is refused.
  return all([mallopt(_M_ARENA_MAX, 1), mallopt(_M_MMAP_MAX, 0), mallopt(_M_TRIM_THRESHOLD, _NEVER_TRIM)])
