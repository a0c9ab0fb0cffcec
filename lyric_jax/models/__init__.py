"""Flax linen models. Every model follows one contract:

    logits = model.apply(variables, batch, train=bool, rngs={'dropout': key})

``batch`` is a dict of arrays (``tokens``/``lengths`` for text, ``features`` for
engineered features; see each model), and the output is [B, num_classes] (or [B]
for regression). ``registry.build(name, **kwargs)`` rebuilds a model from a run's config.
"""
