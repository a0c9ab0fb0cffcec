"""Study S4: Spotify audio features → genre (114 labels, or 66 merged with --merge_genres).

    python -m experiments.spotify --model=dense_lstm --data_dir=../shared/data --num_seeds=3
    python -m experiments.spotify --model=dense_lstm --merge_genres
    python -m experiments.spotify --model=mlp_dropout --nogrouped_split   # the study's leaky row split

Defaults follow the study: 1000 epochs; batch size and learning rate are not in the
text, so Keras's defaults (32, Adam 1e-3), which its TensorFlow models used.
"""

from absl import app, flags

from experiments import common
from lyric_jax.models.tabular import SEQUENCES

FLAGS = flags.FLAGS
flags.DEFINE_enum("model", "dense_lstm", ["softmax", "mlp", "mlp_dropout", "dense_lstm", "lstm_lstm", "resmlp"],
                  "Which of the study's nets, or resmlp: ours, a pre-norm residual MLP (--width, --blocks).")
flags.DEFINE_list("hidden", ["100", "150", "150", "150"], "MLP hidden sizes.")
flags.DEFINE_float("dropout", 0.2, "mlp_dropout: dropout rate.")
flags.DEFINE_list("dropout_layers", ["0"],
                  "mlp_dropout: hidden layers (0-based) followed by dropout; the study used the first.")
flags.DEFINE_integer("width", 256, "resmlp: width of the residual stream.")
flags.DEFINE_integer("blocks", 3, "resmlp: residual blocks.")
flags.DEFINE_integer("dense", 250, "dense_lstm: dense layer before the LSTM.")
flags.DEFINE_list("lstm", None, "LSTM sizes (default: 80 for dense_lstm, 80,150 for lstm_lstm).")
flags.DEFINE_enum("lstm_sequence", "step", list(SEQUENCES),
                  "What the LSTM runs over: the row as one step, or one step per feature "
                  "(see lyric_jax/models/tabular.py).")
flags.DEFINE_bool("merge_genres", False, "Merge the 114 genres into 66 (data/genre_merges/spotify_114_to_66.json).")
common.define_flags(dataset="spotify114", epochs=1000, batch_size=32, lr=["1e-3"])

MERGE_MAP = "spotify_114_to_66"


def make_spec():
  hidden = tuple(int(x) for x in FLAGS.hidden)
  lstm = {"dense_lstm": (80,), "lstm_lstm": (80, 150)}.get(FLAGS.model)
  lstm = tuple(int(x) for x in FLAGS.lstm) if FLAGS.lstm else lstm
  kwargs = {
      "softmax": {},
      "mlp": {"hidden": hidden},
      "mlp_dropout": {"hidden": hidden, "dropout": FLAGS.dropout,
                      "dropout_layers": tuple(int(x) for x in FLAGS.dropout_layers)},
      "dense_lstm": {"dense": FLAGS.dense, "lstm": lstm, "sequence": FLAGS.lstm_sequence},
      "lstm_lstm": {"lstm": lstm, "sequence": FLAGS.lstm_sequence},
      "resmlp": {"width": FLAGS.width, "blocks": FLAGS.blocks, "dropout": FLAGS.dropout},
  }[FLAGS.model]
  return common.base_spec("spotify", FLAGS.model, kwargs, text=False,
                          label_map=MERGE_MAP if FLAGS.merge_genres else "")


if __name__ == "__main__":
  app.run(common.main(make_spec))
