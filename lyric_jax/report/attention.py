"""Attention heatmaps: one cell per token, coloured by its weight, annotated with the token.

Flat texts are wrapped into rows of ``columns`` tokens (as in study S3's figures);
a HAN passes one list of tokens per line instead: each line becomes a row, labelled
with its line-attention weight. Models sow their weights
(``self.sow('intermediates', 'attention_weights', w)``); ``attention_weights`` collects them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import flax

import matplotlib

matplotlib.use("Agg")   # headless: plots are files, never windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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


def attention_weights(model, variables, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
  """Sown attention weights of one forward pass, e.g. {'word_attention': [B, L, W], 'line_attention': [B, L]}."""
  _, state = model.apply(variables, dict(batch), train=False, mutable=["intermediates"])
  flat = flax.traverse_util.flatten_dict(state.get("intermediates", {}))
  return {"/".join(key[:-1]): np.asarray(value[0]) for key, value in flat.items()
          if key[-1] == "attention_weights"}


def song_attention(weights: dict[str, np.ndarray], batch: Mapping[str, np.ndarray], index: int = 0):
  """(token ids [L, W], word weights [L, W], line weights [L] or None) of song ``index``, real lines only.

  A HAN gives both levels; a flat attention model gives word weights, wrapped into rows.
  """
  tokens = np.asarray(batch["tokens"][index])
  if "word_attention" in weights and "line_attention" in weights:
    lines = int(batch["lengths"][index])
    return (tokens[:lines], weights["word_attention"][index][:lines],
            weights["line_attention"][index][:lines])
  word = next(iter(weights.values()))   # a flat model has one attention pool
  length = int(batch["lengths"][index])
  rows = -(-length // FLAT_ROW)
  pad = rows * FLAT_ROW - length
  wrap = lambda x: np.pad(x[:length], (0, pad)).reshape(rows, FLAT_ROW)   # noqa: E731
  return wrap(tokens), wrap(word[index]), None


def write_attention_png(model, variables, batch: Mapping[str, np.ndarray], id_to_token, path: str | Path,
                        title: str = "") -> bool:
  """Draws song 0 of ``batch``; returns False (nothing written) when the model sows no attention."""
  weights = attention_weights(model, variables, batch)
  if not weights:
    return False
  tokens, word_weights, line_weights = song_attention(weights, batch)
  words = [[id_to_token(int(t)) for t in row if t] for row in tokens]
  labels = ([f"line {i + 1} ({w:.2f})" for i, w in enumerate(line_weights)]
            if line_weights is not None else None)
  attention_heatmap(words, word_weights, path, title=title, row_labels=labels)
  return True
