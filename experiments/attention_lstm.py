"""Study S3: attention-LSTM sentiment on IMDB (binary) and SemEval tweets (3-class).

    python -m experiments.attention_lstm --task=imdb --model=attn_lstm --num_seeds=3 \
        --data_dir=../shared/data --explain="This movie is a true gem."

By default (``--recipe=best``) each flag not given takes the best recipe measured on val for
the task and model (``RECIPES``; RESULTS.md S3), e.g. the attention LSTM over whole reviews in
length buckets on a cosine schedule. ``--recipe=study`` is the study's protocol (the flag
defaults): 80/10/10 stratified split, word-level vocabulary of training words seen >= 5 times
(+ PAD, UNK), length cut at the mean training length, batch 64, Adam, 15 epochs, best epoch
by validation F1 (positive class for IMDB, macro for tweets). The study's sigmoid + BCE head
is a 2-logit softmax + CE here: the same model (sigmoid(z1 - z0)), so binary and 3-class runs
share one pipeline.
"""

from absl import app, flags

from experiments import common
from experiments.experiment import Experiment
from experiments.model_config import FLAG, Flag

# --model → its registry model's arguments.
MODELS = {
    "attn_lstm": {"embed": FLAG, "hidden": FLAG, "cell": "lstm", "bidirectional": FLAG, "pooling": "attention",
                  "attn_size": FLAG, "dropout": FLAG, "unroll": FLAG, "impl": Flag("rnn_impl"),
                  "char_ngrams": FLAG, "char_buckets": Flag("buckets"), "char_embed": FLAG, "bag_ngrams": FLAG,
                  "bag_buckets": Flag("buckets")},
    "ffnn": {"embed": FLAG, "hidden": FLAG, "dropout": FLAG},
    "rnn": {"embed": FLAG, "hidden": FLAG, "cell": "simple", "pooling": "last", "dropout": FLAG, "unroll": FLAG},
    "transformer": {"embed": FLAG, "heads": FLAG, "layers": FLAG, "mlp": Flag("hidden"), "dropout": FLAG,
                    "pooling": FLAG, "max_len": Flag("max_positions")},
}

# (task, model) → the flags of its best recipe, each chosen on val against the study's protocol
# (issue 17; the S3 jobs in experiments/studies/s3.py are these, RESULTS.md has their numbers).
RNN_SIZES = {"embed": "64", "hidden": "64", "attn_size": "64"}    # the 2-core CPU budget
COSINE = {"schedule": "cosine", "patience": "0"}
RECIPES = {
    ("imdb", "attn_lstm"): {**RNN_SIZES, **COSINE, "max_len": "p95", "length_buckets": "8", "epochs": "4",
                            "warmup": "0.05", "lr": "2e-3"},
    ("imdb", "ngram_bag"): {**COSINE, "ngrams": "2", "embed": "64", "max_len": "max", "length_buckets": "8",
                            "lr": "3e-3", "epochs": "6"},
    # Tweets: class-balanced losses for the macro metrics (as the classic baseline's class weights),
    # the mean of hashed char 2–5-gram vectors beside the attention-pooled states (val macro-F1
    # 0.635 → 0.655: misspellings, hashtags and elongations are unknown words to the vocabulary),
    # each replica's epoch of best val macro-recall, SemEval's metric (val 0.672 → 0.683), and the
    # logits of a bag of words + hashed bigrams beside the head's (val macro-recall 0.683 → 0.688).
    ("tweets", "attn_lstm"): {**RNN_SIZES, **COSINE, "sample_weights": "inverse_bin", "max_len": "p95",
                              "epochs": "6", "warmup": "0.05", "lr": "2e-3", "char_ngrams": "5",
                              "buckets": "262144", "select_metric": "macro_recall", "bag_ngrams": "2"},
    ("tweets", "ngram_bag"): {**COSINE, "sample_weights": "inverse_bin", "ngrams": "2", "char_ngrams": "5",
                              "embed": "32", "buckets": "262144", "max_len": "p95", "lr": "3e-3", "epochs": "3"},
}


def recipe(fv: flags.FlagValues) -> dict[str, str]:
  return RECIPES.get((fv.task, fv.model), {})


def recipe_flags(task: str, model: str) -> tuple[str, ...]:
  """The recipe as command-line flags (a study job that runs it)."""
  return (f"--task={task}", f"--model={model}", *(f"--{k}={v}" for k, v in RECIPES[task, model].items()))


def define_flags(fv: flags.FlagValues) -> None:
  flags.DEFINE_enum("task", "imdb", ["imdb", "tweets"], "imdb: binary reviews; tweets: 3-class SemEval.",
                    flag_values=fv)
  flags.DEFINE_enum("model", "attn_lstm", [*MODELS, "ngram_bag"],
                    "attn_lstm: embedding → LSTM → attention → dense; ffnn: mean of embeddings → "
                    "MLP; rnn: vanilla (Elman) RNN read at the last real token; transformer: "
                    "pre-LN Transformer encoder → pooling → dense; ngram_bag: fastText, the mean of "
                    "word and hashed word n-gram vectors → dense.", flag_values=fv)
  flags.DEFINE_integer("embed", 100, "Token embedding size (transformer: model width; ngram_bag: 32 unless given).",
                       flag_values=fv)
  flags.DEFINE_integer("hidden", 128, "LSTM/RNN state size; FFNN hidden layer size; transformer MLP size.",
                       flag_values=fv)
  flags.DEFINE_bool("bidirectional", False, "attn_lstm: BiLSTM instead of the study's LSTM.", flag_values=fv)
  flags.DEFINE_integer("attn_size", 64, "attn_lstm: attention projection size.", flag_values=fv)
  flags.DEFINE_float("dropout", 0.2, "Dropout on the pooled vector (FFNN: on its hidden layer; "
                     "transformer: also on embeddings, attention and residual branches).", flag_values=fv)
  flags.DEFINE_integer("char_embed", 32, "attn_lstm with --char_ngrams: width of the char n-gram vectors "
                       "whose mean joins the attention-pooled states.", flag_values=fv)
  flags.DEFINE_integer("bag_ngrams", 0, "attn_lstm: > 0 adds the logits of a bag of words and hashed word "
                       "2..N-grams (the mean of their vectors, --buckets rows), trained with it; 0 = none.",
                       flag_values=fv)
  flags.DEFINE_integer("unroll", 1, "Recurrent scan unroll (speed only; 1 measured fastest here on CPU).",
                       flag_values=fv)
  flags.DEFINE_integer("heads", 4, "transformer: attention heads (dividing --embed).", flag_values=fv)
  flags.DEFINE_integer("layers", 2, "transformer: encoder blocks.", flag_values=fv)
  flags.DEFINE_enum("pooling", "mean", ["mean", "cls"], "transformer: text vector = masked mean or a CLS token.",
                    flag_values=fv)
  flags.DEFINE_integer("max_positions", 512, "transformer: learned positions (at least the run's max_len).",
                       flag_values=fv)
  common.define_rnn_impl_flag(fv)   # attn_lstm's LSTM
  common.define_ngram_flags(fv)
  common.define_vectors_flags(fv)
  common.define_flags(fv, dataset="imdb", epochs=15, batch_size=64, lr=["1e-3"], max_len="mean",
                      tokenizer="wordlevel", min_freq=5, vocab_size=1_000_000, select_metric="f1")


def make_spec(fv: flags.FlagValues):
  if fv["dataset"].present and fv.dataset != fv.task:
    raise app.UsageError("this experiment picks its data with --task, not --dataset")
  # Files that also hold an official test part train on its train part only.
  common.check_char_ngrams(fv)
  common.check_bag_ngrams(fv)
  common.require(fv.bag_ngrams == 0 or fv.model == "attn_lstm", f"--bag_ngrams is read by --model=attn_lstm only, "
                 f"not {fv.model}")
  args = common.ngram_bag_args(fv) if fv.model == "ngram_bag" else MODELS[fv.model]
  return common.base_spec(fv, "attention_lstm", fv.model, args, features=False,
                          dataset=fv.task, dataset_options={"splits": ["train"]})


EXPERIMENT = Experiment(define_flags, make_spec, recipe=recipe)

if __name__ == "__main__":
  EXPERIMENT.cli()
