"""Data flow: sources → clean → tokenize → encode → batches (one direction only).

Importing this package registers every data source by name in ``sources.SOURCES``.
"""

from lyric_jax.data import (  # noqa: F401  (registration side effect)
    lyrics_genre, reviews, sentiment, sources, spotify_tracks, synthetic)
