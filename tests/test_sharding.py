"""Multi-device training on forced CPU host devices gives the 1-device parameters, and predicting
with each batch split over the devices gives the 1-device outputs."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import pytest

from lyric_jax.train.sharding import Placement, ShardingError, inference_placement, use_cpu_cores

ROOT = Path(__file__).resolve().parents[1]

PARITY_SCRIPT = textwrap.dedent("""
    import sys, tempfile
    import jax, numpy as np, chex
    from lyric_jax.data import sources
    from lyric_jax.data.encode import Preprocessor, TextSpec
    from lyric_jax.models import registry
    from lyric_jax.run.build import optimizer
    from lyric_jax.run.pipeline import split_table
    from lyric_jax.run.spec import RunSpec
    from lyric_jax.train.loop import FitConfig, fit, predict_outputs
    from lyric_jax.train.objectives import Classification
    from lyric_jax.train.sharding import inference_placement

    assert len(jax.devices()) == 4, jax.devices()
    table = sources.get("synthetic").load(num_examples=96, num_classes=3)
    parts = split_table(table, RunSpec(experiment="t", dataset="synthetic", model="text"))
    text = TextSpec(max_len="16", min_frequency=1, **eval(sys.argv[3]))
    pre = Preprocessor.fit(parts["train"], sorted(table.frame["label"].unique()), text)
    data = {k: pre.encode(v) for k, v in parts.items()}
    model = registry.build(sys.argv[1], num_classes=3, vocab_size=pre.vocab_size, **eval(sys.argv[2]))

    def train(devices, shard):
      cfg = FitConfig(epochs=2, batch_size=16, eval_batch_size=32, seeds=(0, 1, 2, 3), progress=False,
                      devices=devices, shard=shard)
      return fit(model, Classification(3), data, cfg, tempfile.mkdtemp(), tx=optimizer(cfg))

    single = train(1, "data")
    for shard in sys.argv[4].split(","):
      multi = train(4, shard)
      chex.assert_trees_all_close(jax.device_get(multi.state.params), jax.device_get(single.state.params),
                                  atol=1e-5, rtol=1e-4)
      assert [s["accuracy"] for s in multi.test] == [s["accuracy"] for s in single.test]

    # Predicting splits each batch over the 4 devices (when they divide it) and changes no output.
    assert inference_placement(32, 4).num_devices == 4 and inference_placement(30, 4).num_devices == 1
    state = single.state
    predict = lambda devices: predict_outputs(Classification(3), model.apply, state.params, state.model_state,
                                              data["test"], 32, devices=devices)
    split, alone = predict(0), predict(1)
    assert split["probabilities"].shape == (4, len(data["test"]["label"]), 3)
    chex.assert_trees_all_close(split, alone, atol=1e-6)
    print("PARITY OK")
""")


# The HAN checks data parallelism only: splitting the population is model-agnostic (the text
# model covers it). Its 4-device compile costs ~30 s, so it runs with the slow tests (-m slow).
@pytest.mark.parametrize("model,kwargs,text,shards", [
    ("text", "dict(embed=8, hidden=8)", "{}", "data,population"),
    pytest.param("han", "dict(embed=8, word_hidden=4, line_hidden=4, attn_size=8)",
                 "dict(layout='lines', max_lines='4', max_words='5')", "data", marks=pytest.mark.slow),
])
def test_four_device_training_matches_one_device(model, kwargs, text, shards):
  env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu",
         "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=4"}
  proc = subprocess.run([sys.executable, "-c", PARITY_SCRIPT, model, kwargs, text, shards], env=env, cwd=ROOT,
                        capture_output=True, text=True, timeout=600)
  assert "PARITY OK" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-4000:]


def test_cpu_cores_keep_a_started_backends_devices():
  jax.numpy.zeros(1).block_until_ready()
  assert use_cpu_cores(3) == jax.local_device_count("cpu")
  assert inference_placement(64, 2).num_devices == jax.local_device_count()


def test_uneven_split_is_a_clear_error():
  with pytest.raises(ShardingError, match="only 1 device"):
    Placement(4, "data", batch_sizes=(16,), population=1)
  with pytest.raises(ShardingError, match="layout"):
    Placement(1, "model", batch_sizes=(16,), population=1)
