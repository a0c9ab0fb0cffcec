"""Length buckets: every row once, each batch cut only past its rows' lengths, one compile per bucket."""

import chex
import numpy as np
import pytest

from lyric_jax.data.batches import (BUCKET_MULTIPLE, WEIGHT, bucket_boundaries, epoch_order, iterate_batches,
                                    padded_length, steps_per_epoch)
from lyric_jax.train import steps
from lyric_jax.train.loop import Evaluator, FitConfig
from lyric_jax.train.objectives import Classification
from lyric_jax.train.sharding import Placement
from tests.conftest import tiny_text_task
from tests.test_train import run_fit


def flat_rows(lengths, max_len=40):
  lengths = np.asarray(lengths, np.int32)
  tokens = np.where(np.arange(max_len) < lengths[:, None], np.arange(1, max_len + 1), 0).astype(np.int32)
  return {"tokens": tokens, "lengths": lengths, "label": np.arange(len(lengths), dtype=np.int32)}


def test_boundaries_are_train_quantiles_rounded_up_and_end_at_the_padded_length():
  arrays = flat_rows(np.r_[np.full(50, 3), np.full(30, 13), np.full(20, 37)])
  assert bucket_boundaries(arrays, 3) == (8, 16, 40)
  assert bucket_boundaries(arrays, 1) == ()
  assert bucket_boundaries({"x": np.zeros((4, 2))}, 4) == ()        # feature rows have no sequence
  assert all(b % BUCKET_MULTIPLE == 0 for b in bucket_boundaries(arrays, 8)[:-1])
  assert padded_length(arrays, (8, 16, 40)).tolist() == [8] * 50 + [16] * 30 + [40] * 20


def test_bucketed_batches_hold_every_row_once_and_cut_only_padding():
  rng = np.random.default_rng(0)
  arrays = flat_rows(rng.integers(1, 41, size=101))
  boundaries = bucket_boundaries(arrays, 4)
  order = epoch_order(101, 0, 3)
  batches = list(iterate_batches(arrays, 8, order=order, boundaries=boundaries))
  assert len(batches) == steps_per_epoch(arrays, 8, boundaries)
  seen = np.concatenate([b["label"][b[WEIGHT] > 0] for b in batches])
  assert sorted(seen.tolist()) == list(range(101))
  for b in batches:
    t = b["tokens"].shape[1]
    assert t in boundaries and b["tokens"].shape[0] == 8
    real = b["label"][b[WEIGHT] > 0]
    assert (arrays["lengths"][real] <= t).all()
    np.testing.assert_array_equal(b["tokens"][b[WEIGHT] > 0], arrays["tokens"][real, :t])
  # the seeded order decides the interleaving: the same epoch replays exactly (resume), another differs
  again = list(iterate_batches(arrays, 8, order=order, boundaries=boundaries))
  chex.assert_trees_all_equal(batches, again)
  other = [b["label"] for b in iterate_batches(arrays, 8, order=epoch_order(101, 0, 4), boundaries=boundaries)]
  assert not all(np.array_equal(a["label"], o) for a, o in zip(batches, other))


def test_han_lines_are_cut_with_their_word_lengths():
  lines = np.array([1, 2, 9, 16], np.int32)
  arrays = {"tokens": np.ones((4, 16, 5), np.int32) * (np.arange(16)[None, :, None] < lines[:, None, None]),
            "word_lengths": (np.arange(16)[None] < lines[:, None]).astype(np.int32) * 5, "lengths": lines}
  batches = list(iterate_batches(arrays, 2, boundaries=(8, 16)))
  assert [b["tokens"].shape for b in batches] == [(2, 8, 5), (2, 16, 5)]
  assert [b["word_lengths"].shape for b in batches] == [(2, 8), (2, 16)]


def test_training_compiles_once_per_bucket_and_evaluation_ignores_the_cut(tmp_path):
  model, data = tiny_text_task(max_len="64")
  fresh = model.clone(embed=6)           # a config no other test compiled, so it must trace here
  boundaries = bucket_boundaries(data["train"], 3)
  assert len(boundaries) > 1, "the fixture's texts should span several buckets"
  before = dict(steps.TRACE_COUNTS)
  result = run_fit((fresh, data), tmp_path, "buckets", epochs=2, seeds=(0, 1), length_buckets=3)
  assert steps.TRACE_COUNTS["train_step"] - before.get("train_step", 0) == len(boundaries)
  assert steps.TRACE_COUNTS["eval_step"] - before.get("eval_step", 0) == len(boundaries)
  sample = next(iterate_batches(data["train"], 16))
  placement = Placement(0, "data", batch_sizes=(16, 32), population=2)
  whole, cut = (Evaluator(Classification(3), fresh.apply, data, 32, sample, placement, b).summaries(
      "val", result.best["params"], result.best["model_state"]) for b in ((), boundaries))
  for w, c in zip(whole, cut):
    assert c["accuracy"] == w["accuracy"] and c["loss"] == pytest.approx(w["loss"], rel=1e-5)


def test_a_bucket_count_below_one_is_refused():
  with pytest.raises(Exception, match="length_buckets must be at least 1"):
    FitConfig(length_buckets=0)
