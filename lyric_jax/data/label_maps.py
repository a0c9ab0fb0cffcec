"""Many-to-one label maps (e.g. study S4's 114 Spotify genres → 66), kept as documented data.

A map is a JSON file: ``merged`` lists each new label's members (with why they
were merged) and ``unchanged`` lists labels kept as they are, so every label the
map knows is written down once. Packaged maps live in ``genre_merges/`` and are
named without the ``.json``; any other path to such a file also works.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from lyric_jax.data.errors import DataError
from lyric_jax.data.table import LABEL, Table

MAPS_DIR = Path(__file__).with_name("genre_merges")


def available() -> list[str]:
  return sorted(p.stem for p in MAPS_DIR.glob("*.json"))


def load_label_map(name: str) -> dict[str, str]:
  """old label → new label, for a packaged map name or a JSON path."""
  packaged = MAPS_DIR / f"{name}.json"
  path = packaged if packaged.exists() else Path(name)
  if not path.is_file():
    raise DataError(f"No label map {name!r}; packaged maps: {available()}, or give a JSON file path")
  doc = json.loads(path.read_text())
  mapping = {label: label for label in doc.get("unchanged", [])}
  for new, group in doc.get("merged", {}).items():
    for old in group["members"]:
      if old in mapping:
        raise DataError(f"Label map {path.name} lists {old!r} twice")
      mapping[old] = new
  return mapping


def apply_label_map(table: Table, name: str) -> Table:
  """Relabels every row; a label the map does not know is an error, never a silent pass-through."""
  if not name or not table.labeled:
    return table
  mapping = load_label_map(name)
  labels = table.frame[LABEL]
  unknown = sorted(set(labels) - set(mapping))
  if unknown:
    raise DataError(f"Label map {name!r} does not cover label(s) {unknown[:10]} of {table.source}")
  return dataclasses.replace(table, frame=table.frame.assign(**{LABEL: labels.map(mapping)}))
