"""Planning and running the studies' jobs: each a subprocess in its own run directory.

A run directory whose results.json was made by the job's config is reused, not retrained;
any other existing one resumes (the experiment refuses one made by another config). The
job's config is computed from its flags in this process (``experiments.experiment.job_spec``),
without running it.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from experiments.experiment import job_spec
from experiments.studies import Job, Study
from experiments.studies.markdown import merge_studies, results_markdown
from lyric_jax.data.errors import ConfigError
from lyric_jax.pretrain.provenance import sidecar_path
from lyric_jax.run.results import Results, finished_results
from lyric_jax.run.rundir import CONFIG_FILE
from lyric_jax.run.spec import RunSpec

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Options:
  budget: str
  num_seeds: int
  data_dir: Path
  workdir: Path


@dataclasses.dataclass
class Task:
  """One job as planned and run: its command, its run dir, and what happened to it."""
  study: str
  job: Job
  command: list[str]           # argv after the interpreter
  run_dir: Path
  spec: RunSpec | None = None
  error: str | None = None     # why it could not run, or how it failed
  results: Results | None = None   # its finished results.json
  reused: bool = False
  vectors: list[str] | None = None  # the word-vector command to run first (argv after the interpreter)

  def shell(self, width: int = 100) -> str:
    """The command as a user types it, wrapped for reading (after the vectors' command, if any)."""
    return "\n".join(_shell(command, width) for command in (self.vectors, self.command) if command)

  def vectors_missing(self) -> bool:
    """No vectors file, or no sidecar beside it (word_vectors writes that last: a kill between the two)."""
    if self.vectors is None:
      return False
    vectors = self.job.vectors_file(self.run_dir.parent)
    return not (vectors.exists() and sidecar_path(vectors).exists())

  def status(self) -> str:
    if self.error:
      return self.error
    if self.reused:
      return "reuse (finished run dir)"
    return ("resume" if (self.run_dir / CONFIG_FILE).exists() else "train") + (
        " (word vectors first)" if self.vectors_missing() else "")


def _shell(command: list[str], width: int) -> str:
  lines = ["python"]
  for word in map(shlex.quote, command):
    if len(lines[-1]) + len(word) >= width:
      lines.append("   ")
    lines[-1] += " " + word
  return " \\\n".join(lines)


def plan(study: Study, options: Options) -> tuple[list[Task], str | None]:
  """The study's tasks whose data is present, and one line saying what was skipped (or None)."""
  tasks, missing = [], {}
  workdir = options.workdir / study.key
  for job in study.jobs(options.budget):
    why = job.missing(options.data_dir)
    for reason in why:
      missing.setdefault(reason, []).append(job.name)
    if not why:
      command = ["-m", f"experiments.{job.experiment}", *job.argv(options.data_dir, options.num_seeds, workdir)]
      vectors = None if job.vectors is None else ["-m", "experiments.word_vectors",
                                                  *job.vectors_argv(options.data_dir, workdir)]
      tasks.append(Task(study.key, job, command, workdir / job.name, vectors=vectors))
  if not missing:
    return tasks, None
  where = f"not found in {options.data_dir.resolve()}"
  if not tasks:
    return [], f"{study.key} skipped: {'; '.join(missing)} {where}"
  return tasks, "; ".join(f"{study.key} {', '.join(names)} skipped: {reason} {where}"
                          for reason, names in missing.items())


def check(tasks: list[Task]) -> None:
  """Each task's RunSpec (from its flags, without running it) and its finished results, if any."""
  for task in tasks:
    try:
      task.spec = job_spec(task.job.experiment, task.command[2:])
    except ConfigError as e:
      task.error = f"flags refused: {e}"
      continue
    task.results = finished_results(task.spec, task.run_dir)
    task.reused = task.results is not None


def execute(task: Task, log: Path) -> None:
  """Runs the task's command, after its word vectors' if they are missing (output to ``log``); sets its
  results, or its error."""
  log.parent.mkdir(parents=True, exist_ok=True)
  commands = ([task.vectors] if task.vectors_missing() else []) + [task.command]
  with open(log, "w") as out:
    for command in commands:
      code = subprocess.run([sys.executable, *command], stdout=out, stderr=subprocess.STDOUT, env=_env()).returncode
      if code:
        break
  task.results = finished_results(task.spec, task.run_dir) if code == 0 else None
  if task.results is None:
    tail = "\n".join("    " + line for line in log.read_text(errors="replace").splitlines()[-5:])
    task.error = f"exit code {code}" + ("" if code else ", but no results.json for this config")
    print(f"FAILED ({task.error}): {task.shell()}\n  log {log}:\n{tail}", flush=True)


def _env() -> dict:
  """Subprocesses import this checkout's packages, wherever they are started from."""
  return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}


def reproduce(studies: list[Study], options: Options, output: Path, command: str = "",
              dry_run: bool = False, keep_other_studies: bool = False) -> int:
  """Plans, checks and runs every study's jobs, then writes ``output``; the exit code (1 if any job failed).

  ``keep_other_studies``: an existing ``output`` keeps its other studies' sections; only the
  selected studies' sections are replaced.

  A dry run prints the plan (commands, skipped studies, what would be reused) and runs nothing.
  """
  planned = {s.key: plan(s, options) for s in studies}
  tasks = [t for s in studies for t in planned[s.key][0]]
  check(tasks)
  for study in studies:
    study_tasks, skipped = planned[study.key]
    if skipped:
      print(skipped, flush=True)
    if dry_run:
      for task in study_tasks:
        print(f"{study.key} {task.job.name} [{task.status()}]\n{task.shell()}")
  if dry_run:
    return int(any(t.error for t in tasks))
  for i, task in enumerate(tasks, 1):
    print(f"[{i}/{len(tasks)}] {task.study} {task.job.name}: {task.status()}", flush=True)
    if task.error:
      print(f"FAILED: {task.shell()}", flush=True)
    elif task.results is None:
      start = time.time()
      execute(task, options.workdir / "logs" / f"{task.study}-{task.job.name}.log")
      print(f"    {'done' if task.results else 'failed'} in {time.time() - start:.0f} s", flush=True)
  markdown = results_markdown(studies, planned, options, command)
  if keep_other_studies and output.exists():
    markdown = merge_studies(output.read_text(), markdown, command)
  output.write_text(markdown)
  failed = [t for t in tasks if t.results is None]
  print(f"Wrote {output}: {len(tasks) - len(failed)} of {len(tasks)} jobs have results"
        + (f"; failed: {', '.join(f'{t.study} {t.job.name}' for t in failed)}" if failed else ""))
  return int(bool(failed))
