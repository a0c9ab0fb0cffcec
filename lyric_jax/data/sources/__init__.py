"""The registry of data sources: every name a RunSpec's ``dataset`` (and ``--dataset``) may take.

Each module of this package reads one family of public files and defines its ``Source``
objects (``base.Source``): ``imdb`` (aclImdb reviews: ``imdb``, ``imdb_ratings``), ``tweets``
(SemEval), ``lyrics`` (S0: ``metrolyrics``, ``lastfm17``), ``lyrics_and_features`` (S1:
``tcc_ceds``, ``spotify13``), ``reviews`` (S2: ``metal_archives``, ``synthetic_reviews``),
``spotify`` (S4: ``spotify114``) and ``synthetic``. They are registered here by hand, so a
new source is one module and one line below.
"""

from __future__ import annotations

from lyric_jax.data.errors import DataError
from lyric_jax.data.sources import imdb, lyrics, lyrics_and_features, reviews, spotify, synthetic, tweets
from lyric_jax.data.sources.base import Source

SOURCES: dict[str, Source] = {source.name: source for source in (
    lyrics_and_features.TCC_CEDS, lyrics_and_features.SPOTIFY13,
    lyrics.METROLYRICS, lyrics.LASTFM17,
    imdb.IMDB, imdb.IMDB_RATINGS, tweets.TWEETS,
    reviews.METAL_ARCHIVES, reviews.SYNTHETIC_REVIEWS,
    spotify.SPOTIFY114,
    synthetic.SYNTHETIC,
)}


def get(name: str) -> Source:
  if name not in SOURCES:
    raise DataError(f"Unknown dataset {name!r}; available: {sorted(SOURCES)}")
  return SOURCES[name]
