"""Training engine: metrics, compile-once, population equivalence, resume, faults."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lyric_jax.models import registry
from lyric_jax.run.build import optimizer
from lyric_jax.run.rundir import CHECKPOINTS_DIR
from lyric_jax.train import steps
from lyric_jax.train.checkpoint import TRAIN_STATE, CheckpointError
from lyric_jax.train.loop import FitConfig, TrainingError, fit, initial_loop_state
from lyric_jax.train.metrics import classification_summary
from lyric_jax.train.objectives import Classification


def run_fit(tiny, tmp_path, name, **cfg):
  model, data = tiny
  cfg = FitConfig(**{"epochs": 2, "batch_size": 16, "progress": False, **cfg})
  (tmp_path / name).mkdir(exist_ok=True)
  return fit(model, Classification(3), data, cfg, tmp_path / name, tx=optimizer(cfg))


def params_of(result, replica):
  return jax.tree.map(lambda x: np.asarray(x[replica]), result.state.params)


def test_summary_matches_hand_computed_confusion():
  confusion = np.array([[3, 1, 0], [0, 2, 2], [1, 0, 1]])   # rows true, cols predicted
  s = classification_summary(confusion, loss_sum=10.0)
  assert s["accuracy"] == pytest.approx(6 / 10)
  assert s["per_class_accuracy"] == pytest.approx([3 / 4, 2 / 4, 1 / 2])
  precision = [3 / 4, 2 / 3, 1 / 3]
  recall = [3 / 4, 1 / 2, 1 / 2]
  f1 = [2 * p * r / (p + r) for p, r in zip(precision, recall)]
  assert s["macro_precision"] == pytest.approx(np.mean(precision))
  assert s["macro_recall"] == pytest.approx(np.mean(recall))
  assert s["macro_f1"] == pytest.approx(np.mean(f1))
  assert s["loss"] == pytest.approx(1.0)


def test_weight_zero_rows_change_no_metric():
  objective = Classification(3)
  logits = jnp.array([[2.0, 0, 0], [0, 3.0, 0], [0, 0, 1.0]])
  batch = {"label": jnp.array([0, 2, 2]), "weight": jnp.ones(3)}
  padded = {"label": jnp.array([0, 2, 2, 1, 1]), "weight": jnp.array([1.0, 1, 1, 0, 0])}
  padded_logits = jnp.concatenate([logits, jnp.array([[9.0, 0, 0], [0, 0, 9.0]])])
  chex.assert_trees_all_close(objective.stats(logits, batch), objective.stats(padded_logits, padded))
  assert objective.loss(logits, batch) == pytest.approx(float(objective.loss(padded_logits, padded)))


def test_each_step_compiles_once_per_run(tiny, tmp_path):
  model, data = tiny
  fresh = model.clone(embed=5)          # a config no other test compiled, so it must trace here
  before = dict(steps.TRACE_COUNTS)
  run_fit((fresh, data), tmp_path, "compile", epochs=3, seeds=(0, 1))
  assert steps.TRACE_COUNTS["train_step"] - before.get("train_step", 0) == 1
  assert steps.TRACE_COUNTS["eval_step"] - before.get("eval_step", 0) == 1


def test_population_equals_separate_runs(tiny, tmp_path):
  together = run_fit(tiny, tmp_path, "pop", seeds=(0, 1), learning_rates=(1e-3, 3e-2))
  for i, (seed, lr) in enumerate([(0, 1e-3), (0, 3e-2), (1, 1e-3), (1, 3e-2)]):
    alone = run_fit(tiny, tmp_path, f"alone{i}", seeds=(seed,), learning_rates=(lr,))
    chex.assert_trees_all_close(params_of(together, i), params_of(alone, 0), atol=1e-5, rtol=1e-5)
    assert together.test[i]["accuracy"] == pytest.approx(alone.test[0]["accuracy"])


def test_learning_rates_really_differ_per_replica(tiny, tmp_path):
  cfg = FitConfig(batch_size=16, learning_rates=(1e-30, 1e-2))     # lr 1e-30: a step too small to see
  result = run_fit(tiny, tmp_path, "lrs", epochs=1, learning_rates=cfg.learning_rates)
  model, data = tiny
  sample = {k: v[:1] for k, v in data["train"].items() if k != "label"}
  init = initial_loop_state(model, sample, cfg, optimizer(cfg))[TRAIN_STATE]
  chex.assert_trees_all_close(params_of(result, 0), jax.tree.map(lambda x: np.asarray(x[0]), init.params),
                              atol=1e-20)
  with pytest.raises(AssertionError):
    chex.assert_trees_all_close(params_of(result, 1), jax.tree.map(lambda x: np.asarray(x[1]), init.params))


def test_resume_gives_the_same_parameters_as_an_uninterrupted_run(tiny, tmp_path):
  straight = run_fit(tiny, tmp_path, "straight", epochs=3, seeds=(0, 1))
  run_fit(tiny, tmp_path, "resumed", epochs=1, seeds=(0, 1))            # "killed" after epoch 1
  resumed = run_fit(tiny, tmp_path, "resumed", epochs=3, seeds=(0, 1))  # same command again
  chex.assert_trees_all_close(jax.device_get(resumed.state.params), jax.device_get(straight.state.params))
  assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
  np.testing.assert_array_equal(resumed.best_epoch, straight.best_epoch)


def test_corrupt_latest_checkpoint_falls_back_then_errors(tiny, tmp_path, caplog):
  run_fit(tiny, tmp_path, "corrupt", epochs=2)
  ckpt = tmp_path / "corrupt" / CHECKPOINTS_DIR
  for f in (ckpt / "2").rglob("*"):
    if f.is_file():
      f.write_bytes(b"garbage")
  resumed = run_fit(tiny, tmp_path, "corrupt", epochs=2)                 # falls back to epoch 1
  assert [r["epoch"] for r in resumed.history] == [1, 2]
  assert "could not be restored" in caplog.text
  for step in ckpt.iterdir():
    if step.is_dir():
      for f in step.rglob("*"):
        if f.is_file():
          f.write_bytes(b"garbage")
  with pytest.raises(CheckpointError, match="No checkpoint .* could be restored"):
    run_fit(tiny, tmp_path, "corrupt", epochs=3)


def test_incompatible_checkpoint_is_a_clear_error(tiny, tmp_path):
  run_fit(tiny, tmp_path, "shape", epochs=1)
  model, data = tiny
  other = registry.build("text", num_classes=3, vocab_size=model.vocab_size, embed=4, hidden=8)
  with pytest.raises(CheckpointError, match="model or data config changed"):
    cfg = FitConfig(epochs=2, batch_size=16, progress=False)
    fit(other, Classification(3), data, cfg, tmp_path / "shape", tx=optimizer(cfg))


def test_nan_loss_stops_with_the_replica_and_keeps_last_good_checkpoint(tiny, tmp_path):
  run_fit(tiny, tmp_path, "nan", epochs=1, learning_rates=(1e-3, 1e-3))
  model, data = tiny
  bad = dict(data)
  with pytest.raises(TrainingError, match=r"epoch 2 for every replica .*#0 .*#1.*checkpoint \(epoch 1\)"):
    cfg = FitConfig(epochs=2, batch_size=16, progress=False, learning_rates=(1e-3, 1e-3))
    fit(model, Classification(3), {**bad, "train": {**data["train"], "label": data["train"]["label"] + 99}},
        cfg, tmp_path / "nan", tx=optimizer(cfg))
  assert sorted(int(p.name) for p in (tmp_path / "nan" / CHECKPOINTS_DIR).iterdir() if p.name.isdigit()) == [1]


def test_early_stopping_keeps_best_epoch(tiny, tmp_path):
  result = run_fit(tiny, tmp_path, "early", epochs=30, patience=2, learning_rates=(5e-2,))
  last = result.history[-1]["epoch"]
  assert last < 30 and last - int(result.best_epoch[0]) == 2
  best_val = max(r["val"][0]["accuracy"] for r in result.history)
  assert result.val[0]["accuracy"] == pytest.approx(best_val)


def test_a_population_of_one_predicts_unbatched_with_the_same_outputs(tiny):
  """make_predict_step runs a population of one without vmap (faster on XLA:CPU): same outputs."""
  model, data = tiny
  batch = {k: jnp.asarray(v[:8]) for k, v in data["test"].items()}
  variables = model.init(jax.random.key(0), batch, train=False)
  params = jax.tree.map(lambda x: jnp.stack([x, 2 * x]), variables["params"])
  objective = Classification(3)
  both = steps.make_predict_step(objective, model.apply)(params, {}, batch)["probabilities"]
  one = steps.make_predict_step(objective, model.apply)(jax.tree.map(lambda x: x[:1], params), {}, batch)
  one = one["probabilities"]
  chex.assert_shape(one, (1, 8, 3))
  chex.assert_trees_all_close(one[0], both[0], atol=1e-6)
  assert not np.allclose(both[0], both[1])
