"""Reproduce the studies: run each study's experiment commands, then write RESULTS.md from them.

    python -m experiments.reproduce --studies=all --num_seeds=3 [--budget=quick|full] \
        [--data_dir=DIR] [--workdir=runs/reproduce] [--output=RESULTS.md] [--keep_other_studies] [--dry_run]

Every job is a plain experiment command line (the lists are in experiments/studies/), run
as a subprocess in its own run directory WORKDIR/<study>/<run> and printed exactly as run.
A run directory whose results.json was made by the same config is reused, not retrained;
an unfinished one resumes. A study whose data files are not in the data dir is skipped with
one line; nothing is downloaded. A failed job prints its command and exit code, the others
go on, and the exit code is 1. The tables hold only numbers read from results.json files.
``quick`` (the default) shrinks every study to run in about half an hour on 2 CPU cores;
``full`` runs the configurations RESULTS.md reports (hours).
"""

import sys
from pathlib import Path

from absl import app, flags, logging

from experiments.studies import BUDGETS, select
from experiments.studies.tasks import Options, reproduce
from lyric_jax.data.download import resolve_data_dir

FLAGS = flags.FLAGS
flags.DEFINE_list("studies", ["all"], "Studies to reproduce: a comma list of S0..S4, or all.")
flags.DEFINE_enum("budget", "quick", list(BUDGETS),
                  "quick: every study shrunk to ~30 min in all on 2 CPU cores; full: the reported configurations.")
flags.DEFINE_integer("num_seeds", 3, "Seeds per run, passed to every job.")
flags.DEFINE_string("data_dir", None, "Folder holding the data files (else $LYRIC_JAX_DATA, else ./data).")
flags.DEFINE_string("workdir", "runs/reproduce", "Parent of the run directories (WORKDIR/<study>/<run>).")
flags.DEFINE_string("output", None, "Markdown file to write, holding only the selected studies "
                    "(default: RESULTS.md for --budget=full, WORKDIR/RESULTS.md for quick, so a quick "
                    "run never overwrites the committed full results).")
flags.DEFINE_bool("keep_other_studies", False, "An existing --output keeps the sections of the studies not "
                  "selected; only the selected studies' sections are rewritten.")
flags.DEFINE_bool("dry_run", False, "Print the commands, skipped studies and what would be reused; run nothing.")


def main(argv):
  logging.set_verbosity(logging.WARNING)   # JAX logs each backend it probes at INFO
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments {argv[1:]}")
  try:
    studies = select(FLAGS.studies)
  except ValueError as e:
    raise app.UsageError(str(e)) from None
  options = Options(FLAGS.budget, FLAGS.num_seeds, resolve_data_dir(FLAGS.data_dir), Path(FLAGS.workdir))
  output = Path(FLAGS.output or ("RESULTS.md" if options.budget == "full" else options.workdir / "RESULTS.md"))
  command = (f"python -m experiments.reproduce --studies={','.join(s.key for s in studies)} "
             f"--budget={options.budget} --num_seeds={options.num_seeds} --data_dir={options.data_dir} "
             f"--workdir={options.workdir} --output={output}"
             + (" --keep_other_studies" if FLAGS.keep_other_studies else ""))
  sys.exit(reproduce(studies, options, output, command, FLAGS.dry_run, FLAGS.keep_other_studies))


if __name__ == "__main__":
  app.run(main)
