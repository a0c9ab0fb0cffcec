"""Study S0: lyrics → genre with a (Bi)GRU over the song's tokens.

    python -m experiments.gru --dataset=lastfm17 --data_dir=../shared/data [--bidirectional]

The study's sizes (embedding 100, hidden 128) are the defaults.
"""

from absl import app

from experiments import common

common.define_rnn_flags(embed=100, hidden=128)


def make_spec():
  return common.rnn_spec("gru", cell="gru")


if __name__ == "__main__":
  app.run(common.main(make_spec))
