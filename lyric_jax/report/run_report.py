"""Everything a finished run writes for people: RESULTS.md and its PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lyric_jax.report import plots
from lyric_jax.report.tables import evaluated, results_markdown, selected_replicas


def write_run_report(results: dict, run_dir: str | Path) -> str:
  """Writes RESULTS.md, learning_curves.png and confusion.png; returns the markdown."""
  run_dir = Path(run_dir)
  markdown = results_markdown(results)
  (run_dir / "RESULTS.md").write_text(markdown)
  if results["history"]:
    plots.learning_curves(results["history"], run_dir / "learning_curves.png")
  lr, chosen = selected_replicas(results)
  confusion = np.sum([evaluated(results)[i]["confusion"] for i in chosen], axis=0)
  plots.confusion_matrix(confusion, results["data"]["labels"], run_dir / "confusion.png",
                         f"{results['eval_split']} split, lr {lr:g}, summed over {len(chosen)} seeds")
  return markdown
