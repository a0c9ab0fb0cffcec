"""Study S0: lyrics → genre with a (Bi)LSTM over the song's tokens.

    python -m experiments.lstm --dataset=lastfm17 --data_dir=../shared/data [--bidirectional]

The study's sizes (embedding 1024, hidden 60) are the defaults; its classifier read the
state at the last *padded* step, ours reads each song's last real token (``--pooling``).
"""

from experiments import common

EXPERIMENT = common.rnn_experiment("lstm", cell="lstm", embed=1024, hidden=60)

if __name__ == "__main__":
  EXPERIMENT.cli()
