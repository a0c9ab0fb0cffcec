"""RESULTS.md from the studies' finished runs: a header, then per study its prose, table and commands.

Every number in a table is read from a results.json (``lyric_jax.report.collect``); the
prose around it is the study's own (``Study.intro`` / ``Study.note``), and every number the
prose quotes is a placeholder filled from the same results (``fill``), so a rerun never leaves
stale numbers beside fresh tables.
"""

from __future__ import annotations

import datetime
import os
import re

import numpy as np

from lyric_jax.report import collect
from lyric_jax.run.results import Results

# {run:metric} the run's test mean ± std over its selected seeds; {run:metric@ensemble} its
# population's ensemble; {run:metric@classic} the classic baseline on its split; {run:metric@gap}
# the mean minus that baseline (signed; points for classification); {run:majority} majority-class %.
PLACEHOLDER = re.compile(r"\{(?P<run>[\w.-]+):(?P<metric>\w+)(?:@(?P<model>ensemble|classic|gap))?\}")
MISSING = "n/a"

PROTOCOL = """\
Every number: our own seeded, stratified, grouped train/val/test split (80/10/10; rows sharing a
normalised artist or a normalised text are in one split) of the data available offline here, test-split
metrics of each replica's best-validation epoch, **mean ± std over the seeds** (one vmapped population),
beside the study's published number (measured by the study on *its* data and, for S1, on its
*validation* split). Where the population also swept learning rates, the rate was chosen on validation.
"epochs (best per seed)": epochs trained, then each seed's best-validation epoch. examples/s: training
throughput of the whole population, measured when the run trained (on a machine shared with other jobs,
a lower bound). Under each run, `↳ ensemble`: the population as one model (the mean of all its replicas'
probabilities or scores); under the first run of each split, `↳ classic baseline`: scikit-learn on the
same train/val/test split, its small grid tuned on val (TF-IDF + logistic regression or Ridge for text,
gradient boosting for feature rows, a stack of out-of-fold text probabilities + features for both;
`lyric_jax/train/classic_baseline.py`)."""
BUDGET_NOTES = {
    "full": "full (the configurations the studies are reported with)",
    "quick": "quick (each study shrunk so that all run in about half an hour on 2 CPU cores, as each section "
             "says: a check that everything runs, not the results; the reading notes are about the full budget)",
}


def results_markdown(studies, planned: dict, options, command: str) -> str:
  """``planned``: study key → (its tasks, its skip line or None), after running them."""
  tasks = [t for s in studies for t in planned[s.key][0]]
  reused = sum(t.reused for t in tasks)
  failed = sum(t.results is None for t in tasks)
  lines = ["# Results", "",
           f"Written by `{command}` on {datetime.date.today().isoformat()}, from the runs' results.json files "
           "only (rerun it to regenerate this file). "
           f"Machine: {os.cpu_count()} CPU cores, JAX devices: {_devices()}. "
           f"Budget: {BUDGET_NOTES[options.budget]}; {options.num_seeds} seeds per run. "
           f"Jobs: {len(tasks)} ({reused} reused from finished run directories, {len(tasks) - reused - failed} run "
           f"now, {failed} without results).", "", PROTOCOL]
  for study in studies:
    lines += ["", study_markdown(study, *planned[study.key], options.budget)]
  return "\n".join(lines) + "\n"


STUDY_HEADING = re.compile(r"^## (S\d+) ", re.M)
REWRITE_NOTE = re.compile(r"Sections ((?:S\d+, )*S\d+) rewritten by ")


def merge_studies(old: str, new: str, command: str) -> str:
  """``old`` (a RESULTS.md) with the study sections ``new`` holds in place of its own sections of
  the same studies; the other studies and the header stay, the header gains a line saying which
  sections ``command`` rewrote. A study ``old`` lacks is appended."""
  def split(text: str) -> tuple[str, dict[str, str]]:
    starts = [m.start() for m in STUDY_HEADING.finditer(text)] + [len(text)]
    return text[:starts[0]], {STUDY_HEADING.match(text, a)[1]: text[a:b] for a, b in zip(starts, starts[1:])}

  header, sections = split(old)
  _, rewritten = split(new)
  if not rewritten:
    raise ValueError("the new results hold no study section")
  note = (f"Sections {', '.join(rewritten)} rewritten by `{command}` on {datetime.date.today().isoformat()}, "
          "the others kept.")
  # An earlier note about only these sections is stale now.
  paragraphs = [p for p in header.rstrip("\n").split("\n\n")
                if not ((m := REWRITE_NOTE.match(p)) and set(m[1].split(", ")) <= set(rewritten))]
  merged = {**sections, **rewritten}
  return "\n\n".join(paragraphs) + "\n\n" + note + "\n\n" + "".join(
      merged[key].rstrip("\n") + "\n\n" for key in merged).rstrip("\n") + "\n"


def study_markdown(study, tasks: list, skipped: str | None, budget: str) -> str:
  lines = [f"## {study.title}", ""]
  if not tasks:
    return "\n".join(lines + [skipped or "No jobs."])
  lines += [study.intro, ""]
  if budget == "quick":
    lines += [f"**Quick budget:** {study.quick_changes}.", ""]
  if skipped:
    lines += [skipped, ""]
  finished = [(t.job.name, t.results) for t in tasks if t.results]
  if finished:
    lines += [collect.table(finished, study.metrics), ""]
  missing = [f"{t.job.name} ({t.error})" for t in tasks if t.results is None]
  if missing:
    lines += [f"No results: {', '.join(missing)}.", ""]
  lines += ["Commands (from the repository root):", "", "```bash", *(t.shell() for t in tasks), "```", ""]
  if budget == "quick":   # the reading quotes the full runs; quick runs would fill it with other numbers
    return "\n".join(lines + ["Reading: see the full-budget RESULTS.md of the repository."])
  return "\n".join(lines + ["Reading:", "", fill(study.note, {t.job.name: t.results for t in tasks})])


def fill(prose: str, runs: dict[str, Results | None]) -> str:
  """``prose`` with each placeholder (``PLACEHOLDER``) replaced by its number, or ``MISSING``
  for a run without results; a placeholder naming no job of the study is an error."""
  def number(match: re.Match) -> str:
    name, metric, model = match["run"], match["metric"], match["model"]
    if name not in runs:
      raise KeyError(f"prose placeholder {match[0]} names no job of the study ({', '.join(runs)})")
    results = runs[name]
    if results is None or (model in ("classic", "gap") and not _classic(results)):
      return MISSING
    scale, digits = (1, 3) if results.regression else (100, 1)
    if metric == "majority":
      return f"{100 * results.majority_rate:.1f}"
    split = results.eval_split
    picked = np.array([results.evaluated[i][metric] for i in results.selected()[1]]) * scale
    if model == "ensemble":
      return f"{scale * results.ensemble[split][metric]:.{digits}f}" if results.ensemble else MISSING
    if model == "classic":
      return f"{scale * results.classic_baseline[split][metric]:.{digits}f}"
    if model == "gap":
      return f"{picked.mean() - scale * results.classic_baseline[split][metric]:+.{digits}f}".replace("-", "−")
    return f"{picked.mean():.{digits}f} ± {picked.std():.{digits}f}"
  return PLACEHOLDER.sub(number, prose)


def _classic(results: Results) -> bool:
  return bool(results.classic_baseline) and "skipped" not in results.classic_baseline


def _devices() -> str:
  import jax    # only here: planning and running jobs need no accelerator in this process
  devices = jax.devices()
  return f"{len(devices)} × {devices[0].device_kind}"
