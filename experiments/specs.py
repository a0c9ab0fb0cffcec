"""The RunSpec each experiment command line would run, computed without running it.

    echo '[["lstm", ["--epochs=5"]], ["han", ["--bogus"]]]' | python -m experiments.specs

prints, as the last line of stdout, a JSON list with one {"spec": RunSpec JSON} or
{"error": why the flags were refused} per command. ``experiments.reproduce`` uses it to
tell a finished run directory from one to train, and to check its commands before running
any. Every experiment defines its flags on import, into absl's one global flag registry, so
one process serves them all by removing each experiment's flags before importing the next.
"""

from __future__ import annotations

import importlib
import json
import sys

from absl import app, flags

from lyric_jax.data.errors import DataError

FLAGS = flags.FLAGS


def command_specs(commands: list[tuple[str, list[str]]]) -> list[dict]:
  """[(experiment module name, argv)] → [{"spec": ...} or {"error": ...}], in order."""
  by_experiment: dict[str, list[int]] = {}
  for i, (experiment, _) in enumerate(commands):
    by_experiment.setdefault(experiment, []).append(i)
  out: list[dict] = [{}] * len(commands)
  for experiment, indices in by_experiment.items():
    before = set(FLAGS)
    module = importlib.import_module(f"experiments.{experiment}")
    for i in indices:
      out[i] = _spec(module, commands[i][1])
    FLAGS.unparse_flags()
    for name in set(FLAGS) - before:
      delattr(FLAGS, name)
  return out


def _spec(module, argv: list[str]) -> dict:
  FLAGS.unparse_flags()
  try:
    FLAGS([module.__name__, *argv])
    return {"spec": module.make_spec().to_json()}
  except (flags.Error, app.UsageError, DataError, ValueError) as e:
    return {"error": str(e)}


if __name__ == "__main__":
  print(json.dumps(command_specs(json.load(sys.stdin))))
