"""Study S1: lyrics + engineered audio/semantic features → genre (text, meta, combined nets).

    python -m experiments.lyrics_meta --model=combined --dataset=tcc_ceds \
        --labels="hip hop,jazz,reggae,rock" --num_seeds=3
    python -m experiments.lyrics_meta --model=ngram_resmlp --dataset=spotify13   # ours: its best recipe

The study's three nets (text, meta, combined) run the study's protocol (the flag defaults); ours on
spotify13 take the best recipe measured on val (``RECIPES``) for each flag not given
(``--recipe=study``: the flag defaults).
"""

from absl import flags

from experiments import common
from experiments.experiment import Experiment
from experiments.model_config import FLAG, Flag, define_ints

# --model → its registry model's arguments.
MODELS = {
    "text": {"embed": FLAG, "hidden": FLAG, "dropout": FLAG},
    "meta": {"hidden": Flag("meta_hidden"), "dropout": Flag("meta_dropout")},
    "combined": {"embed": FLAG, "feature_hidden": Flag("meta_hidden"), "head_hidden": FLAG,
                 "dropout": Flag("meta_dropout")},
    "resmlp": {**common.RESMLP_ARGS, "dropout": Flag("meta_dropout")},   # ours, features only
    # ours: the n-gram bag over the lyrics + resmlp over the features, logits summed
    "ngram_resmlp": {"embed": FLAG, "buckets": FLAG, "ngrams": FLAG, "char_ngrams": FLAG, "dropout": FLAG,
                     "weighting": Flag("bag_weighting"), "word_dropout": FLAG, **common.RESMLP_ARGS,
                     "feature_dropout": Flag("meta_dropout")},
}


# (dataset, --model) → the flags of its best recipe measured on val (issue 18; RESULTS.md S1): with
# --recipe=best (the default) each flag not given takes its value, --recipe=study keeps the flag defaults.
# The feature branch: the residual MLP over quantile-scaled features, each feature through periodic
# embeddings (val 57.7 → 58.8 % on spotify13's features alone); the text branch: the S0 bag's TF-IDF
# pooling, word dropout and weight decay; their logits summed (val 69.9 %).
RESMLP_RECIPE = {"width": "128", "blocks": "2", "meta_dropout": "0.2", "numeric_embedding": "16",
                 "feature_transform": "quantile", "optimizer": "adamw", "schedule": "cosine", "warmup": "0.05",
                 "label_smoothing": "0.1", "batch_size": "64", "patience": "0"}
RECIPES = {
    ("spotify13", "resmlp"): {**RESMLP_RECIPE, "epochs": "30", "lr": "2e-3"},
    ("spotify13", "ngram_resmlp"): {**RESMLP_RECIPE, "dropout": "0.2", "buckets": "131072", "ngrams": "2",
                                    "max_len": "p95", "length_buckets": "4", "bag_weighting": "tfidf",
                                    "word_dropout": "0.5", "weight_decay": "1.0", "epochs": "20", "lr": "3e-3"},
}


def define_flags(fv: flags.FlagValues) -> None:
  flags.DEFINE_enum("model", "combined", list(MODELS),
                    "Which of the study's three nets; or ours: resmlp, a residual MLP over the features, "
                    "and ngram_resmlp, an n-gram bag over the lyrics whose logits add to resmlp's.",
                    flag_values=fv)
  flags.DEFINE_integer("embed", 32, "Token embedding size.", flag_values=fv)
  flags.DEFINE_integer("hidden", 32, "Text net: dense layer after the embedding.", flag_values=fv)
  flags.DEFINE_float("dropout", 0.2, "Text net dropout.", flag_values=fv)
  define_ints("meta_hidden", ["18", "12", "8"], "Metadata MLP hidden sizes.", flag_values=fv)
  define_ints("head_hidden", ["12", "8"], "Combined net: layers after the concatenation.", flag_values=fv)
  flags.DEFINE_float("meta_dropout", 0.0, "Dropout in the metadata MLP / combined head (the study used none).",
                     flag_values=fv)
  common.define_resmlp_flags(fv)
  common.define_ngram_flags(fv)
  common.define_flags(fv, epochs=25, batch_size=8, lr=["1e-3"], max_len="512", tokenizer="wordlevel", min_freq=1)


def make_spec(fv: flags.FlagValues):
  common.check_char_ngrams(fv)
  return common.base_spec(fv, "lyrics_meta", fv.model, MODELS[fv.model],
                          text=fv.model not in ("meta", "resmlp"), features=fv.model != "text")


EXPERIMENT = Experiment(define_flags, make_spec, recipe=lambda fv: RECIPES.get((fv.dataset, fv.model), {}))

if __name__ == "__main__":
  EXPERIMENT.cli()
