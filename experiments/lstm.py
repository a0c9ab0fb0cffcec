"""Study S0: lyrics → genre with a (Bi)LSTM over the song's tokens.

    python -m experiments.lstm --dataset=lastfm17 --data_dir=../shared/data [--bidirectional]

The study's sizes (embedding 1024, hidden 60) are the defaults; its classifier read the
state at the last *padded* step, ours reads each song's last real token (``--pooling``).
"""

from absl import app

from experiments import common

common.define_rnn_flags(embed=1024, hidden=60)


def make_spec():
  return common.rnn_spec("lstm", cell="lstm")


if __name__ == "__main__":
  app.run(common.main(make_spec))
