"""The studies' published numbers, reported beside ours (see docs STUDIES.md)."""

# experiment → model (+ "@label_map" when the study relabelled) → (what the study measured, value)
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
}


def published(experiment: str, model: str, label_map: str = "") -> tuple[str, float] | None:
  key = f"{model}@{label_map}" if label_map else model
  return PUBLISHED.get(experiment, {}).get(key)
