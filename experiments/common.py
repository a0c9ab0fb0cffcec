"""Flags every experiment shares, and the glue from flags to ``lyric_jax.run.pipeline.run``.

An experiment file defines its model flags, calls ``define_flags`` with the study's
defaults, and hands a RunSpec-building function to ``main``.
"""

from __future__ import annotations

import logging as std_logging
import sys
from pathlib import Path
from typing import Callable

import jax
from absl import flags, logging

from lyric_jax.data.encode import TextSpec
from lyric_jax.data.errors import ConfigError, DataError, require
from lyric_jax.data.feature_scaling import FEATURE_TRANSFORMS
from lyric_jax.data.grouping import GROUPINGS
from lyric_jax.explain import explain_to_png
from lyric_jax.models import registry
from lyric_jax.report.tables import results_markdown
from lyric_jax.run.pipeline import run
from lyric_jax.run.results import Results
from lyric_jax.run.rundir import ATTENTION_PNG, METRICS_FILE, PREDICTIONS_DIR, REPORT_FILE, explained_png
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.checkpoint import MIN_FREE_MB, CheckpointError
from lyric_jax.train.loop import FitConfig, TrainingError
from lyric_jax.train.metrics import SELECT_METRICS
from lyric_jax.train.sharding import ShardingError
from lyric_jax.train.objectives import ObjectiveSpec
from lyric_jax.train.state import OPTIMIZERS, SCHEDULES

FLAGS = flags.FLAGS


def define_data_flags(dataset: str = "synthetic", labels=()) -> None:
  """Which data and how it is read (also used by commands that do not train, e.g. EDA)."""
  flags.DEFINE_string("data_dir", None, "Folder holding the data files (else $LYRIC_JAX_DATA, else ./data).")
  flags.DEFINE_string("dataset", dataset, "Data source name (see lyric_jax.data.sources).")
  flags.DEFINE_list("labels", list(labels), "Keep only these labels (genres), comma-separated; empty = all.")
  flags.DEFINE_integer("num_examples", 600, "Synthetic dataset only: number of songs.")
  flags.DEFINE_integer("num_classes", 4, "Synthetic dataset only: number of genres.")
  flags.DEFINE_list("dataset_options", [],
                    "Reader options as key=value, e.g. lastfm17: multi_genre=drop, english_only=false.")
  flags.DEFINE_integer("subset", 0, "Train on a random subset of this many songs (study S0: 25000); 0 = all.")
  flags.DEFINE_integer("split_seed", 0, "Seed of the train/val/test split (and of --subset).")


def define_flags(**defaults) -> None:
  """Shared flags; ``defaults`` overrides the generic defaults with a study's protocol."""
  d = {"dataset": "synthetic", "epochs": 10, "batch_size": 32, "lr": ["1e-3"], "max_len": "256",
       "tokenizer": "wordlevel", "min_freq": 2, "patience": 0, "labels": [], "vocab_size": 30000,
       "select_metric": "accuracy", **defaults}
  define_data_flags(d["dataset"], d["labels"])
  flags.DEFINE_string("workdir", "runs", "Parent folder of run directories.")
  flags.DEFINE_string("run_name", None, "Run directory name (default: experiment-model-dataset).")
  flags.DEFINE_bool("overwrite", False, "Delete an existing run directory instead of resuming it.")
  flags.DEFINE_float("min_free_mb", MIN_FREE_MB, "Stop before training unless the run directory's disk has "
                     "this much free space (MiB) beyond one checkpoint.")
  flags.DEFINE_integer("epochs", d["epochs"], "Training epochs.")
  flags.DEFINE_integer("batch_size", d["batch_size"], "Training batch size (all replicas see the same batches).")
  flags.DEFINE_integer("eval_batch_size", 256, "Evaluation batch size.")
  flags.DEFINE_list("lr", d["lr"], "Learning rate(s); several train as one vmapped population.")
  flags.DEFINE_integer("num_seeds", 3, "Replicas per learning rate (seeds seed..seed+N-1), vmapped.")
  flags.DEFINE_integer("seed", 0, "First initialisation/dropout seed.")
  flags.DEFINE_integer("data_seed", 0, "Seed of the batch order (shared by all replicas).")
  flags.DEFINE_list("split", ["0.8", "0.1", "0.1"], "Train/val/test fractions (summing to 1).")
  flags.DEFINE_enum("grouping", "artist", list(GROUPINGS),
                    "Rows that share a split: artist = one normalised artist, one normalised text or one "
                    "track (song_id, track_id) never straddles splits; track = the track only (runs before "
                    "artist grouping); none = rows at random, to measure the leak.")
  flags.DEFINE_bool("grouped_split", True, "--nogrouped_split = --grouping=none (kept for older commands).")
  flags.DEFINE_integer("patience", d["patience"], "Early-stopping patience in epochs (0 = off).")
  flags.DEFINE_enum("select_metric", d["select_metric"], list(SELECT_METRICS),
                    "Validation metric that picks each replica's best epoch (and early-stops); "
                    "f1/precision/recall: positive class for binary tasks, macro otherwise.")
  flags.DEFINE_string("optimizer", "adam", " | ".join(OPTIMIZERS) + ".")
  flags.DEFINE_float("clip_norm", 0.0, "Clip gradients to this global norm (0 = off).")
  flags.DEFINE_float("weight_decay", 1e-4, "Decoupled weight decay of --optimizer=adamw.")
  flags.DEFINE_enum("schedule", "constant", list(SCHEDULES), "Learning-rate multiplier per step: constant, or "
                    "cosine decay to 0 over --epochs (after --warmup).")
  flags.DEFINE_float("warmup", 0.0, "--schedule=cosine: fraction of all steps warmed up linearly from 0.")
  flags.DEFINE_enum("feature_transform", "standard", list(FEATURE_TRANSFORMS),
                    "Feature-row models: scale each feature by its training mean/std, or map it through its "
                    "training quantiles to a normal (lyric_jax/data/feature_scaling.py).")
  flags.DEFINE_float("label_smoothing", 0.0, "Classification: train on (1 - ε)·one-hot + ε/classes targets.")
  flags.DEFINE_string("tokenizer", d["tokenizer"],
                      "wordlevel | wordpiece | keras (trained on the train split) | path to a tokenizer.json.")
  flags.DEFINE_integer("min_freq", d["min_freq"], "Minimum token frequency for trained vocabularies.")
  flags.DEFINE_integer("vocab_size", d["vocab_size"], "Maximum trained vocabulary size.")
  flags.DEFINE_string("max_len", d["max_len"], "Tokens per text: an integer, or mean | p95 | max of train.")
  flags.DEFINE_bool("progress", True, "Show progress bars and per-epoch lines.")
  flags.DEFINE_integer("devices", 0, "Devices to train on (0 = all visible).")
  flags.DEFINE_enum("shard", "data", ["data", "population"],
                    "Multi-device layout: split each batch (data) or the replicas (population).")
  flags.DEFINE_bool("distributed", False, "Several hosts: call jax.distributed.initialize() first "
                    "(coordinator from the cluster environment, e.g. SLURM, TPU pods); see BUILD.md.")
  flags.DEFINE_multi_string("explain", [], "After training, explain this text (repeatable): print the "
                            "prediction and write RUN/attention_<i>.png (attention models only).")
  flags.DEFINE_bool("classic_baseline", True, "After training, fit the classic baseline (scikit-learn, "
                    "tuned on val) on the same split and report it beside the net.")


def text_spec(**layout) -> TextSpec:
  """The tokenizer flags; ``layout`` adds e.g. layout='lines', max_lines=..., max_words=... (HAN)."""
  return TextSpec(tokenizer=FLAGS.tokenizer, min_frequency=FLAGS.min_freq,
                  vocab_size=FLAGS.vocab_size, max_len=FLAGS.max_len, **layout)


def flag_dataset_options(dataset: str | None = None) -> dict:
  """The source's options: the synthetic generator's flags, else parsed --dataset_options."""
  if (dataset or FLAGS.dataset) == "synthetic":
    return {"num_examples": FLAGS.num_examples, "num_classes": FLAGS.num_classes, "seed": FLAGS.split_seed}
  options = {}
  for item in FLAGS.dataset_options:
    key, sep, value = item.partition("=")
    if not sep:
      raise DataError(f"--dataset_options wants key=value items, got {item!r}")
    options[key.strip()] = _parse_value(value.strip())
  return options


def _parse_value(value: str):
  if value.lower() in ("true", "false"):
    return value.lower() == "true"
  try:
    return int(value)
  except ValueError:
    return value


def floats(name: str) -> tuple[float, ...]:
  """A list flag's numbers, or one clear error naming the flag."""
  try:
    return tuple(float(x) for x in FLAGS[name].value)
  except ValueError:
    raise ConfigError(f"--{name} wants comma-separated numbers, got {','.join(FLAGS[name].value)!r}") from None


def fit_config() -> FitConfig:
  return FitConfig(
      epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, eval_batch_size=FLAGS.eval_batch_size,
      seeds=tuple(range(FLAGS.seed, FLAGS.seed + FLAGS.num_seeds)),
      learning_rates=floats("lr"), optimizer=FLAGS.optimizer,
      clip_norm=FLAGS.clip_norm, weight_decay=FLAGS.weight_decay, schedule=FLAGS.schedule, warmup=FLAGS.warmup,
      patience=FLAGS.patience, data_seed=FLAGS.data_seed,
      devices=FLAGS.devices, shard=FLAGS.shard, progress=FLAGS.progress)


def data_spec() -> RunSpec:
  """A spec naming only the data flags (for commands that read data without training)."""
  return RunSpec(experiment="data", dataset=FLAGS.dataset, model="", dataset_options=flag_dataset_options(),
                 labels=tuple(FLAGS.labels), split_seed=FLAGS.split_seed, subset=FLAGS.subset)


def base_spec(experiment: str, model: str, model_kwargs: dict, text: bool | TextSpec = True,
              features: bool = True, dataset: str | None = None, dataset_options: dict | None = None,
              **fields) -> RunSpec:
  """The spec from the shared flags.

  ``text``: True = the tokenizer flags (flat layout), a TextSpec as given, False = no text;
  ``dataset``/``dataset_options`` let an experiment pick its source (e.g. from --task) and fix
  reader options; ``fields`` sets other RunSpec fields (e.g. label_map).
  """
  text_part = text if isinstance(text, TextSpec) else (text_spec() if text else None)
  if "objective" in fields and FLAGS.label_smoothing:
    raise ConfigError(f"--label_smoothing is for classification; {experiment} trains a {fields['objective'].kind}")
  fields.setdefault("objective", ObjectiveSpec(label_smoothing=FLAGS.label_smoothing))
  if not features and FLAGS.feature_transform != "standard":
    raise ConfigError(f"--feature_transform={FLAGS.feature_transform}: {experiment} --model={model} reads no features")
  return RunSpec(experiment=experiment, dataset=dataset or FLAGS.dataset, model=model,
                 model_kwargs=model_kwargs, dataset_options={**flag_dataset_options(dataset), **(dataset_options or {})},
                 labels=tuple(FLAGS.labels),
                 text=text_part, features=features, feature_transform=FLAGS.feature_transform, fit=fit_config(), select_metric=FLAGS.select_metric,
                 split_fractions=floats("split"), split_seed=FLAGS.split_seed,
                 grouping=flag_grouping(), subset=FLAGS.subset, classic_baseline=FLAGS.classic_baseline,
                 **fields)


def flag_grouping() -> str:
  """--grouping, or 'none' for the older --nogrouped_split (a contradicting pair is refused)."""
  if FLAGS.grouped_split:
    return FLAGS.grouping
  if FLAGS["grouping"].present and FLAGS.grouping != "none":
    raise DataError(f"--nogrouped_split means --grouping=none, but --grouping={FLAGS.grouping} was given")
  return "none"


# Run-name suffix per grouping: the default has none.
RUN_NAME_SUFFIX = {"artist": "", "track": "trackgrouped", "none": "ungrouped"}


def default_run_name(spec: RunSpec) -> str:
  """experiment-model-dataset, plus the label map and split kind when not the default."""
  parts = [spec.experiment, spec.model, spec.dataset, spec.label_map, RUN_NAME_SUFFIX[spec.grouping]]
  return "-".join(p for p in parts if p)


def main(make_spec: Callable[[], RunSpec],
         after_run: Callable[[Path, Results, list[str]], None] | None = None) -> Callable[[list[str]], None]:
  """An absl ``main`` that runs the spec and turns user errors into one clear line.

  ``after_run(run_dir, results, argv)`` runs after the report (e.g. predictions for custom texts).
  """

  def _main(argv):
    logging.set_verbosity(logging.WARNING)   # Orbax logs every save at INFO
    if FLAGS.distributed:
      jax.distributed.initialize()
    try:
      spec = make_spec()
      run_dir = Path(FLAGS.workdir) / (FLAGS.run_name or default_run_name(spec))
      results = run(spec, run_dir, FLAGS.data_dir, FLAGS.overwrite, FLAGS.min_free_mb)
      print(results_markdown(results))
      extra = f", {ATTENTION_PNG}" if results.attention_png else ""
      print(f"Run directory: {run_dir} ({REPORT_FILE}, PNG plots{extra}, {METRICS_FILE}, {PREDICTIONS_DIR}/)")
      for i, text in enumerate(FLAGS.explain, 1):
        png = run_dir / explained_png(i)
        print(f"explain {i}: {explain_to_png(run_dir, text, png).describe()}; heatmap {png}")
      if after_run is not None:
        after_run(run_dir, results, argv[1:])
    except (DataError, CheckpointError, TrainingError, ShardingError) as e:
      sys.exit(f"error: {e}")
    except KeyboardInterrupt:
      # A save cut short leaves Orbax threads that fail (and log it) as the interpreter exits:
      # the run resumes from the last complete checkpoint either way, so that is noise.
      std_logging.disable(std_logging.CRITICAL)
      sys.exit("error: interrupted; rerun the same command to resume from the last saved epoch.")

  return _main


# --- Study S0's recurrent classifiers (experiments.lstm, experiments.gru) ------------------

S0_PROTOCOL = {"epochs": 10, "batch_size": 32, "lr": ["1e-3"], "min_freq": 2,
               # The study pads to the longest song; 400 tokens keeps CPU runs short
               # (use --max_len=max for the study's protocol).
               "max_len": "400"}


def define_rnn_flags(embed: int, hidden: int) -> None:
  """Flags of a flat (Bi)LSTM/GRU classifier; ``embed``/``hidden`` are the study's sizes."""
  flags.DEFINE_integer("embed", embed, "Token embedding size.")
  flags.DEFINE_integer("hidden", hidden, "Recurrent hidden size (per direction).")
  flags.DEFINE_integer("layers", 1, "Stacked recurrent layers.")
  flags.DEFINE_bool("bidirectional", False, "Add a backward direction (starts at each song's last token).")
  flags.DEFINE_enum("pooling", "last", ["last", "attention", "mean"],
                    "Song vector: final states at the true lengths, attention pooling, or masked mean.")
  flags.DEFINE_integer("attn_size", 100, "Attention MLP size (--pooling=attention).")
  flags.DEFINE_float("dropout", 0.0, "Dropout between layers and before the classifier.")
  flags.DEFINE_integer("unroll", 1, "Scan unroll factor (speed only).")
  define_flags(**S0_PROTOCOL)


def rnn_spec(experiment: str, cell: str) -> RunSpec:
  return base_spec(experiment, "rnn", {
      "cell": cell, "embed": FLAGS.embed, "hidden": FLAGS.hidden, "num_layers": FLAGS.layers,
      "bidirectional": FLAGS.bidirectional, "pooling": FLAGS.pooling, "attn_size": FLAGS.attn_size,
      "dropout": FLAGS.dropout, "unroll": FLAGS.unroll}, features=False)


# --- The fastText-style n-gram bag (experiments.attention_lstm, experiments.review_cnn) ----

def define_ngram_flags() -> None:
  flags.DEFINE_integer("buckets", 2 ** 19, "ngram_bag: hash buckets shared by all word n-grams; the table is "
                       "buckets × --embed floats per replica, 4 copies in a checkpoint (Adam moments, best).")
  flags.DEFINE_integer("ngrams", 2, "ngram_bag: longest word n-gram (1 = words only, 2 = + bigrams, 3 = + trigrams).")


def ngram_bag_kwargs() -> dict:
  """The n-gram bag's arguments; ``--embed`` only when given, else the model's own (32): the
  experiments' 100 would triple the bucket table and its Adam update."""
  require(1 <= FLAGS.buckets <= 2 ** 31, f"buckets must be in [1, 2**31], got {FLAGS.buckets}")
  require(1 <= FLAGS.ngrams <= 3, f"ngrams must be 1, 2 or 3, got {FLAGS.ngrams}")
  embed = FLAGS.embed if FLAGS["embed"].present else registry.default_kwargs("ngram_bag")["embed"]
  return {"embed": embed, "buckets": FLAGS.buckets, "ngrams": FLAGS.ngrams, "dropout": FLAGS.dropout}
