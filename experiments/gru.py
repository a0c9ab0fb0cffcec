"""Study S0: lyrics → genre with a (Bi)GRU over the song's tokens.

    python -m experiments.gru --dataset=lastfm17 --data_dir=../shared/data [--bidirectional]

The study's sizes (embedding 100, hidden 128) are the defaults.
"""

from experiments import common

EXPERIMENT = common.rnn_experiment("gru", cell="gru", embed=100, hidden=128)

if __name__ == "__main__":
  EXPERIMENT.cli()
