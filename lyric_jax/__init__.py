"""lyric_jax: pure-functional JAX/Flax models for lyrics, reviews, tweets and audio features."""

__version__ = "0.1.0"
