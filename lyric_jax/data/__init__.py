"""Data flow: sources → clean → tokenize → encode → batches (one direction only).

The generic pipeline lives in this package's modules; the per-dataset readers and their
registry in ``lyric_jax.data.sources``. Importing this package imports nothing.
"""
