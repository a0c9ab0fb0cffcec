"""The studies' published numbers, reported beside ours (see docs STUDIES.md)."""

# experiment → model → (what the study measured, value)
PUBLISHED = {
    "lyrics_meta": {
        "text": ("S1 text net, val accuracy, 4 genres", 0.567),
        "meta": ("S1 metadata MLP, val accuracy, 4 genres", 0.653),
        "combined": ("S1 combined net, val accuracy, 4 genres", 0.626),
    },
    # S2 measured on Metal-Archives reviews (score/100); comparable in scale, not in data.
    "review_cnn": {
        "cnn": ("S2 ConvNet test MAE, Metal-Archives reviews", 0.12),
    },
}


def published(experiment: str, model: str) -> tuple[str, float] | None:
  return PUBLISHED.get(experiment, {}).get(model)
