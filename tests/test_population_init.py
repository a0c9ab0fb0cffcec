"""Regression: initialising a population must not deadlock on a few-core CPU.

A vmapped init batches every orthogonal initialiser's QR; with several of them (an
LSTM has four per layer) jaxlib's batched QR kernels filled XLA's 2-thread CPU pool
and waited on each other forever. Run in a subprocess so a hang fails instead of blocking.
"""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import flax.linen as nn, jax, jax.numpy as jnp
    from lyric_jax.train.state import init_population, make_optimizer

    class Orthogonal(nn.Module):   # 8 independent orthogonal inits, like two LSTM layers
      @nn.compact
      def __call__(self, batch, train):
        return sum(nn.Dense(150, kernel_init=nn.initializers.orthogonal())(batch["features"])
                   for _ in range(8))

    state = init_population(Orthogonal(), make_optimizer(), {"features": jnp.ones((1, 150))},
                            seeds=(0, 1, 2), learning_rates=(1e-3,))
    jax.block_until_ready(state.params)
    print("initialised")
""")


def test_population_init_with_many_orthogonal_inits_finishes():
  try:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
  except subprocess.TimeoutExpired:
    raise AssertionError("init_population hung (batched-QR deadlock is back?)") from None
  assert out.returncode == 0 and "initialised" in out.stdout, out.stderr[-2000:]
