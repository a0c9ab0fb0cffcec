"""The studies' published numbers, reported beside ours (see docs STUDIES.md)."""

# S0 measured validation accuracy on MetroLyrics (11 genres, Rock ~46%); our S0 runs use
# other data (Last.fm tags + Genius lyrics, 13 genres), so the numbers are context only.
_S0 = "S0 {}, val accuracy, MetroLyrics 11 genres: different data"

# experiment → model variant → (what the study measured, value). A variant is the model
# name, with '-bidirectional' appended when model_kwargs['bidirectional'] is true.
PUBLISHED = {
    "lyrics_meta": {
        "text": ("S1 text net, val accuracy, 4 genres", 0.567),
        "meta": ("S1 metadata MLP, val accuracy, 4 genres", 0.653),
        "combined": ("S1 combined net, val accuracy, 4 genres", 0.626),
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


def published(experiment: str, model: str, model_kwargs: dict | None = None) -> tuple[str, float] | None:
  variant = f"{model}-bidirectional" if (model_kwargs or {}).get("bidirectional") else model
  return PUBLISHED.get(experiment, {}).get(variant)
