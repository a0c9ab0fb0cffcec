"""Everything a finished run writes for people: RESULTS.md and its PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lyric_jax.report import plots
from lyric_jax.report.tables import results_markdown
from lyric_jax.run import rundir
from lyric_jax.run.results import Results


def write_run_report(results: Results, predictions: pd.DataFrame, run_dir: str | Path) -> None:
  """Writes RESULTS.md, learning_curves.png and confusion.png (classification) or
  errors.png (regression, from ``predictions``: the eval split's per-row label, predicted, benchmark)."""
  run_dir = Path(run_dir)
  rundir.write_text_atomic(run_dir / rundir.REPORT_FILE, results_markdown(results))
  if results.history:
    metrics = ("loss", "mae") if results.regression else None
    plots.learning_curves(results.history, run_dir / rundir.LEARNING_CURVES_PNG, metrics=metrics)
  split = results.eval_split
  if results.regression:
    plots.regression_errors(predictions["label"], predictions["predicted"], predictions.get("benchmark"),
                            run_dir / rundir.ERRORS_PNG, f"{split} split, best replica by validation MAE")
    return
  lr, chosen = results.selected()
  confusion = np.sum([results.evaluated[i]["confusion"] for i in chosen], axis=0)
  plots.confusion_matrix(confusion, results.data["labels"], run_dir / rundir.CONFUSION_PNG,
                         f"{split} split, lr {lr:g}, summed over {len(chosen)} seeds")
