"""RESULTS.md from the studies' finished runs: a header, then per study its prose, table and commands.

Every number in a table is read from a results.json (``lyric_jax.report.collect``); the
prose around it is the study's own (``Study.intro`` / ``Study.note``).
"""

from __future__ import annotations

import datetime
import os

from lyric_jax.report import collect

PROTOCOL = """\
Every number: our own seeded, stratified, grouped train/val/test split (80/10/10) of the data available
offline here, test-split metrics of each replica's best-validation epoch, **mean ± std over the
seeds** (one vmapped population), beside the study's published number (measured by the study on *its*
data and, for S1, on its *validation* split). Where the population also swept learning rates, the rate
was chosen on validation. "epochs (best per seed)": epochs trained, then each seed's best-validation
epoch. examples/s: training throughput of the whole population, measured when the run trained (on a
machine shared with other jobs, a lower bound). Under each run, `↳ ensemble`: the population as one
model (the mean of all its replicas' probabilities or scores); under the first run of each split,
`↳ classic baseline`: scikit-learn on the same train/val/test split, its small grid tuned on val
(TF-IDF + logistic regression or Ridge for text, gradient boosting for feature rows, a stack of
out-of-fold text probabilities + features for both; `lyric_jax/train/classic_baseline.py`)."""
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
  lines += ["Commands (from the repository root):", "", "```bash", *(t.shell() for t in tasks), "```", "",
            f"Reading{' (of the full-budget runs)' if budget == 'quick' else ''}:", "", study.note]
  return "\n".join(lines)


def _devices() -> str:
  import jax    # only here: planning and running jobs need no accelerator in this process
  devices = jax.devices()
  return f"{len(devices)} × {devices[0].device_kind}"
