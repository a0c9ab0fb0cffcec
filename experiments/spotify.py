"""Study S4: Spotify audio features → genre (114 labels, or 66 merged with --merge_genres).

    python -m experiments.spotify --model=dense_lstm --data_dir=../shared/data --num_seeds=3
    python -m experiments.spotify --model=dense_lstm --merge_genres
    python -m experiments.spotify --model=mlp_dropout --nogrouped_split   # the study's leaky row split

Defaults follow the study: 1000 epochs; batch size and learning rate are not in the
text, so Keras's defaults (32, Adam 1e-3), which its TensorFlow models used.
"""

from absl import flags

from experiments import common
from experiments.experiment import Experiment
from experiments.model_config import FLAG, Flag, define_ints
from lyric_jax.models.tabular import SEQUENCES

# --model → its registry model's arguments.
MODELS = {
    "softmax": {},
    "mlp": {"hidden": FLAG},
    "mlp_dropout": {"hidden": FLAG, "dropout": FLAG, "dropout_layers": FLAG},
    "dense_lstm": {"dense": FLAG, "lstm": Flag(if_unset=(80,)), "sequence": Flag("lstm_sequence")},
    "lstm_lstm": {"lstm": Flag(if_unset=(80, 150)), "sequence": Flag("lstm_sequence")},
    "resmlp": {**common.RESMLP_ARGS, "dropout": FLAG},   # ours: a pre-norm residual MLP
}
MERGE_MAP = "spotify_114_to_66"


def define_flags(fv: flags.FlagValues) -> None:
  flags.DEFINE_enum("model", "dense_lstm", list(MODELS),
                    "Which of the study's nets, or resmlp: ours, a pre-norm residual MLP (--width, --blocks).",
                    flag_values=fv)
  define_ints("hidden", ["100", "150", "150", "150"], "MLP hidden sizes.", flag_values=fv)
  flags.DEFINE_float("dropout", 0.2, "mlp_dropout, resmlp: dropout rate.", flag_values=fv)
  common.define_resmlp_flags(fv)
  define_ints("dropout_layers", ["0"],
              "mlp_dropout: hidden layers (0-based) followed by dropout; the study used the first.", flag_values=fv)
  flags.DEFINE_integer("dense", 250, "dense_lstm: dense layer before the LSTM.", flag_values=fv)
  define_ints("lstm", None, "LSTM sizes (default: 80 for dense_lstm, 80,150 for lstm_lstm).", flag_values=fv)
  flags.DEFINE_enum("lstm_sequence", "step", list(SEQUENCES),
                    "What the LSTM runs over: the row as one step, or one step per feature "
                    "(see lyric_jax/models/tabular.py).", flag_values=fv)
  flags.DEFINE_bool("merge_genres", False,
                    "Merge the 114 genres into 66 (data/genre_merges/spotify_114_to_66.json).", flag_values=fv)
  common.define_flags(fv, dataset="spotify114", epochs=1000, batch_size=32, lr=["1e-3"])


def make_spec(fv: flags.FlagValues):
  return common.base_spec(fv, "spotify", fv.model, MODELS[fv.model], text=False,
                          label_map=MERGE_MAP if fv.merge_genres else "")


EXPERIMENT = Experiment(define_flags, make_spec)

if __name__ == "__main__":
  EXPERIMENT.cli()
