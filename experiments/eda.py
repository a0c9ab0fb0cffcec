"""Study S0's exploratory plots of a cleaned data set: lyric lengths, songs per genre, word clouds.

    python -m experiments.eda --dataset=lastfm17 --data_dir=../shared/data [--cloud_genres=rock,rap]
"""

import sys
from pathlib import Path

from absl import app, flags

from experiments import common
from lyric_jax.data.errors import DataError
from lyric_jax.run.pipeline import load_table
from lyric_jax.report.eda import write_eda

FLAGS = flags.FLAGS
flags.DEFINE_string("out_dir", None, "Where the PNGs go (default: runs/eda-<dataset>).")
flags.DEFINE_list("cloud_genres", [], "Genres to draw word clouds for (default: the 4 largest).")
common.define_data_flags(FLAGS)


def main(argv):
  del argv
  try:
    # A spec with no model: load_table applies the same labels/subset as training would.
    table = load_table(common.data_spec(FLAGS), FLAGS.data_dir)
  except DataError as e:
    sys.exit(f"error: {e}")
  print(table.report())
  out_dir = Path(FLAGS.out_dir or f"runs/eda-{FLAGS.dataset}")
  for path in write_eda(table, out_dir, FLAGS.cloud_genres or None):
    print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
