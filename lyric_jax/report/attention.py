"""Attention heatmaps: what a model looked at in one song (word and line weights).

Models sow their weights (``self.sow('intermediates', 'attention_weights', w)``);
``attention_weights`` collects them by module name, ``plot_song_attention`` draws them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import flax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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


def plot_song_attention(words: list[list[str]], word_weights: np.ndarray, line_weights: np.ndarray | None,
                        path: str | Path, title: str = "") -> None:
  """Heatmap: one row per line (its words printed on their weight), line weights in a side column."""
  rows, width = word_weights.shape
  fig_w, fig_h = 2.0 + 0.85 * width, 1.2 + 0.28 * max(rows, 1)
  columns = 2 if line_weights is not None else 1
  fig, axes = plt.subplots(1, columns, figsize=(fig_w, fig_h), squeeze=False,
                           gridspec_kw={"width_ratios": [1, width][-columns:]})
  if line_weights is not None:
    ax = axes[0, 0]
    ax.imshow(np.asarray(line_weights)[:, None], cmap="Oranges", aspect="auto", vmin=0)
    ax.set_xticks([0], ["line"])
    ax.set_yticks(range(rows), [str(i + 1) for i in range(rows)], fontsize=6)
    for i, w in enumerate(line_weights):
      ax.text(0, i, f"{w:.2f}", ha="center", va="center", fontsize=5)
  ax = axes[0, -1]
  masked = np.ma.masked_where(np.array([[w == "" for w in r] + [True] * (width - len(r)) for r in words]),
                              word_weights)
  ax.imshow(masked, cmap="Blues", aspect="auto", vmin=0)
  for i, row in enumerate(words):
    for j, word in enumerate(row):
      if word:
        ax.text(j, i, word, ha="center", va="center", fontsize=6)
  ax.set_xticks([])
  ax.set_yticks([])
  ax.set_title("word attention (each line's weights sum to 1)" if line_weights is not None
               else "token attention", fontsize=8)
  fig.suptitle(title, fontsize=9)
  fig.tight_layout()
  fig.savefig(path, dpi=130)
  plt.close(fig)


def write_attention_png(model, variables, batch: Mapping[str, np.ndarray], id_to_token, path: str | Path,
                        title: str = "") -> bool:
  """Draws song 0 of ``batch``; returns False (nothing written) when the model sows no attention."""
  weights = attention_weights(model, variables, batch)
  if not weights:
    return False
  tokens, word_weights, line_weights = song_attention(weights, batch)
  words = [[id_to_token(int(t)) if t else "" for t in row] for row in tokens]
  plot_song_attention(words, word_weights, line_weights, path, title)
  return True
