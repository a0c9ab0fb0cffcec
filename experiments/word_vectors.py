"""In-domain word vectors: skip-gram with negative sampling on one experiment's training split.

    python -m experiments.word_vectors --out=runs/tweets.sgns100.txt --data_dir=../shared/data \\
        -- attention_lstm --task=tweets
    python -m experiments.attention_lstm --task=tweets --vectors=runs/tweets.sgns100.txt --embed=100

After ``--`` come an experiment and its flags, as they would train: its data, split and
tokenizer flags pick the texts (the training split only, never val or test) and the
vocabulary. The vectors are written in the GloVe text format ``--vectors`` reads, beside
``<out>.json`` (the command, the training curve, and a digest of the held-out rows: a run given
these vectors checks it holds out the same rows, so vectors trained on another split are
refused). Checkpoints go to ``<out>.checkpoints/`` after every epoch: rerunning the same command
resumes; ``--overwrite`` discards checkpoints made with other settings.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from absl import app, flags, logging

from experiments.pretraining import define_flags, prepare_checkpoints, training_split
from lyric_jax.data import glove, tokenize
from lyric_jax.data.errors import ConfigError, DataError
from lyric_jax.data.table import TEXT
from lyric_jax.host_memory import keep_freed_memory
from lyric_jax.pretrain import provenance, skipgram
from lyric_jax.train.checkpoint import CheckpointError

DEFAULTS = skipgram.SkipGramConfig()
define_flags("Vectors file to write (GloVe text format).", DEFAULTS.epochs, DEFAULTS.batch_size,
             "(centre, context) pairs", DEFAULTS.lr, "Adam learning rate, decayed linearly to 0.",
             "Initialisation, sub-sampling, pair order and negatives.")
flags.DEFINE_integer("dim", DEFAULTS.dim, "Vector size (the classifier's --embed).")
flags.DEFINE_integer("window", DEFAULTS.window, "Context words on each side of a centre word (at most).")
flags.DEFINE_integer("negatives", DEFAULTS.negatives, "Negative words drawn per pair.")
flags.DEFINE_float("subsample", DEFAULTS.subsample, "Sub-sampling threshold t of frequent words (0 = off).")
flags.DEFINE_list("neighbours", [], "After training, print each of these words' nearest words (cosine): a "
                  "quick look at what the vectors learned.")
FLAGS = flags.FLAGS


def train_texts(experiment: str, argv: list[str], data_dir: str | None):
  """(the training split's texts' token ids, the fitted tokenizer, the split) of the job."""
  split = training_split(experiment, argv, data_dir)
  tokenizer = split.preprocessor.tokenizer
  return tokenize.encode_ids(tokenizer, split.train.frame[TEXT].tolist()), tokenizer, split.which


def main(argv: list[str]) -> None:
  if len(argv) < 2:
    raise app.UsageError("name the experiment whose training split to read after '--', e.g. "
                         "-- attention_lstm --task=tweets")
  experiment, job_argv = argv[1], argv[2:]
  keep_freed_memory()
  logging.set_verbosity(logging.WARNING)   # Orbax logs every save at INFO
  config = skipgram.SkipGramConfig(dim=FLAGS.dim, window=FLAGS.window, negatives=FLAGS.negatives,
                                   subsample=FLAGS.subsample, epochs=FLAGS.epochs, batch_size=FLAGS.batch_size,
                                   lr=FLAGS.lr, seed=FLAGS.seed)
  out = Path(FLAGS.out)
  try:
    ids, tokenizer, which = train_texts(experiment, job_argv, FLAGS.data_dir)
    vocab = tokenizer.get_vocab()
    corpus = skipgram.Corpus.from_ids(ids, tokenizer.get_vocab_size(),
                                      drop=[vocab[t] for t in (tokenize.PAD, tokenize.UNK) if t in vocab])
    print(f"skip-gram corpus: {len(ids):,} training texts, {len(corpus.tokens):,} in-vocabulary tokens, "
          f"vocabulary {corpus.vocab_size:,}")
    checkpoints = out.with_name(out.name + ".checkpoints")
    settings = {"job": [experiment, *job_argv], "config": dataclasses.asdict(config),
                "held_out_rows_sha256": provenance.held_out_digest(which)}
    prepare_checkpoints(checkpoints, settings, FLAGS.overwrite)
    vectors, losses = skipgram.train(corpus, config, checkpoints, log=lambda line: print(line, flush=True))
  except (ConfigError, DataError, CheckpointError) as e:
    sys.exit(f"error: {e}")
  except KeyboardInterrupt:
    sys.exit("error: interrupted; rerun the same command to resume from the last saved epoch.")
  provenance.sidecar_path(out).unlink(missing_ok=True)   # a kill before the new one is written leaves none
  words = glove.write_vectors(out, vocab, vectors)
  sidecar = provenance.write_sidecar(out, which, {**settings, "losses": losses, "words": words})
  print(f"wrote {words:,} {config.dim}-d vectors to {out} ({sidecar.name}: where they came from)")
  for word in FLAGS.neighbours:
    print(f"nearest to {word!r}: {', '.join(skipgram.nearest(vectors, vocab, word))}")


if __name__ == "__main__":
  app.run(main)
