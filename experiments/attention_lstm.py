"""Study S3: attention-LSTM sentiment on IMDB (binary) and SemEval tweets (3-class).

    python -m experiments.attention_lstm --task=imdb --model=attn_lstm --num_seeds=3 \
        --data_dir=../shared/data --explain="This movie is a true gem."

Study protocol by default: 80/10/10 stratified split, word-level vocabulary of
training words seen >= 5 times (+ PAD, UNK), length cut at the mean training length,
batch 64, Adam, 15 epochs, best epoch by validation F1 (positive class for IMDB,
macro for tweets). The study's sigmoid + BCE head is a 2-logit softmax + CE here:
the same model (sigmoid(z1 - z0)), so binary and 3-class runs share one pipeline.
"""

from absl import app, flags

from experiments import common

FLAGS = flags.FLAGS
flags.DEFINE_enum("task", "imdb", ["imdb", "tweets"], "imdb: binary reviews; tweets: 3-class SemEval.")
flags.DEFINE_enum("model", "attn_lstm", ["attn_lstm", "ffnn", "rnn", "transformer", "ngram_bag"],
                  "attn_lstm: embedding → LSTM → attention → dense; ffnn: mean of embeddings → "
                  "MLP; rnn: vanilla (Elman) RNN read at the last real token; transformer: "
                  "pre-LN Transformer encoder → pooling → dense; ngram_bag: fastText, the mean of "
                  "word and hashed word n-gram vectors → dense.")
flags.DEFINE_integer("embed", 100, "Token embedding size (transformer: model width; ngram_bag: 32 unless given).")
flags.DEFINE_integer("hidden", 128, "LSTM/RNN state size; FFNN hidden layer size; transformer MLP size.")
flags.DEFINE_bool("bidirectional", False, "attn_lstm: BiLSTM instead of the study's LSTM.")
flags.DEFINE_integer("attn_size", 64, "attn_lstm: attention projection size.")
flags.DEFINE_float("dropout", 0.2, "Dropout on the pooled vector (FFNN: on its hidden layer; "
                   "transformer: also on embeddings, attention and residual branches).")
flags.DEFINE_integer("unroll", 1, "Recurrent scan unroll (speed only; 1 measured fastest here on CPU).")
flags.DEFINE_integer("heads", 4, "transformer: attention heads (dividing --embed).")
flags.DEFINE_integer("layers", 2, "transformer: encoder blocks.")
flags.DEFINE_enum("pooling", "mean", ["mean", "cls"], "transformer: text vector = masked mean or a CLS token.")
flags.DEFINE_integer("max_positions", 512, "transformer: learned positions (at least the run's max_len).")
common.define_ngram_flags()
common.define_flags(dataset="imdb", epochs=15, batch_size=64, lr=["1e-3"], max_len="mean",
                    tokenizer="wordlevel", min_freq=5, vocab_size=1_000_000, select_metric="f1")


def make_spec():
  if FLAGS["dataset"].present and FLAGS.dataset != FLAGS.task:
    raise app.UsageError("this experiment picks its data with --task, not --dataset")
  kwargs = common.ngram_bag_kwargs() if FLAGS.model == "ngram_bag" else {
      "attn_lstm": {"embed": FLAGS.embed, "hidden": FLAGS.hidden, "cell": "lstm",
                    "bidirectional": FLAGS.bidirectional, "pooling": "attention",
                    "attn_size": FLAGS.attn_size, "dropout": FLAGS.dropout, "unroll": FLAGS.unroll},
      "rnn": {"embed": FLAGS.embed, "hidden": FLAGS.hidden, "cell": "simple", "pooling": "last",
              "dropout": FLAGS.dropout, "unroll": FLAGS.unroll},
      "ffnn": {"embed": FLAGS.embed, "hidden": FLAGS.hidden, "dropout": FLAGS.dropout},
      "transformer": {"embed": FLAGS.embed, "heads": FLAGS.heads, "layers": FLAGS.layers, "mlp": FLAGS.hidden,
                      "dropout": FLAGS.dropout, "pooling": FLAGS.pooling, "max_len": FLAGS.max_positions},
  }[FLAGS.model]
  # Files that also hold an official test part train on its train part only.
  return common.base_spec("attention_lstm", FLAGS.model, kwargs, features=False, dataset=FLAGS.task,
                          dataset_options={"splits": ["train"]})


if __name__ == "__main__":
  app.run(common.main(make_spec))
