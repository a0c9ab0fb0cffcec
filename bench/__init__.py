"""Benchmarks (not tests): `python -m bench.<name>`; results go to stdout and BENCHMARKS.md."""
