"""RunSpec JSON across versions, what counts as the same run, and finished run dirs."""

import dataclasses
import json

import pytest

from lyric_jax.data.errors import ConfigError
from lyric_jax.run.results import finished_results
from lyric_jax.run.rundir import RESULTS_FILE
from lyric_jax.run.spec import RunSpec, spec_diffs
from lyric_jax.train.loop import FitConfig
from tests.run.test_results import results_json


def old_config(**fields) -> dict:
  """A config.json as written before spec version 2 (no spec_version, grouping or lastfm17 rules)."""
  spec = RunSpec(experiment="han", dataset="lastfm17", model="han", fit=FitConfig(epochs=3)).to_json()
  for key in ("spec_version", "grouping"):
    del spec[key]
  return {**spec, "grouped_split": True, "dataset_options": {}, **fields}


def test_an_old_config_reads_as_the_track_grouping_and_the_old_lastfm17_rules():
  spec = RunSpec.from_json(old_config())
  assert spec.grouping == "track"
  assert spec.dataset_options == {"multi_genre": "best_rank", "non_ascii": "drop_song"}
  assert RunSpec.from_json(old_config(grouped_split=False)).grouping == "none"
  assert RunSpec.from_json(old_config(dataset_options={"english_only": False, "multi_genre": "drop"})
                           ).dataset_options == {"english_only": False, "multi_genre": "drop", "non_ascii": "drop_song"}
  assert RunSpec.from_json(spec.to_json()) == spec
  # Resuming with the options it meant shows no difference; the new defaults differ, named.
  assert spec_diffs(old_config(), spec, ignore=()) == []
  new = RunSpec(experiment="han", dataset="lastfm17", model="han", fit=FitConfig(epochs=3))
  assert spec_diffs(old_config(), new) == [
      "dataset_options.multi_genre: 'best_rank' → None", "dataset_options.non_ascii: 'drop_song' → None",
      "grouping: 'track' → 'artist'"]


def test_finished_old_results_are_found_for_the_spec_they_meant(tmp_path):
  (tmp_path / RESULTS_FILE).write_text(json.dumps(results_json(spec=old_config())))
  assert finished_results(RunSpec.from_json(old_config()), tmp_path).spec == old_config()
  assert finished_results(RunSpec(experiment="han", dataset="lastfm17", model="han"), tmp_path) is None


def test_an_older_config_without_a_model_argument_is_the_same_run(tmp_path):
  # Runs made before lyrics_meta had --meta_dropout stored no 'dropout': the model's default, 0.0.
  spec = RunSpec(experiment="lyrics_meta", dataset="tcc_ceds", model="meta",
                 model_kwargs={"hidden": [18, 12, 8], "dropout": 0.0}, text=None)
  old = {**spec.to_json(), "model_kwargs": {"hidden": [18, 12, 8]}}
  assert spec_diffs(old, spec) == []
  assert spec_diffs({**old, "model_kwargs": {"hidden": [18, 12, 8], "dropout": 0.2}}, spec) == [
      "model_kwargs.dropout: 0.2 → 0.0"]
  (tmp_path / RESULTS_FILE).write_text(json.dumps(results_json(spec=old)))
  assert finished_results(spec, tmp_path) is not None
  longer = dataclasses.replace(spec, fit=dataclasses.replace(spec.fit, epochs=spec.fit.epochs + 1))
  assert finished_results(longer, tmp_path) is None        # more epochs: the run would go on training


def test_a_cudnn_layer_is_refused_for_a_population_or_a_gru_before_anything_runs():
  def spec(seeds=(0,), **model_kwargs):
    return RunSpec(experiment="lstm", dataset="synthetic", model="rnn", model_kwargs={"impl": "cudnn", **model_kwargs},
                   fit=FitConfig(seeds=seeds))

  assert spec().model_kwargs["impl"] == "cudnn"      # one LSTM replica (the model's default cell)
  with pytest.raises(ConfigError, match="one replica .* not a population of 2"):
    spec(seeds=(0, 1))
  with pytest.raises(ConfigError, match="LSTMs only .*'gru'"):
    spec(cell="gru")
