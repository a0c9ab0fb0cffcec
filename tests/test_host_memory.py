"""keep_freed_memory: a block freed and allocated again is not faulted in from the kernel again."""

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Allocates, touches and frees a 64 MiB block twice (as XLA:CPU does with a step's temporaries);
# prints whether keep_freed_memory applied and the minor page faults of the second round.
SCRIPT = textwrap.dedent("""
    import ctypes, resource
    from lyric_jax.host_memory import keep_freed_memory
    applied = keep_freed_memory()
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    size = 64 << 20

    def round_trip():
      block = libc.malloc(size)
      ctypes.memset(block, 1, size)
      libc.free(block)

    round_trip()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    round_trip()
    print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _second_round(keep: str) -> tuple[str, int]:
  env = {**os.environ, "PYTHONPATH": str(ROOT), "LYRIC_JAX_KEEP_FREED_MEMORY": keep}
  out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
  applied, faults = out.stdout.split()
  return applied, int(faults)


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_freed_blocks_are_reused_without_page_faults():
  applied, faults = _second_round("1")
  assert applied == "True"
  assert faults < 100            # the 16,384 pages of the block come back from the process's heap
  applied, faults = _second_round("0")   # the opt-out leaves malloc as it is: mmap'd, faulted in again
  assert applied == "False"
  assert faults > 10_000
