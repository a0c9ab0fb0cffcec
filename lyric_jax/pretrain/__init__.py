"""Pretraining on a run's own training split: word vectors (``skipgram``) and where they came from (``provenance``)."""
