"""Attention heatmaps: one cell per token, coloured by its weight, annotated with the token.

Flat texts are wrapped into rows of ``columns`` tokens (as in study S3's figures);
a HAN passes one list of tokens per line instead: each line becomes a row, labelled
with its line-attention weight. The weights are what the model sows under the
intermediates contract (``lyric_jax.models.intermediates``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from absl import logging

import matplotlib

matplotlib.use("Agg")   # headless: plots are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lyric_jax.models.intermediates import Attention, read_attention  # noqa: E402

_MAX_CHARS = 12   # longer tokens are shortened so the grid stays readable


def token_grid(tokens: Sequence, weights: Sequence, columns: int = 12) -> tuple[list[list[str]], np.ndarray]:
  """(token rows, weight grid [rows, width]); NaN where a row has no token.

  ``tokens`` is a flat list (wrapped every ``columns``) or a list of rows (one per line).
  """
  if tokens and not isinstance(tokens[0], str):
    rows = [list(r) for r in tokens]
    weight_rows = [np.asarray(w, float)[:len(r)] for w, r in zip(weights, rows)]
  else:
    rows = [list(tokens[i:i + columns]) for i in range(0, len(tokens), columns)]
    flat = np.asarray(weights, float)[:len(tokens)]
    weight_rows = [flat[i:i + columns] for i in range(0, len(tokens), columns)]
  width = max([len(r) for r in rows] + [1])
  grid = np.full((max(len(rows), 1), width), np.nan)
  for i, w in enumerate(weight_rows):
    grid[i, :len(w)] = w
  return rows, grid


def attention_heatmap(tokens: Sequence, weights: Sequence, path: str | Path, *, title: str = "",
                      columns: int = 12, row_labels: Sequence[str] | None = None) -> np.ndarray:
  """Writes the heatmap PNG and returns its weight grid (one finite cell per token)."""
  rows, grid = token_grid(tokens, weights, columns)
  # Colours span the weights shown (as seaborn's heatmap does), so relative emphasis is
  # visible even when attention is nearly uniform; the colour bar gives the values.
  finite = grid[np.isfinite(grid)]
  vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
  vmin = vmin if vmax > vmin else 0.0
  vmax = vmax if vmax > vmin else 1.0
  fig, ax = plt.subplots(figsize=(0.9 * grid.shape[1] + 2.0, 0.45 * grid.shape[0] + 1.3))
  image = ax.imshow(np.ma.masked_invalid(grid), cmap="YlOrRd", vmin=vmin, vmax=vmax, aspect="auto")
  for r, row in enumerate(rows):
    for c, token in enumerate(row):
      label = token if len(token) <= _MAX_CHARS else token[:_MAX_CHARS - 1] + "…"
      ax.text(c, r, label, ha="center", va="center", fontsize=8,
              color="white" if grid[r, c] > vmin + 0.6 * (vmax - vmin) else "black")
  ax.set_xticks([])
  ax.set_yticks(range(len(row_labels)) if row_labels else [], row_labels or [], fontsize=7)
  ax.set_title(title, fontsize=10)
  fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02, label="attention weight")
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)
  return grid


FLAT_ROW = 12   # a flat model's tokens are drawn in rows of this many words


def song_attention(attention: Attention, batch: Mapping[str, np.ndarray], index: int = 0):
  """(token ids [L, W], word weights [L, W], line weights [L] or None) of song ``index``, real lines only.

  A HAN gives both levels; a flat attention model gives token weights, wrapped into rows.
  """
  tokens = np.asarray(batch["tokens"][index])
  length = int(batch["lengths"][index])
  if attention.lines is not None:
    return (tokens[:length], np.asarray(attention.words[index])[:length],
            np.asarray(attention.lines[index])[:length])
  rows = -(-length // FLAT_ROW)
  pad = rows * FLAT_ROW - length
  wrap = lambda x: np.pad(x[:length], (0, pad)).reshape(rows, FLAT_ROW)   # noqa: E731
  return wrap(tokens), wrap(np.asarray(attention.tokens[index])), None


def write_attention_png(model, variables, batch: Mapping[str, np.ndarray], id_to_token, path: str | Path,
                        title: str = "") -> bool:
  """Draws song 0 of ``batch``; returns False (nothing written) when the model sows no attention.

  Runs after training, so a failure here (a model breaking the intermediates contract, a
  drawing error) is a one-line warning and no figure: it never costs the finished training.
  """
  try:
    _, state = model.apply(variables, dict(batch), train=False, mutable=["intermediates"])
    attention = read_attention(state, batch)
    if not attention.sown:
      return False
    tokens, word_weights, line_weights = song_attention(attention, batch)
    words = [[id_to_token(int(t)) for t in row if t] for row in tokens]
    labels = ([f"line {i + 1} ({w:.2f})" for i, w in enumerate(line_weights)]
              if line_weights is not None else None)
    attention_heatmap(words, word_weights, path, title=title, row_labels=labels)
  except Exception as e:  # noqa: BLE001  (the figure is optional; the results after it are not)
    logging.warning("%s not written: %s: %s", Path(path).name, type(e).__name__, str(e).partition("\n")[0])
    return False
  return True
