"""Flax linen modules: recurrent encoders, attention pooling and classifiers."""
