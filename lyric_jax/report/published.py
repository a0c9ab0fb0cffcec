"""The studies' published numbers, reported beside ours (see docs STUDIES.md)."""

# S0 measured validation accuracy on MetroLyrics (11 genres, Rock ~46%); our S0 runs use
# other data (Last.fm tags + Genius lyrics, 13 genres), so the numbers are context only.
_S0 = "S0 {}, val accuracy, MetroLyrics 11 genres: different data"

# experiment → model variant → (what the study measured, value). A variant is the model
# name, with '-bidirectional' appended when model_kwargs['bidirectional'] is true, and
# '@label_map' appended when the study relabelled (S4's merged genres).
PUBLISHED = {
    "lyrics_meta": {
        "text": ("S1 text net, val accuracy, 4 genres", 0.567),
        "meta": ("S1 metadata MLP, val accuracy, 4 genres", 0.653),
        "combined": ("S1 combined net, val accuracy, 4 genres", 0.626),
    },
    # S4 test accuracies on a random row split (track_ids may straddle it); the MLP's is the
    # authors' own implementation (their TensorFlow replication without dropout: 0.3173).
    "spotify": {
        "softmax": ("S4 softmax regression, test accuracy, 114 genres", 0.1567),
        "mlp": ("S4 MLP 100/150/150/150, test accuracy, 114 genres", 0.2593),
        "dense_lstm": ("S4 Dense(250)→LSTM(80), test accuracy, 114 genres", 0.3005),
        "lstm_lstm": ("S4 LSTM(80)→LSTM(150), test accuracy, 114 genres", 0.2583),
        "mlp_dropout": ("S4 MLP with dropout, test accuracy, 114 genres", 0.3225),
        "dense_lstm@spotify_114_to_66": ("S4 Dense(250)→LSTM(80), test accuracy, 66 merged genres",
                                         0.4079),
    },
    "lstm": {
        "rnn": (_S0.format("LSTM"), 0.4538),
        "rnn-bidirectional": (_S0.format("BiLSTM"), 0.4226),
    },
    "gru": {
        "rnn": (_S0.format("GRU"), 0.4538),     # the study gives no BiGRU number
    },
    "han": {
        "han-bidirectional": (_S0.format("HAN-GRU"), 0.5998),
    },
    # S2 measured on Metal-Archives reviews (score/100); comparable in scale, not in data.
    "review_cnn": {
        "cnn": ("S2 ConvNet test MAE, Metal-Archives reviews", 0.12),
    },
}

# Studies that published more than accuracy: (experiment, dataset, model) → metric → (what, value).
# S3 (003): one run each on the study's own 80/10/10 split of the 50k IMDB reviews; its
# P/R/F1 were averaged over test batches (not per example), and the tweet numbers come
# from a test file whose accuracy beat validation by 18 points.
_S3_IMDB = "S3, IMDB test, own 80/10/10 split, 1 run"
_S3_TWEETS = "S3, 3-class tweets test, 1 run"
PUBLISHED_METRICS = {
    ("attention_lstm", "imdb", "attn_lstm"): {
        "accuracy": (_S3_IMDB, 0.8648), "precision": (_S3_IMDB, 0.8665),
        "recall": (_S3_IMDB, 0.8661), "f1": (_S3_IMDB, 0.8637)},
    ("attention_lstm", "imdb", "ffnn"): {
        "accuracy": (_S3_IMDB, 0.8648), "precision": (_S3_IMDB, 0.84),
        "recall": (_S3_IMDB, 0.90), "f1": (_S3_IMDB, 0.87)},
    ("attention_lstm", "imdb", "rnn"): {
        "accuracy": (_S3_IMDB, 0.5375), "precision": (_S3_IMDB, 0.56),
        "recall": (_S3_IMDB, 0.40), "f1": (_S3_IMDB, 0.46)},
    ("attention_lstm", "tweets", "attn_lstm"): {
        "accuracy": (_S3_TWEETS, 0.7961), "macro_precision": (_S3_TWEETS, 0.8182),
        "macro_recall": (_S3_TWEETS, 0.7491), "macro_f1": (_S3_TWEETS, 0.7596)},
    ("attention_lstm", "tweets", "ffnn"): {
        "accuracy": (_S3_TWEETS, 0.6312), "macro_precision": (_S3_TWEETS, 0.64),
        "macro_recall": (_S3_TWEETS, 0.58), "macro_f1": (_S3_TWEETS, 0.61)},
    ("attention_lstm", "tweets", "rnn"): {
        "accuracy": (_S3_TWEETS, 0.4417), "macro_precision": (_S3_TWEETS, 1.00),
        "macro_recall": (_S3_TWEETS, 0.55), "macro_f1": (_S3_TWEETS, 0.71)},
}

# Reference points measured under other protocols, printed under a run's table.
CONTEXT = {
    ("attention_lstm", "imdb"): [
        "S3 attention LSTM validation: accuracy 87.15%, F1 0.8554 (train 99.83%: heavily overfit).",
        "Official 25k/25k IMDB split (not ours): Maas et al. 2011 88.89%; NBSVM-bi 91.22%; "
        "LSTM (Dai & Le 2015) 86.5%.",
    ],
    ("attention_lstm", "tweets"): [
        "S3 attention LSTM validation accuracy 61.42% (test 79.61%: 18 points higher, suspicious).",
        "Official SemEval-2017 4A test (not ours): best systems macro-averaged recall 0.681.",
    ],
}


def published(experiment: str, model: str, model_kwargs: dict | None = None,
              label_map: str = "") -> tuple[str, float] | None:
  variant = f"{model}-bidirectional" if (model_kwargs or {}).get("bidirectional") else model
  key = f"{variant}@{label_map}" if label_map else variant
  return PUBLISHED.get(experiment, {}).get(key)


def published_metrics(experiment: str, dataset: str, model: str, model_kwargs: dict | None = None,
                      label_map: str = "") -> dict[str, tuple[str, float]]:
  """Every published metric for a run: metric name → (what the study measured, value)."""
  found = PUBLISHED_METRICS.get((experiment, dataset, model))
  if found is not None:
    return dict(found)
  accuracy = published(experiment, model, model_kwargs, label_map)
  return {"accuracy": accuracy} if accuracy else {}


def published_context(experiment: str, dataset: str) -> list[str]:
  return list(CONTEXT.get((experiment, dataset), []))
