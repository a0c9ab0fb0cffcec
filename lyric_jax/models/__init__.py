"""Flax linen models. Every model follows one contract:

    logits = model.apply(variables, batch, train=bool, rngs={'dropout': key})

``batch`` is a dict of arrays (``tokens``/``lengths`` for text, ``features`` for
engineered features; see each model), and the output is [B, num_classes]; a score
regressor is the same model with ``num_classes=1``, so [B, 1]. Attention for the report and
``lyric_jax.explain`` is sown under the names of ``intermediates``. ``registry.build(name,
**kwargs)`` rebuilds a model from a run's config.
"""
