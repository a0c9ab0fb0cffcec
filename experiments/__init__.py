"""Thin absl entry points, one per study experiment: `python -m experiments.<name> --flag=...`."""
