"""Study S1: lyrics + engineered audio/semantic features → genre (text, meta, combined nets).

    python -m experiments.lyrics_meta --model=combined --dataset=tcc_ceds \
        --labels="hip hop,jazz,reggae,rock" --num_seeds=3
"""

from absl import app, flags

from experiments import common

FLAGS = flags.FLAGS
flags.DEFINE_enum("model", "combined", ["text", "meta", "combined"], "Which of the study's three nets.")
flags.DEFINE_integer("embed", 32, "Token embedding size.")
flags.DEFINE_integer("hidden", 32, "Text net: dense layer after the embedding.")
flags.DEFINE_float("dropout", 0.2, "Text net dropout.")
flags.DEFINE_list("meta_hidden", ["18", "12", "8"], "Metadata MLP hidden sizes.")
flags.DEFINE_list("head_hidden", ["12", "8"], "Combined net: layers after the concatenation.")
flags.DEFINE_float("meta_dropout", 0.0, "Dropout in the metadata MLP / combined head (the study used none).")
common.define_flags(epochs=25, batch_size=8, lr=["1e-3"], max_len="512",
                    tokenizer="wordlevel", min_freq=1)


def make_spec():
  meta_hidden = tuple(int(x) for x in FLAGS.meta_hidden)
  kwargs = {
      "text": {"embed": FLAGS.embed, "hidden": FLAGS.hidden, "dropout": FLAGS.dropout},
      "meta": {"hidden": meta_hidden, "dropout": FLAGS.meta_dropout},
      "combined": {"embed": FLAGS.embed, "feature_hidden": meta_hidden,
                   "head_hidden": tuple(int(x) for x in FLAGS.head_hidden), "dropout": FLAGS.meta_dropout},
  }[FLAGS.model]
  return common.base_spec("lyrics_meta", FLAGS.model, kwargs, text=FLAGS.model != "meta",
                          features=FLAGS.model != "text")


if __name__ == "__main__":
  app.run(common.main(make_spec))
