"""Study S0: lyrics → genre with a Hierarchical Attention Network over the song's lines.

    python -m experiments.han --lr=1e-4
    python -m experiments.han --dataset=lastfm17 --data_dir=../shared/data --lr=1e-4

Words → (Bi)GRU + attention → line vectors → (Bi)GRU + attention → song → genre.
Songs are split on line breaks into --max_lines lines of --max_words tokens.
"""

from absl import app, flags

from experiments import common

FLAGS = flags.FLAGS
flags.DEFINE_enum("cell", "gru", ["gru", "lstm"], "Recurrent cell of both encoders.")
flags.DEFINE_integer("embed", 100, "Token embedding size.")
flags.DEFINE_integer("word_hidden", 50, "Word encoder hidden size (per direction).")
flags.DEFINE_integer("line_hidden", 50, "Line encoder hidden size (per direction).")
flags.DEFINE_integer("attn_size", 100, "Attention MLP size (word and line attention).")
flags.DEFINE_integer("layers", 1, "Stacked recurrent layers in each encoder.")
flags.DEFINE_bool("bidirectional", True, "Bidirectional encoders (Yang et al. 2016).")
flags.DEFINE_float("dropout", 0.0, "Dropout on line vectors, the song vector and between layers.")
flags.DEFINE_string("max_lines", "40", "Lines per song: an integer, or mean | p95 | max of train.")
flags.DEFINE_string("max_words", "12", "Tokens per line: an integer, or mean | p95 | max of train.")
common.define_flags(**common.S0_PROTOCOL)


def make_spec():
  text = common.text_spec(layout="lines", max_lines=FLAGS.max_lines, max_words=FLAGS.max_words)
  return common.base_spec("han", "han", {
      "cell": FLAGS.cell, "embed": FLAGS.embed, "word_hidden": FLAGS.word_hidden,
      "line_hidden": FLAGS.line_hidden, "attn_size": FLAGS.attn_size, "num_layers": FLAGS.layers,
      "bidirectional": FLAGS.bidirectional, "dropout": FLAGS.dropout}, text=text, features=False)


if __name__ == "__main__":
  app.run(common.main(make_spec))
