"""Line layout for the HAN: shapes, caps, and blank lines / padding never changing the logits."""

import chex
import jax
import numpy as np
import pandas as pd
import pytest

from lyric_jax.data.encode import Preprocessor, TextSpec
from lyric_jax.data.table import Table
from lyric_jax.models import registry
from lyric_jax.run.build import optimizer
from lyric_jax.train import steps
from lyric_jax.train.loop import FitConfig, fit
from lyric_jax.train.objectives import Classification

SONGS = ["red blue green\nblue sky\n\nred red red red red red red", "sky\ngreen", "blue"]


def table_of(texts, labels=None):
  frame = pd.DataFrame({"row": range(len(texts)), "text": texts, "group": [str(i) for i in range(len(texts))]})
  if labels is not None:
    frame["label"] = labels
  return Table(frame, source="t")


@pytest.fixture(scope="module")
def fitted():
  spec = TextSpec(min_frequency=1, layout="lines", max_lines="max", max_words="max")
  return Preprocessor.fit(table_of(SONGS, ["a", "b", "a"]), ["a", "b"], spec)


def test_lines_layout_shapes_caps_and_blank_lines(fitted, tmp_path):
  assert (fitted.layout, fitted.max_lines, fitted.max_words) == ("lines", 3, 7)   # blank line not counted
  arrays = fitted.encode(table_of(SONGS, ["a", "b", "a"]))
  chex.assert_shape(arrays["tokens"], (3, 3, 7))
  np.testing.assert_array_equal(arrays["lengths"], [3, 2, 1])
  np.testing.assert_array_equal(arrays["word_lengths"], [[3, 2, 7], [1, 1, 0], [1, 0, 0]])
  real = np.arange(7) < arrays["word_lengths"][..., None]
  assert (arrays["tokens"][real] > 0).all() and (arrays["tokens"][~real] == 0).all()
  fitted.save(tmp_path)                                  # the layout and caps travel with the run
  loaded = Preprocessor.load(tmp_path)
  assert (loaded.layout, loaded.max_lines, loaded.max_words) == ("lines", 3, 7)
  np.testing.assert_array_equal(loaded.encode(table_of(SONGS))["tokens"], arrays["tokens"])


def test_flat_layout_is_unchanged(fitted):
  flat = Preprocessor.fit(table_of(SONGS, ["a", "b", "a"]), ["a", "b"], TextSpec(min_frequency=1, max_len="4"))
  arrays = flat.encode(table_of(SONGS))
  assert set(arrays) == {"tokens", "lengths"} and arrays["tokens"].shape == (3, 4)


def test_blank_lines_and_more_padding_leave_han_logits_unchanged(fitted, random_params):
  model = registry.build("han", num_classes=2, vocab_size=fitted.vocab_size, embed=6, word_hidden=4,
                         line_hidden=4, attn_size=4)
  arrays = fitted.encode(table_of(SONGS))
  params = random_params(model, arrays)
  apply = jax.jit(lambda p, batch: model.apply(p, batch, train=False))
  logits = apply(params, arrays)
  spaced = ["\n\n" + s.replace("\n", "\n \n\n") + "\n\n" for s in SONGS]   # extra blank lines everywhere
  wide = Preprocessor(**{**fitted.__dict__, "max_lines": 5, "max_words": 9})  # more padding
  for arrays_b in (fitted.encode(table_of(spaced)), wide.encode(table_of(SONGS)), wide.encode(table_of(spaced))):
    chex.assert_trees_all_close(apply(params, arrays_b), logits, atol=1e-5)


def test_each_han_step_compiles_once(fitted, tmp_path):
  texts = [" ".join(f"w{(i * 7 + j) % 11}" for j in range(i % 5 + 1)) + "\nblue sky" for i in range(40)]
  table = table_of(texts, ["a" if i % 2 else "b" for i in range(40)])
  arrays = fitted.encode(table)
  data = {"train": arrays, "val": arrays}
  model = registry.build("han", num_classes=2, vocab_size=fitted.vocab_size, embed=5, word_hidden=3,
                         line_hidden=3, attn_size=3, bidirectional=False)   # one direction: half the compile
  before = dict(steps.TRACE_COUNTS)
  cfg = FitConfig(epochs=2, batch_size=16, seeds=(0, 1), progress=False)
  fit(model, Classification(2), data, cfg, tmp_path, tx=optimizer(cfg))
  assert steps.TRACE_COUNTS["train_step"] - before.get("train_step", 0) == 1
  assert steps.TRACE_COUNTS["eval_step"] - before.get("eval_step", 0) == 1
