"""Study S0: lyrics → genre with a Hierarchical Attention Network over the song's lines.

    python -m experiments.han --lr=1e-4
    python -m experiments.han --dataset=lastfm17 --data_dir=../shared/data --lr=1e-4

Words → (Bi)GRU + attention → line vectors → (Bi)GRU + attention → song → genre.
Songs are split on line breaks into --max_lines lines of --max_words tokens. On a data set with a
measured recipe (``RECIPES``: lastfm17) the flags not given take its values; --recipe=study keeps
the defaults.
"""

from absl import flags

from experiments import common
from experiments.experiment import Experiment
from experiments.model_config import FLAG, Flag

# lyric_jax.models.han:HAN's arguments.
MODEL_ARGS = {"cell": FLAG, "embed": FLAG, "word_hidden": FLAG, "line_hidden": FLAG, "attn_size": FLAG,
              "num_layers": Flag("layers"), "bidirectional": FLAG, "dropout": FLAG, "bag_ngrams": FLAG,
              "bag_buckets": FLAG, "bag_word_dropout": FLAG}


# --dataset → the flags of the best HAN measured on its val split from a random start (issue 17); with
# --recipe=best (the default) each flag not given takes its value, --recipe=study keeps the study's HAN.
# lastfm17 (RESULTS.md S0): whole songs (p95 lines × p95 words, in 4 length buckets), dropout 0.5, AdamW
# with decay 0.1, cosine from 2e-3: mean best val accuracy 28.7 % against 27.7 % for the study's sizes.
# (From skip-gram vectors of the training songs, --vectors, the same reaches 29.7 %.)
RECIPES = {"lastfm17": {"embed": "64", "word_hidden": "32", "line_hidden": "32", "attn_size": "64",
                        "max_lines": "p95", "max_words": "p95", "length_buckets": "4", "dropout": "0.5",
                        "optimizer": "adamw", "weight_decay": "0.1", "schedule": "cosine", "lr": "2e-3",
                        "epochs": "8"}}


def define_flags(fv: flags.FlagValues) -> None:
  flags.DEFINE_enum("cell", "gru", ["gru", "lstm"], "Recurrent cell of both encoders.", flag_values=fv)
  flags.DEFINE_integer("embed", 100, "Token embedding size.", flag_values=fv)
  flags.DEFINE_integer("word_hidden", 50, "Word encoder hidden size (per direction).", flag_values=fv)
  flags.DEFINE_integer("line_hidden", 50, "Line encoder hidden size (per direction).", flag_values=fv)
  flags.DEFINE_integer("attn_size", 100, "Attention MLP size (word and line attention).", flag_values=fv)
  flags.DEFINE_integer("layers", 1, "Stacked recurrent layers in each encoder.", flag_values=fv)
  flags.DEFINE_bool("bidirectional", True, "Bidirectional encoders (Yang et al. 2016).", flag_values=fv)
  flags.DEFINE_float("dropout", 0.0, "Dropout on line vectors, the song vector and between layers.",
                     flag_values=fv)
  flags.DEFINE_integer("bag_ngrams", 0, "> 0: add the logits of a TF-IDF bag of the song's words and hashed "
                       "word 2..N-grams (idf fitted on train), trained with the HAN (1 = words only; 0 = none).",
                       flag_values=fv)
  flags.DEFINE_integer("bag_buckets", 2 ** 19, "--bag_ngrams: hash buckets of the word n-grams.", flag_values=fv)
  flags.DEFINE_float("bag_word_dropout", 0.5, "--bag_ngrams: in training, leave out each word and n-gram of the "
                     "bag with this probability.", flag_values=fv)
  flags.DEFINE_string("max_lines", "40", "Lines per song: an integer, or mean | p95 | max of train.",
                      flag_values=fv)
  flags.DEFINE_string("max_words", "12", "Tokens per line: an integer, or mean | p95 | max of train.",
                      flag_values=fv)
  common.define_vectors_flags(fv)
  common.define_flags(fv, **common.S0_PROTOCOL)


def make_spec(fv: flags.FlagValues):
  common.check_bag_ngrams(fv)
  common.require(1 <= fv.bag_buckets <= 2 ** 31, f"bag_buckets must be in [1, 2**31], got {fv.bag_buckets}")
  common.require(0 <= fv.bag_word_dropout < 1, f"bag_word_dropout must be in [0, 1), got {fv.bag_word_dropout}")
  text = common.text_spec(fv, layout="lines", max_lines=fv.max_lines, max_words=fv.max_words)
  return common.base_spec(fv, "han", "han", MODEL_ARGS, text=text, features=False)


EXPERIMENT = Experiment(define_flags, make_spec, recipe=lambda fv: RECIPES.get(fv.dataset, {}))

if __name__ == "__main__":
  EXPERIMENT.cli()
