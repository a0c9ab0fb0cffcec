"""Run dirs written before the Composite checkpoint {train_state, best, meta} still predict,
explain and resume.

The older layouts, rewritten here by hand from a finished run as those versions wrote them:
the whole loop state as one pytree item 'state' (the train state under 'state') beside a
JSON item 'checksums', and before that the loop state alone as the single item 'default',
without the 'diverged_epoch' counter added with the checksums.
"""

import dataclasses
import shutil

import chex
import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import pytest

from lyric_jax import explain
from lyric_jax.data.encode import TextSpec
from lyric_jax.predict import replica_outputs
from lyric_jax.run.pipeline import load_table, run, split_table
from lyric_jax.run.rundir import CHECKPOINTS_DIR
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.checkpoint import BEST, META, TRAIN_STATE, checksums
from lyric_jax.train.loop import FitConfig

SPEC = RunSpec(experiment="layouts", dataset="synthetic", model="attn_lstm", dataset_options={"num_examples": 80},
               model_kwargs={"embed": 8, "hidden": 8, "attn_size": 8, "pooling": "attention"},
               text=TextSpec(max_len="16", min_frequency=1), features=False, classic_baseline=False,
               fit=FitConfig(epochs=2, batch_size=16, seeds=(0, 1), progress=False))
TEXT = "w1 w2 song3"
SYNC = ocp.CheckpointManagerOptions(enable_async_checkpointing=False)


def rewrite_in_old_layout(checkpoints, layout: str) -> None:
  """Every step of ``checkpoints`` rewritten in ``layout``: 'state_and_checksums' or 'default'."""
  current = ocp.CheckpointManager(checkpoints, options=SYNC, item_handlers={
      TRAIN_STATE: ocp.StandardCheckpointHandler(), BEST: ocp.StandardCheckpointHandler(),
      META: ocp.JsonCheckpointHandler()})
  steps = {step: current.restore(step, args=ocp.args.Composite(**{
      TRAIN_STATE: ocp.args.StandardRestore(), BEST: ocp.args.StandardRestore(), META: ocp.args.JsonRestore()}))
      for step in current.all_steps()}
  current.close()
  shutil.rmtree(checkpoints)
  for step, items in steps.items():
    counters = {k: np.asarray(v, np.float32 if k == "best_score" else np.int32)
                for k, v in items[META]["counters"].items()}
    tree = {"state": items[TRAIN_STATE], BEST: items[BEST], **counters}
    if layout == "default":   # it saved the train state and best parameters as jax.Arrays
      tree = {**jax.tree.map(jnp.asarray, {"state": tree["state"], BEST: tree[BEST]}), **counters}
      del tree["diverged_epoch"]
      old = ocp.CheckpointManager(checkpoints, options=SYNC, item_handlers=ocp.StandardCheckpointHandler())
      old.save(step, args=ocp.args.StandardSave(tree))
    else:
      old = ocp.CheckpointManager(checkpoints, options=SYNC, item_handlers={
          "state": ocp.StandardCheckpointHandler(), "checksums": ocp.JsonCheckpointHandler()})
      old.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(tree),
                                             checksums=ocp.args.JsonSave(checksums(tree))))
    old.close()


LONGER = dataclasses.replace(SPEC, fit=dataclasses.replace(SPEC.fit, epochs=3))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
  """A finished run, its outputs on the test split, its explanation of TEXT, and the test
  summaries of a copy resumed for a third epoch."""
  workdir = tmp_path_factory.mktemp("layouts")
  run(SPEC, workdir / "run")
  test = split_table(load_table(SPEC, None), SPEC)["test"]
  outputs, explanation = replica_outputs(workdir / "run", test), explain.explain(workdir / "run", TEXT)
  shutil.copytree(workdir / "run", workdir / "resumed")
  return workdir / "run", test, outputs, explanation, run(LONGER, workdir / "resumed").test


@pytest.mark.parametrize("layout", ["state_and_checksums", "default"])
def test_an_old_layout_predicts_explains_and_resumes_like_the_current_one(finished, tmp_path, layout, capsys):
  run_dir, test, outputs, explanation, resumed = finished
  old = tmp_path / "old"
  shutil.copytree(run_dir, old)
  rewrite_in_old_layout(old / CHECKPOINTS_DIR, layout)
  assert not (old / CHECKPOINTS_DIR / "2" / META).exists()

  restored = replica_outputs(old, test)
  chex.assert_trees_all_equal(restored.outputs, outputs.outputs)
  np.testing.assert_array_equal(restored.best_score, outputs.best_score)
  again = explain.explain(old, TEXT)
  assert again.probabilities == explanation.probabilities
  np.testing.assert_array_equal(again.weights, explanation.weights)

  capsys.readouterr()
  assert run(LONGER, old).test == resumed
  assert "Resumed from epoch 2 of 3" in capsys.readouterr().out
