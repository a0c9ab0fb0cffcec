"""The five studies as lists of experiment command lines, for ``experiments.reproduce``.

Each study module (s0 … s4) holds its jobs at the ``full`` budget (the configurations whose
numbers RESULTS.md reports), the ``quick`` budget (the same jobs shrunk so that all studies
run in about half an hour on 2 CPU cores), and the prose printed around its table.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from lyric_jax.data import sources

# In a flag value, stands for the data dir; the file it names must exist there.
DATA_DIR = "{data_dir}"
BUDGETS = ("quick", "full")


@dataclasses.dataclass(frozen=True)
class Vectors:
  """In-domain word vectors a job starts from: ``experiments.word_vectors`` with ``flags``, on the
  training split of the job's command with ``job_changes`` (e.g. ``--train_subsample=1``: the texts
  of the whole training split for a job that learns from a subsample of its labels)."""
  flags: tuple[str, ...] = ()
  job_changes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Job:
  """One experiment command line: ``python -m experiments.<experiment> <flags>``.

  ``experiments.reproduce`` adds --data_dir, --num_seeds (unless the job sets its own: a
  population whose ensemble is the reported model), --workdir and --run_name=<name>.

  ``vectors``: the job starts from in-domain skip-gram vectors of the texts of its training split
  (with ``Vectors.job_changes``), which ``experiments.word_vectors`` trains first into the
  workdir; the job then reads them with --vectors. The file's name holds a digest of that
  command, so changed vector or text flags train new vectors instead of reusing stale ones.
  """
  name: str                        # run directory name, unique within its study
  experiment: str                  # module experiments.<experiment>
  flags: tuple[str, ...] = ()
  source: str | None = None        # data source it reads (lyric_jax.data.sources); None = generated
  vectors: Vectors | None = None

  def argv(self, data_dir: str | Path, num_seeds: int, workdir: str | Path) -> list[str]:
    own = [f.replace(DATA_DIR, str(data_dir)) for f in self.flags]
    seeds = [] if any(_flag_key(f) == "num_seeds" for f in own) else [f"--num_seeds={num_seeds}"]
    vectors = [] if self.vectors is None else [f"--vectors={self.vectors_file(workdir)}"]
    return [*own, *vectors, f"--data_dir={data_dir}", *seeds, f"--workdir={workdir}", f"--run_name={self.name}"]

  def vectors_file(self, workdir: str | Path) -> Path:
    digest = hashlib.sha256("\0".join(self._vectors_command()).encode()).hexdigest()[:10]
    return Path(workdir) / f"{self.name}-{digest}.vectors.txt"

  def vectors_argv(self, data_dir: str | Path, workdir: str | Path) -> list[str]:
    """experiments.word_vectors' arguments for this job's vectors: its flags, then the job after '--'."""
    return [f"--out={self.vectors_file(workdir)}", f"--data_dir={data_dir}",
            *(f.replace(DATA_DIR, str(data_dir)) for f in self._vectors_command())]

  def _vectors_command(self) -> list[str]:
    """The vectors' command without where it runs: their flags, '--', the job whose texts they read."""
    return [*self.vectors.flags, "--", self.experiment, *self.with_flags(*self.vectors.job_changes).flags]

  def with_flags(self, *changes: str, name: str | None = None) -> "Job":
    """This job with each --flag[=value] in ``changes`` replacing the same flag (or appended)."""
    keys = {_flag_key(c) for c in changes}
    kept = tuple(f for f in self.flags if _flag_key(f) not in keys)
    return dataclasses.replace(self, flags=kept + changes, name=name or self.name)

  def missing(self, data_dir: Path) -> list[str]:
    """Why the job cannot run on ``data_dir`` (its source's files, or a named file, are absent)."""
    why = []
    if self.source is not None:
      candidates = sources.get(self.source).candidates
      if not any((data_dir / c).exists() for c in candidates):
        why.append(f"{self.source} data ({' / '.join(candidates)})")
    for f in self.flags:
      _, _, value = f.partition("=")
      if value.startswith(DATA_DIR) and not Path(value.replace(DATA_DIR, str(data_dir))).exists():
        why.append(value.replace(DATA_DIR + "/", ""))
    return why


def _flag_key(flag: str) -> str:
  """--epochs=5 → epochs; --nogrouped_split → grouped_split (absl's boolean negation)."""
  name = flag.lstrip("-").partition("=")[0]
  return name[2:] if name.startswith("no") and "=" not in flag else name


@dataclasses.dataclass(frozen=True)
class Study:
  key: str                          # S0 … S4
  title: str
  intro: str                        # data and protocol of the full budget, above the table
  note: str                         # the reading of the full-budget numbers, below the commands
  full: tuple[Job, ...]
  quick: tuple[Job, ...]
  quick_changes: str                # how the quick budget shrinks the full one
  metrics: tuple[str, ...] = ()     # test metrics shown beside accuracy and macro-F1

  def jobs(self, budget: str) -> tuple[Job, ...]:
    return {"full": self.full, "quick": self.quick}[budget]


def all_studies() -> dict[str, Study]:
  from experiments.studies import s0, s1, s2, s3, s4   # each module builds its Study from Job
  return {s.key: s for s in (s0.STUDY, s1.STUDY, s2.STUDY, s3.STUDY, s4.STUDY)}


def select(names: list[str]) -> list[Study]:
  """Studies by key (S0 … S4, any case), or all of them for ['all']."""
  studies = all_studies()
  keys = list(studies) if [n.lower() for n in names] == ["all"] else [n.strip().upper() for n in names]
  unknown = [k for k in keys if k not in studies]
  if unknown:
    raise ValueError(f"unknown studies {unknown}; choose from {', '.join(studies)} or all")
  return [studies[k] for k in keys]
