"""What a data source is: where its file is found and how a file of it is read.

Each module of this package defines the ``Source`` objects of one family of public files;
``lyric_jax.data.sources`` registers them by name.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Callable

import pandas as pd

from lyric_jax.data import download
from lyric_jax.data.errors import DataError, naming_file
from lyric_jax.data.table import Table


@dataclasses.dataclass(frozen=True)
class Source:
  """A named data format: where to find it and how to read a file of it."""
  name: str
  candidates: tuple[str, ...]            # file names tried in the data dir, in order
  read: Callable[..., Table]             # read(path, labeled=True, **options) -> Table
  label_column: str | None = None        # the file's label column (absent in unlabelled files)
  download_key: str | None = None        # manifest entry fetched when no candidate exists
  description: str = ""
  # Exactly the text transforms ``read`` applies (e.g. punctuation stripping; its row filters
  # aside), for raw text that does not come through ``read`` (``predict --text``, explain);
  # None = ``read`` keeps texts as written. Keyword arguments it shares with ``read`` receive
  # the run's dataset options. tests/data/test_source_clean.py holds every source to it.
  text_transform: Callable[..., pd.Series] | None = None
  # Formats that are not one CSV (folders of .txt, tab-separated files) say themselves
  # whether a file holds labels; None = look for label_column in the CSV header.
  detect_labels: Callable[[Path], bool] | None = None
  # Options that pick which rows of the training file to use (e.g. the official train
  # split); a file given to predict is read whole, so these are not applied there.
  selection_options: tuple[str, ...] = ()

  def clean(self, text: str, options: dict | None = None) -> str:
    """One raw text (``predict --text``, explain) cleaned as ``read`` cleans a file's texts
    with the dataset ``options``."""
    if self.text_transform is None:
      return text
    wanted = inspect.signature(self.text_transform).parameters
    kwargs = {k: v for k, v in (options or {}).items() if k in wanted}
    return str(self.text_transform(pd.Series([text], dtype=object), **kwargs).iloc[0])

  def locate(self, data_dir: str | Path | None = None) -> Path | None:
    """The file (or folder) ``load`` reads from ``data_dir``, downloading it if missing; None
    for generated data (no candidates), whose options are its whole identity."""
    if not self.candidates:
      return None
    return download.find_file(download.resolve_data_dir(data_dir), list(self.candidates),
                              download_key=self.download_key)

  def load(self, data_dir: str | Path | None = None, **options) -> Table:
    return self.read_file(self.locate(data_dir), labeled=True, options=options)

  def read_file(self, path: str | Path, labeled: bool, options: dict | None = None) -> Table:
    """Reads one file with a run's dataset options (so prediction reads as training did)."""
    options = options or {}
    self._check_options(options, self.read, skip=("path", "labeled"))
    with naming_file(path):
      return self.read(path, labeled=labeled, **options)

  def _check_options(self, options: dict, function: Callable, skip: tuple[str, ...] = ()) -> None:
    known = [p for p in inspect.signature(function).parameters if p not in skip]
    unknown = sorted(set(options) - set(known))
    if unknown:
      raise DataError(f"Dataset {self.name!r} has no option(s) {unknown} (--dataset_options); it takes {known}")


@dataclasses.dataclass(frozen=True)
class GeneratedSource(Source):
  """Data made by ``generate(**options)`` instead of read from the data dir, so experiments
  and tests run anywhere; ``read`` still parses files in its layout (e.g. for predict),
  which the generator's options do not shape."""
  generate: Callable[..., Table] = dataclasses.field(kw_only=True)   # generate(**options) -> Table

  def load(self, data_dir: str | Path | None = None, **options) -> Table:
    self._check_options(options, self.generate)
    return self.generate(**options)

  def read_file(self, path: str | Path, labeled: bool, options: dict | None = None) -> Table:
    return super().read_file(path, labeled)

