"""Study S2: review text → review score (0–1) with a 1-D ConvNet or a BiLSTM.

    python -m experiments.review_cnn --model=cnn --dataset=imdb_ratings --data_dir=../shared/data \
        --max_len=p95 --num_seeds=3 --predict "This album is bad" "This album is okay" \
        "This album is good" "This album is awesome"

Study protocol defaults: Keras-filter word tokenizer (lower-case, post-padding), pad
to the longest training review (--max_len=max), inverse-bin sample weights, MAE loss,
Adam 1e-3, batch 32, up to 64 epochs with early stopping (patience 10, best weights
kept). With --vectors=glove.6B.100d.txt the embedding starts from GloVe and is frozen
(--nofreeze_embedding trains it); without, it is trained from scratch.

Both nets train their best recipe measured on val unless told otherwise (``--recipe=best``, the
default; ``RECIPES``): attention pooling over every position instead of the study's final states
(BiLSTM) or max-pool (CNN, also without BatchNorm and penalised by AdamW's decay and dropout 0.5),
on a cosine schedule in length buckets. ``--recipe=study`` is the study's protocol. The CNN is at
its best on frozen in-domain vectors (``experiments.word_vectors``, then ``--vectors``; RESULTS.md S2).
"""

from absl import flags

from experiments import common
from experiments.experiment import Experiment
from experiments.model_config import FLAG, Flag
from lyric_jax.models import cnn
from lyric_jax.models.sequence import POOLINGS
from lyric_jax.report import plots
from lyric_jax.run.results import best_replica
from lyric_jax.run.rundir import CUSTOM_PREDICTIONS_PNG
from lyric_jax.train.objectives import ObjectiveSpec

# --model → its registry model's arguments.
MODELS = {
    "cnn": {"embed": FLAG, "filters": FLAG, "kernel_size": FLAG, "dense": FLAG, "dropout": FLAG,
            "spatial_dropout": Flag(if_unset=0.0), "batch_norm": FLAG, "pooling": Flag("cnn_pooling"),
            "attn_size": FLAG},
    "bilstm": {"embed": FLAG, "hidden": FLAG, "spatial_dropout": Flag(if_unset=0.2), "dropout": FLAG,
               "unroll": FLAG, "pooling": FLAG, "attn_size": FLAG},
}
# --model → the flags of its best recipe, chosen on val (issue 18; RESULTS.md S2). BiLSTM, on S2's 1/4
# subsample of IMDB ratings (`bilstm-attn`): val MAE 0.179 against 0.201 with the final states. CNN, on the
# whole training split (`cnn-reg-full` with attention): mean best val MAE 0.158 against 0.163 with the max-pool.
RECIPES = {"bilstm": {"pooling": "attention", "schedule": "cosine", "warmup": "0.05", "lr": "2e-3", "patience": "0",
                      "length_buckets": "8"},
           "cnn": {"cnn_pooling": "attention", "batch_norm": "false", "optimizer": "adamw", "weight_decay": "0.3",
                   "dropout": "0.5", "schedule": "cosine", "warmup": "0.05", "lr": "2e-3", "patience": "0",
                   "length_buckets": "8"}}


def define_flags(fv: flags.FlagValues) -> None:
  flags.DEFINE_enum("model", "cnn", [*MODELS, "ngram_bag"], "The study's ConvNet, or its BiLSTM + spatial "
                    "dropout; ngram_bag: fastText, the mean of word and hashed word n-gram vectors → dense.",
                    flag_values=fv)
  flags.DEFINE_integer("embed", 100, "Embedding size (must match --vectors' dimension; ngram_bag: 32 unless given).",
                       flag_values=fv)
  common.define_vectors_flags(fv, frozen_with_vectors=True)
  flags.DEFINE_integer("filters", 128, "CNN: Conv1D filters.", flag_values=fv)
  flags.DEFINE_integer("kernel_size", 5, "CNN: Conv1D kernel width.", flag_values=fv)
  flags.DEFINE_bool("batch_norm", True, "CNN: BatchNorm after the convolution (the study's); its running "
                    "averages, not the batch's statistics, are what evaluation reads.", flag_values=fv)
  flags.DEFINE_enum("cnn_pooling", "max", list(cnn.POOLINGS), "CNN: the review vector from the windows' "
                    "features: their max (the study's), mean, or additive attention.", flag_values=fv)
  flags.DEFINE_integer("dense", 64, "CNN: dense layer after the pooling (linear, as in the study).", flag_values=fv)
  flags.DEFINE_float("dropout", 0.2, "CNN: dropout after the dense layer; BiLSTM, ngram_bag: before the head.",
                     flag_values=fv)
  flags.DEFINE_integer("hidden", 64, "BiLSTM: hidden units per direction.", flag_values=fv)
  flags.DEFINE_float("spatial_dropout", None, "Spatial dropout on the embeddings; unset: the "
                     "study's (BiLSTM 0.2, CNN none).", flag_values=fv)
  flags.DEFINE_integer("unroll", 1, "BiLSTM: scan unroll factor.", flag_values=fv)
  flags.DEFINE_enum("pooling", "last", list(POOLINGS), "BiLSTM: the review vector: final states at the true "
                    "length (the study's), additive attention, or the mean / max over real positions.",
                    flag_values=fv)
  flags.DEFINE_integer("attn_size", 64, "Attention MLP size (BiLSTM --pooling=attention, CNN "
                       "--cnn_pooling=attention).", flag_values=fv)
  common.define_ngram_flags(fv)
  flags.DEFINE_enum("loss", "mae", ["mae", "mse", "huber"], "Regression loss (the study: MSE failed to learn); "
                    "huber: squared below an error of 0.1, absolute above.", flag_values=fv)
  flags.DEFINE_integer("weight_bins", 10, "Equal-width score bins for the sample weights.", flag_values=fv)
  flags.DEFINE_integer("train_subsample", 1, "Train on every k-th training review (the study used 10).",
                       flag_values=fv)
  flags.DEFINE_enum("bad_titles", "error", ["error", "drop"],
                    "metal_archives: a review title without ' - N%' is an error, or a counted drop.", flag_values=fv)
  flags.DEFINE_multi_string("predict", [], "Custom texts to score after training (bar chart "
                            "custom_predictions.png); further positional arguments are taken as more texts.",
                            flag_values=fv)
  common.define_flags(fv, dataset="synthetic_reviews", epochs=64, batch_size=32, lr=["1e-3"], max_len="max",
                      tokenizer="keras", min_freq=1, vocab_size=1_000_000, patience=10,
                      sample_weights="inverse_bin")


def make_spec(fv: flags.FlagValues):
  options = {"synthetic_reviews": {"num_examples": fv.num_examples, "seed": fv.split_seed},
             "metal_archives": {"on_bad_title": fv.bad_titles}}.get(fv.dataset, {})
  args = common.ngram_bag_args(fv) if fv.model == "ngram_bag" else MODELS[fv.model]
  return common.base_spec(
      fv, "review_cnn", fv.model, args, text=True, features=False,
      dataset_options=options,
      objective=ObjectiveSpec(kind="regression", loss=fv.loss, sample_weights=fv.sample_weights,
                              weight_bins=fv.weight_bins),
      train_subsample=fv.train_subsample)


def predict_texts(fv: flags.FlagValues, run_dir, results, extra_args):
  """Scores --predict texts with every replica; bar chart of the best replica (± std over replicas)."""
  del results
  texts = list(fv.predict) + (list(extra_args) if fv.predict else [])
  if not texts:
    return
  from lyric_jax import predict    # imports the library's predict CLI module only when needed
  scored = predict.replica_outputs(run_dir, predict.texts_table(run_dir, texts))
  scores = scored.outputs["score"]                       # [replicas, texts]
  best = scores[best_replica(scored.best_score)]
  plots.text_predictions(texts, best, run_dir / CUSTOM_PREDICTIONS_PNG, spread=scores.std(0))
  print("| text | predicted score (best replica) | mean ± std over replicas |\n|---|---|---|")
  for text, b, m, s in zip(texts, best, scores.mean(0), scores.std(0)):
    print(f"| {text} | {b:.3f} | {m:.3f} ± {s:.3f} |")


EXPERIMENT = Experiment(define_flags, make_spec, after_run=predict_texts,
                        recipe=lambda fv: RECIPES.get(fv.model, {}))

if __name__ == "__main__":
  EXPERIMENT.cli()
