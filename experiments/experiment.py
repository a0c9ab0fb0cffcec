"""An experiment: its flags, and the RunSpec they give; run from its command line, or computed
for a study job without running it.

Each ``experiments/<name>.py`` builds one ``EXPERIMENT`` from a function that defines its flags
on a ``FlagValues`` and one that turns parsed flags into a RunSpec. ``python -m
experiments.<name>`` defines them on absl's global ``FLAGS`` (the command line's interface);
``job_spec`` parses a job's flags on a fresh ``FlagValues``, so any number of experiments'
commands are read in one process and the global flags are never touched.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging as std_logging
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

import jax
from absl import app, flags, logging

from lyric_jax.data.errors import ConfigError, DataError
from lyric_jax.explain import explain_to_png
from lyric_jax.host_memory import keep_freed_memory
from lyric_jax.report.tables import results_markdown
from lyric_jax.run.pipeline import run
from lyric_jax.run.results import Results
from lyric_jax.run.rundir import ATTENTION_PNG, METRICS_FILE, PREDICTIONS_DIR, REPORT_FILE, explained_png
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.checkpoint import CheckpointError
from lyric_jax.train.loop import TrainingError
from lyric_jax.train.sharding import ShardingError, is_primary

# What a job's flags may be refused with, before anything runs (DataError is a ValueError).
_REFUSED = (flags.Error, app.UsageError, ValueError)


@dataclasses.dataclass(frozen=True)
class Experiment:
  """``define_flags(fv)`` defines every flag on ``fv``; ``make_spec(fv)`` is the run the parsed flags ask for.

  ``after_run(fv, run_dir, results, args)`` runs after the report (e.g. scoring custom texts),
  ``args`` being the command line's positional arguments.

  ``recipe(fv)``: the flags (name → command-line value) of the best recipe measured on val for
  the parsed task and model. With it the experiment has ``--recipe``: ``best`` (the default)
  gives each flag not on the command line its recipe value, ``study`` keeps the flag defaults,
  the study's protocol. Flags given on the command line always win.
  """
  define_flags: Callable[[flags.FlagValues], None]
  make_spec: Callable[[flags.FlagValues], RunSpec]
  after_run: Callable[[flags.FlagValues, Path, Results, list[str]], None] | None = None
  recipe: Callable[[flags.FlagValues], Mapping[str, str]] | None = None

  def spec(self, argv: Sequence[str]) -> RunSpec:
    """The RunSpec this experiment's command line with flags ``argv`` runs; ``ConfigError`` if refused."""
    fv = flags.FlagValues()
    self._define(fv)
    try:
      fv(["experiment", *argv])
      return self._spec(fv)
    except _REFUSED as e:
      raise ConfigError(str(e)) from None

  def cli(self) -> None:
    """The command line: absl's global flags, then ``run`` (user errors as one ``error:`` line)."""
    self._define(flags.FLAGS)
    app.run(self._main)

  def _define(self, fv: flags.FlagValues) -> None:
    self.define_flags(fv)
    if self.recipe is not None:
      flags.DEFINE_enum("recipe", "best", ["best", "study"], "best: each flag not given takes the value of the "
                        "best recipe measured on val for this task and model (RESULTS.md); study: the flag "
                        "defaults, the study's protocol.", flag_values=fv)

  def _spec(self, fv: flags.FlagValues) -> RunSpec:
    if self.recipe is not None and fv.recipe == "best":
      for name, value in self.recipe(fv).items():
        if not fv[name].present:
          fv[name].parse(value)    # as if given: marks it present, as flags that read .present expect
    return self.make_spec(fv)

  def _main(self, argv: list[str]) -> None:
    fv = flags.FLAGS
    keep_freed_memory()
    logging.set_verbosity(logging.WARNING)   # Orbax logs every save at INFO
    if fv.distributed:
      jax.distributed.initialize(fv.coordinator_address, fv.num_processes, fv.process_id)
    try:
      spec = self._spec(fv)
      run_dir = Path(fv.workdir) / (fv.run_name or default_run_name(spec))
      results = run(spec, run_dir, fv.data_dir, fv.overwrite, fv.min_free_mb)
      print(results_markdown(results))
      extra = f", {ATTENTION_PNG}" if results.attention_png else ""
      print(f"Run directory: {run_dir} ({REPORT_FILE}, PNG plots{extra}, {METRICS_FILE}, {PREDICTIONS_DIR}/)")
      if not is_primary():   # what follows writes into the run dir: the first process's job
        return
      for i, text in enumerate(fv.explain, 1):
        png = run_dir / explained_png(i)
        print(f"explain {i}: {explain_to_png(run_dir, text, png).describe()}; heatmap {png}")
      if self.after_run is not None:
        self.after_run(fv, run_dir, results, argv[1:])
    except (DataError, CheckpointError, TrainingError, ShardingError) as e:
      sys.exit(f"error: {e}")
    except KeyboardInterrupt:
      # A save cut short leaves Orbax threads that fail (and log it) as the interpreter exits:
      # the run resumes from the last complete checkpoint either way, so that is noise.
      std_logging.disable(std_logging.CRITICAL)
      sys.exit("error: interrupted; rerun the same command to resume from the last saved epoch.")


def job_spec(experiment: str, argv: Sequence[str]) -> RunSpec:
  """The RunSpec ``python -m experiments.<experiment> *argv`` would run, computed in this process
  without running it; ``ConfigError`` saying why when its flags are refused."""
  return importlib.import_module(f"experiments.{experiment}").EXPERIMENT.spec(argv)


# Run-name suffix per grouping: the default has none.
RUN_NAME_SUFFIX = {"artist": "", "track": "trackgrouped", "none": "ungrouped"}


def default_run_name(spec: RunSpec) -> str:
  """experiment-model-dataset, plus the label map and split kind when not the default."""
  parts = [spec.experiment, spec.model, spec.dataset, spec.label_map, RUN_NAME_SUFFIX[spec.grouping]]
  return "-".join(p for p in parts if p)
