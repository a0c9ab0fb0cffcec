"""Spreading a population's training over devices with JAX's own SPMD partitioner.

Two layouts over a 1-D mesh of the chosen devices:
- 'data': each batch is split along its example axis, the population is replicated
  (XLA inserts the gradient all-reduce). The global batch must divide evenly.
- 'population': replicas are split across devices, batches are replicated; needs
  a population size divisible by the device count, and no communication at all.
The jitted step is unchanged: only where its inputs live differs.

Several hosts (after `jax.distributed.initialize()`, `--distributed`): the mesh spans
every process's devices; each process runs the same command on the same data and
order, contributes its own rows of a split batch, and reads metrics gathered from all.
Only the first process writes the run dir (``is_primary``); after training each process
takes its own copy of the parameters (``to_local``), so what follows runs alone.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

AXIS = "devices"
LAYOUTS = ("data", "population")


class ShardingError(ValueError):
  """The requested device layout cannot hold this run's batches or population."""


class Placement:
  """Where the state and the batches of one run live."""

  def __init__(self, num_devices: int = 0, layout: str = "data", *, batch_sizes: tuple[int, ...],
               population: int):
    if layout not in LAYOUTS:
      raise ShardingError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    available = jax.devices()
    n = num_devices or len(available)
    if n > len(available):
      raise ShardingError(f"--devices={n} but only {len(available)} device(s) are visible: {available}")
    sizes = {"batch size": batch_sizes} if layout == "data" else {"population size": (population,)}
    for what, values in sizes.items():
      for value in values:
        if value % n:
          raise ShardingError(f"{what} {value} does not divide evenly over {n} devices "
                           f"({layout} sharding); choose a multiple of {n} or fewer --devices.")
    self.num_devices, self.layout = n, layout
    self.mesh = Mesh(np.array(available[:n]), (AXIS,))
    self._split = NamedSharding(self.mesh, PartitionSpec(AXIS))
    self._replicated = NamedSharding(self.mesh, PartitionSpec())

  def state(self, tree: Any) -> Any:
    """Population pytrees (leading replica axis): split or replicated by layout."""
    if self.num_devices == 1:
      return tree
    return _put(tree, self._split if self.layout == "population" else self._replicated)

  def batch(self, batch: dict) -> dict:
    if self.num_devices == 1:
      return batch
    return _put(batch, self._split if self.layout == "data" else self._replicated)


def use_cpu_cores(count: int = 0) -> int:
  """Makes this process's CPU backend one device per core (``count`` > 0: that many); returns the count.

  XLA:CPU runs a recurrent scan on about one core, so a predict batch split over one device per
  core infers 1.3-2.6× faster on a 2-core machine (LSTM 2.0×) (BENCHMARKS.md, "Inference across cores").
  Must run before the first JAX computation; after it, or where XLA_FLAGS already forces a host
  device count, the devices stay as they are.
  """
  count = count or len(os.sched_getaffinity(0))
  if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
    return jax.local_device_count("cpu")
  try:
    jax.config.update("jax_num_cpu_devices", count)
  except RuntimeError:   # a backend already started: keep its devices
    return jax.local_device_count("cpu")
  return count


def inference_placement(batch_size: int, population: int, devices: int = 0) -> Placement:
  """Each inference batch split over this process's devices (0: all) when they divide it, else one device.

  Predictions are per row, so the split changes no output (beyond float summation order); a
  --distributed run predicts in each process apart, on one device.
  """
  n = devices or jax.local_device_count()
  if jax.process_count() > 1 or batch_size % n:
    n = 1
  return Placement(n, "data", batch_sizes=(batch_size,), population=population)


def to_local(tree: Any) -> Any:
  """Arrays on this process's own device: programs over them need no other process (predictions,
  plots, ...), so the processes of a --distributed run may run them apart, or not at all."""
  if jax.process_count() == 1:
    return tree
  return jax.device_put(to_host(tree))


def to_host(tree: Any) -> Any:
  """Host NumPy copies of arrays, e.g. summed metrics; those split over several processes are gathered."""
  if jax.process_count() == 1:
    return jax.device_get(tree)

  def get(x):
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
      return multihost_utils.process_allgather(x, tiled=True)
    return jax.device_get(x)

  return jax.tree.map(get, tree)


def is_primary() -> bool:
  """Whether this process writes the run dir: the first of a --distributed run (the others compute the same)."""
  return jax.process_index() == 0


def sync(name: str) -> None:
  """Waits until every process of a --distributed run gets here."""
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)


def _put(tree: Any, sharding: NamedSharding) -> Any:
  """Places global arrays; each process hands over only the rows its devices hold."""
  split = sharding.spec != PartitionSpec()
  index, count = jax.process_index(), jax.process_count()

  def put(x):
    x = np.asarray(x)
    if split:
      rows = x.shape[0] // count
      return jax.make_array_from_process_local_data(sharding, x[index * rows:(index + 1) * rows], x.shape)
    return jax.make_array_from_process_local_data(sharding, x, x.shape)

  return jax.tree.map(put, tree)
