"""Exploratory plots of a cleaned lyrics table (study S0's EDA): lengths, genres, word clouds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lyric_jax.data.table import LABEL, TEXT, Table  # noqa: E402


def length_histogram(table: Table, path: str | Path, bins: int = 50) -> None:
  """Characters and lines per song (the study plotted characters)."""
  text = table.frame[TEXT]
  fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
  for ax, values, name in ((axes[0], text.str.len(), "characters"),
                           (axes[1], text.str.count("\n") + 1, "lines")):
    ax.hist(values, bins=bins, color="tab:blue")
    ax.axvline(np.median(values), color="tab:red", label=f"median {np.median(values):.0f}")
    ax.set_xlabel(f"{name} per song")
    ax.set_ylabel("songs")
    ax.legend()
  fig.suptitle(f"{table.source}: {len(table)} songs")
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def songs_per_genre(table: Table, path: str | Path) -> None:
  counts = table.frame[LABEL].value_counts()
  fig, ax = plt.subplots(figsize=(max(5, 0.5 * len(counts) + 2), 3.8))
  ax.bar(counts.index, counts.to_numpy(), color="tab:blue")
  ax.set_ylabel("songs")
  ax.set_title(f"{table.source}: songs per genre (majority {counts.iloc[0] / counts.sum():.1%})")
  ax.tick_params(axis="x", rotation=45)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)


def word_clouds(table: Table, genres: list[str], path: str | Path, max_songs: int = 2000,
                seed: int = 0) -> None:
  """One word cloud per genre from up to ``max_songs`` random songs (wordcloud's stopwords)."""
  from wordcloud import WordCloud
  columns = min(len(genres), 4)
  rows = -(-len(genres) // columns)
  fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 4 * rows), squeeze=False)
  for ax in axes.flat:
    ax.axis("off")
  for ax, genre in zip(axes.flat, genres):
    songs = table.frame.loc[table.frame[LABEL] == genre, TEXT]
    songs = songs.sample(min(len(songs), max_songs), random_state=seed)
    cloud = WordCloud(width=400, height=400, background_color="white", random_state=seed)
    ax.imshow(cloud.generate(" ".join(songs).lower()), interpolation="bilinear")
    ax.set_title(f"{genre} ({len(songs)} songs)")
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def write_eda(table: Table, out_dir: str | Path, cloud_genres: list[str] | None = None) -> list[Path]:
  """Writes lengths.png, genres.png and wordclouds.png (the 4 largest genres unless given)."""
  out_dir = Path(out_dir)
  out_dir.mkdir(parents=True, exist_ok=True)
  genres = cloud_genres or table.frame[LABEL].value_counts().index[:4].tolist()
  paths = [out_dir / "lengths.png", out_dir / "genres.png", out_dir / "wordclouds.png"]
  length_histogram(table, paths[0])
  songs_per_genre(table, paths[1])
  word_clouds(table, genres, paths[2])
  (out_dir / "data_report.txt").write_text(table.report() + "\n")
  return paths
