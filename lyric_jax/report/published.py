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
}


def published(experiment: str, model: str, model_kwargs: dict | None = None,
              label_map: str = "") -> tuple[str, float] | None:
  variant = f"{model}-bidirectional" if (model_kwargs or {}).get("bidirectional") else model
  key = f"{variant}@{label_map}" if label_map else variant
  return PUBLISHED.get(experiment, {}).get(key)
