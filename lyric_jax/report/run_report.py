"""Everything a finished run writes for people: RESULTS.md and its PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lyric_jax.experiment import EVAL_PREDICTIONS
from lyric_jax.report import plots
from lyric_jax.report.tables import evaluated, results_markdown, selected_replicas
from lyric_jax.rundir import write_text_atomic


def write_run_report(results: dict, run_dir: str | Path) -> str:
  """Writes RESULTS.md, learning_curves.png and confusion.png (classification) or
  errors.png (regression); returns the markdown."""
  run_dir = Path(run_dir)
  markdown = results_markdown(results)
  write_text_atomic(run_dir / "RESULTS.md", markdown)
  regression = results.get("objective") == "regression"
  if results["history"]:
    if regression:
      plots.learning_curves(results["history"], run_dir / "learning_curves.png", metrics=("loss", "mae"))
    else:
      plots.learning_curves(results["history"], run_dir / "learning_curves.png")
  if regression:
    split = results["eval_split"]
    frame = pd.read_csv(run_dir / EVAL_PREDICTIONS.format(split=split))
    plots.regression_errors(frame["label"], frame["predicted"], frame.get("benchmark"), run_dir / "errors.png",
                            f"{split} split, best replica by validation MAE")
    return markdown
  lr, chosen = selected_replicas(results)
  confusion = np.sum([evaluated(results)[i]["confusion"] for i in chosen], axis=0)
  plots.confusion_matrix(confusion, results["data"]["labels"], run_dir / "confusion.png",
                         f"{results['eval_split']} split, lr {lr:g}, summed over {len(chosen)} seeds")
  return markdown
