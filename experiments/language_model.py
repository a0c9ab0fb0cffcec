"""Language-model pretraining of a classifier's embedding and recurrent encoder on its training split.

    python -m experiments.language_model --out=runs/tweets.lm --data_dir=../shared/data \\
        -- attention_lstm --task=tweets
    python -m experiments.attention_lstm --task=tweets --language_model=runs/tweets.lm

After ``--`` come an experiment and its flags, as they would train: its data, split and
tokenizer flags pick the texts (the training split only) and the vocabulary, and its model
flags the embedding and encoder the language model trains (``lyric_jax.pretrain.language_model``).
``--out`` becomes a folder: ``checkpoints/`` (Orbax, every epoch: rerunning the same command
resumes; ``--overwrite`` discards one made with other settings) and, once finished, ``language_model.json`` (the
command, the loss curves, the vocabulary's and the held-out rows' digests: a classifier on
another split or vocabulary is refused it).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from absl import app, flags, logging

from experiments.experiment import job_spec
from experiments.pretraining import define_flags, prepare_checkpoints, training_split
from lyric_jax.data import tokenize
from lyric_jax.data.errors import ConfigError, DataError
from lyric_jax.host_memory import keep_freed_memory
from lyric_jax.pretrain import language_model as lm
from lyric_jax.train.checkpoint import CheckpointError

DEFAULTS = lm.LMConfig()
define_flags("Folder to write the language model into.", DEFAULTS.epochs, DEFAULTS.batch_size,
             "Texts (HAN: lines)", DEFAULTS.lr, "Adam peak learning rate (linear warmup, then cosine to 0).",
             "Initialisation, held-out texts, batch order and dropout.")
flags.DEFINE_float("warmup", DEFAULTS.warmup, "Share of the steps spent warming the learning rate up.")
flags.DEFINE_float("clip_norm", DEFAULTS.clip_norm, "Global gradient-norm clip (0 = off).")
flags.DEFINE_float("dropout", DEFAULTS.dropout, "Dropout on embeddings, between layers and on the encoder outputs.")
flags.DEFINE_integer("output_vocab", DEFAULTS.output_vocab, "Most frequent training words the head predicts "
                     "(the rest share one class).")
flags.DEFINE_float("held_out", DEFAULTS.held_out, "Share of the training texts kept aside to pick the epoch on.")
flags.DEFINE_integer("length_buckets", DEFAULTS.length_buckets, "Length buckets of the batches (1 = none).")
FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
  if len(argv) < 2:
    raise app.UsageError("name the experiment whose encoder to pretrain after '--', e.g. "
                         "-- attention_lstm --task=tweets")
  experiment, job_argv = argv[1], argv[2:]
  keep_freed_memory()
  logging.set_verbosity(logging.WARNING)   # Orbax logs every save at INFO
  out = Path(FLAGS.out)
  try:
    config = lm.LMConfig(epochs=FLAGS.epochs, batch_size=FLAGS.batch_size, lr=FLAGS.lr, warmup=FLAGS.warmup,
                         clip_norm=FLAGS.clip_norm, dropout=FLAGS.dropout, output_vocab=FLAGS.output_vocab,
                         held_out=FLAGS.held_out, length_buckets=FLAGS.length_buckets, seed=FLAGS.seed)
    spec = job_spec(experiment, job_argv)   # refused before any data is read
    shape = lm.encoder_shape(spec.model, spec.model_kwargs)
    split = training_split(experiment, job_argv, FLAGS.data_dir)
    rows = lm.word_rows(split.preprocessor.encode(split.train))
    vocab = split.preprocessor.tokenizer.get_vocab()
    words = int(rows["lengths"].sum())
    print(f"language-model corpus: {len(rows['lengths']):,} sequences, {words:,} words, vocabulary "
          f"{len(vocab):,}; encoder {shape.weights()}")
    settings = {"job": [experiment, *job_argv], "config": dataclasses.asdict(config),
                "encoder": dataclasses.asdict(shape), "vocabulary_sha256": lm.vocabulary_digest(vocab)}
    prepare_checkpoints(out / lm.CHECKPOINTS, settings, FLAGS.overwrite)
    # Written again when this run finishes: until then no classifier may read the old one's provenance.
    (out / lm.INFO_FILE).unlink(missing_ok=True)
    specials = tuple(vocab[t] for t in (tokenize.PAD, tokenize.UNK) if t in vocab)
    params, history, best_epoch = lm.train(rows, split.preprocessor.vocab_size, shape, config, out / lm.CHECKPOINTS, specials,
                               log=lambda line: print(line, flush=True))
  except (ConfigError, DataError, CheckpointError) as e:
    sys.exit(f"error: {e}")
  except KeyboardInterrupt:
    sys.exit("error: interrupted; rerun the same command to resume from the last saved epoch.")
  output_size = int(params[lm.HEAD]["bias"].shape[0])
  info = lm.write_info(out, {**settings, "vocab_size": split.preprocessor.vocab_size, "output_size": output_size,
                             "words": words, "history": history, "best_epoch": best_epoch}, split.which)
  print(f"wrote the language model of epoch {best_epoch} (held-out loss "
        f"{history[best_epoch - 1]['held_out_loss']:.4f}) to {out} ({info.name}: where it came from)")


if __name__ == "__main__":
  app.run(main)
