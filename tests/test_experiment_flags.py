"""Experiments' flags parsed in-process (``job_spec``): fresh flags per job, absl's global ones
untouched, and each model's flags reaching its registry constructor as one unchanged dict."""

import importlib

import pytest
from absl import flags

from experiments.attention_lstm import recipe_flags
from experiments.experiment import job_spec
from lyric_jax.data.errors import ConfigError
from lyric_jax.models import cudnn_lstm, registry

EXPERIMENTS = ("attention_lstm", "gru", "han", "lstm", "lyrics_meta", "review_cnn", "spotify")


def model_choices(experiment: str) -> list[str | None]:
  """An experiment's --model choices (None: it builds one model)."""
  return list(getattr(importlib.import_module(f"experiments.{experiment}"), "MODELS", [None]))


def test_jobs_parse_on_fresh_flags_and_leave_absl_flags_alone():
  before = {name: flags.FLAGS[name].value for name in flags.FLAGS}
  han = job_spec("han", ["--embed=8", "--layers=2"])
  lstm = job_spec("lstm", ["--embed=8"])                     # the same flag names, defined again
  assert han.model_kwargs["num_layers"] == 2 and lstm.model_kwargs["num_layers"] == 1
  assert job_spec("han", []).model_kwargs["embed"] == 100    # no value left over from an earlier job
  assert {name: flags.FLAGS[name].value for name in flags.FLAGS} == before


def test_refused_flags_are_one_config_error():
  with pytest.raises(ConfigError, match="Unknown command line flag 'bogus'"):
    job_spec("han", ["--bogus"])
  with pytest.raises(ConfigError, match="--meta_hidden=8,x: wants comma-separated integers"):
    job_spec("lyrics_meta", ["--meta_hidden=8,x"])
  with pytest.raises(ConfigError, match="picks its data with --task"):
    job_spec("attention_lstm", ["--dataset=tweets"])
  with pytest.raises(ConfigError, match="--vectors and --language_model both initialise the embedding"):
    job_spec("han", ["--vectors=v.txt", "--language_model=lm"])
  with pytest.raises(ConfigError, match="pretrained_lr_scale must be in .0, 1. and needs a language model"):
    job_spec("han", ["--pretrained_lr_scale=0.5"])
  assert job_spec("han", ["--language_model=lm", "--pretrained_lr_scale=0.5"]).embedding.pretrained_lr_scale == 0.5
  with pytest.raises(ConfigError, match="bag_ngrams must be 0, 1, 2 or 3, got 4"):
    job_spec("han", ["--bag_ngrams=4"])
  assert job_spec("han", ["--bag_ngrams=2"]).model_kwargs["bag_ngrams"] == 2
  with pytest.raises(ConfigError, match="--bag_ngrams is read by --model=attn_lstm only, not ffnn"):
    job_spec("attention_lstm", ["--model=ffnn", "--bag_ngrams=2"])


@pytest.mark.parametrize("experiment,model", [(e, m) for e in EXPERIMENTS for m in model_choices(e)])
def test_each_models_flags_reach_its_constructor_unchanged(experiment, model):
  spec = job_spec(experiment, [f"--model={model}"] if model else [])
  data = {"num_classes": 3, **({"vocab_size": 50} if spec.text is not None else {})}
  module = registry.build(spec.model, **spec.model_kwargs, **data)
  assert {k: getattr(module, k) for k in spec.model_kwargs} == spec.model_kwargs


def test_list_flags_are_integer_tuples_and_a_model_fills_an_unset_one():
  assert job_spec("spotify", ["--model=lstm_lstm"]).model_kwargs == {"lstm": (80, 150), "sequence": "step"}
  assert job_spec("spotify", ["--model=dense_lstm", "--lstm=32"]).model_kwargs["lstm"] == (32,)
  assert job_spec("lyrics_meta", ["--model=meta", "--meta_hidden=4,2"]).model_kwargs == {"hidden": (4, 2),
                                                                                          "dropout": 0.0}


def test_the_default_recipe_is_the_best_measured_one_and_given_flags_win():
  best = job_spec("attention_lstm", ["--task=imdb"])
  assert best == job_spec("attention_lstm", list(recipe_flags("imdb", "attn_lstm")))
  assert best.text.max_len == "p95" and best.fit.length_buckets == 8 and best.fit.schedule == "cosine"
  assert best.model_kwargs["hidden"] == 64
  mine = job_spec("attention_lstm", ["--task=imdb", "--lr=1e-3", "--epochs=2"])
  assert mine.fit.learning_rates == (1e-3,) and mine.fit.epochs == 2 and mine.text.max_len == "p95"
  study = job_spec("attention_lstm", ["--task=imdb", "--recipe=study"])
  assert study.text.max_len == "mean" and study.fit.length_buckets == 1 and study.fit.epochs == 15
  assert study.model_kwargs["hidden"] == 128
  ngram = job_spec("attention_lstm", ["--task=imdb", "--model=ngram_bag"])
  assert ngram.model_kwargs["embed"] == 64 and ngram.text.max_len == "max"   # as if --embed were given
  assert job_spec("attention_lstm", ["--model=ffnn"]) == job_spec("attention_lstm", ["--model=ffnn", "--recipe=study"])
  with pytest.raises(ConfigError, match="Unknown command line flag 'recipe'"):
    job_spec("spotify", ["--recipe=study"])                  # only experiments with measured recipes have one
  han = job_spec("han", ["--dataset=lastfm17"])              # the HAN's recipe is its data set's
  assert han.text.max_lines == "p95" and han.fit.optimizer == "adamw" and han.model_kwargs["dropout"] == 0.5
  assert job_spec("han", ["--dataset=lastfm17", "--recipe=study"]).text.max_lines == "40"
  assert job_spec("han", []) == job_spec("han", ["--recipe=study"])   # no recipe measured on synthetic data


def test_s1_spotify13_feature_nets_default_to_their_recipes():
  fused = job_spec("lyrics_meta", ["--model=ngram_resmlp", "--dataset=spotify13"])
  assert fused.model_kwargs["numeric_embedding"] == 16 and fused.model_kwargs["weighting"] == "tfidf"
  assert (fused.fit.weight_decay, fused.fit.epochs, fused.feature_transform) == (1.0, 20, "quantile")
  study = job_spec("lyrics_meta", ["--model=ngram_resmlp", "--dataset=spotify13", "--recipe=study"])
  assert study.model_kwargs["numeric_embedding"] == 0 and study.fit.epochs == 25
  assert job_spec("lyrics_meta", ["--model=resmlp", "--dataset=spotify13", "--numeric_embedding=0"]).model_kwargs[
      "numeric_embedding"] == 0                                                     # flags given win
  assert job_spec("lyrics_meta", ["--model=combined", "--dataset=spotify13"]) == job_spec(
      "lyrics_meta", ["--model=combined", "--dataset=spotify13", "--recipe=study"])   # the study's nets keep theirs


def test_sample_weights_balance_classes_on_request_and_score_bins_by_default_in_s2():
  assert job_spec("attention_lstm", ["--task=tweets", "--recipe=study"]).objective.sample_weights == "none"
  assert job_spec("attention_lstm", ["--task=imdb"]).objective.sample_weights == "none"
  balanced = job_spec("attention_lstm", ["--task=tweets", "--recipe=study", "--sample_weights=inverse_bin"]).objective
  assert balanced.sample_weights == "inverse_bin" and balanced.kind == "classification"
  assert job_spec("review_cnn", []).objective.sample_weights == "inverse_bin"     # the study's score bins
  assert job_spec("review_cnn", ["--loss=huber"]).objective.loss == "huber"


def test_s2_nets_default_to_their_recipes_and_the_study_keeps_its_pooling():
  best, study = job_spec("review_cnn", ["--model=bilstm"]), job_spec("review_cnn", ["--model=bilstm", "--recipe=study"])
  assert (best.model_kwargs["pooling"], study.model_kwargs["pooling"]) == ("attention", "last")
  assert (best.fit.schedule, best.fit.length_buckets, study.fit.schedule) == ("cosine", 8, "constant")
  assert job_spec("review_cnn", ["--model=bilstm", "--pooling=max"]).model_kwargs["pooling"] == "max"  # flags win
  cnn, cnn_study = job_spec("review_cnn", ["--model=cnn"]), job_spec("review_cnn", ["--model=cnn", "--recipe=study"])
  assert (cnn.model_kwargs["pooling"], cnn.model_kwargs["batch_norm"], cnn.fit.schedule) == ("attention", False, "cosine")
  assert (cnn_study.model_kwargs["pooling"], cnn_study.model_kwargs["batch_norm"]) == ("max", True)


def test_s2_spatial_dropout_unset_is_each_study_nets_own():
  study = {model: job_spec("review_cnn", [f"--model={model}", "--recipe=study"]).model_kwargs
           for model in ("cnn", "bilstm")}
  assert (study["cnn"]["spatial_dropout"], study["bilstm"]["spatial_dropout"]) == (0.0, 0.2)
  assert study["cnn"]["pooling"] == "max"                                           # the study's max-pool
  given = job_spec("review_cnn", ["--model=cnn", "--spatial_dropout=0.3", "--cnn_pooling=attention"]).model_kwargs
  assert (given["spatial_dropout"], given["pooling"]) == (0.3, "attention")


def test_rnn_impl_picks_the_recurrent_layer_and_cudnn_needs_a_cuda_gpu():
  assert job_spec("gru", ["--rnn_impl=scan"]).model_kwargs["impl"] == "scan"
  if cudnn_lstm.available():
    assert job_spec("lstm", ["--rnn_impl=cudnn", "--num_seeds=1"]).model_kwargs["impl"] == "cudnn"
  else:
    with pytest.raises(ConfigError, match="--rnn_impl=cudnn: cudnn needs a CUDA GPU"):
      job_spec("attention_lstm", ["--rnn_impl=cudnn", "--num_seeds=1"])


@pytest.mark.parametrize("experiment", ["lstm", "gru"])
def test_s0_experiments_offer_the_ngram_bag_on_the_same_protocol(experiment):
  bag, rnn = job_spec(experiment, ["--model=ngram_bag", "--recipe=study"]), job_spec(experiment, [])
  assert (bag.model, rnn.model) == ("ngram_bag", "rnn")
  assert bag.model_kwargs["embed"] == registry.default_kwargs("ngram_bag")["embed"]   # not the LSTM's 1024
  assert (bag.text, bag.fit, bag.grouping) == (rnn.text, rnn.fit, rnn.grouping)
  best = job_spec(experiment, ["--model=ngram_bag"])        # its recipe: other training, the same split and words
  assert (best.split_seed, best.grouping, best.text.tokenizer) == (rnn.split_seed, rnn.grouping, rnn.text.tokenizer)
