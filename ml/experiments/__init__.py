"""Reproducible experiments: python -m ml.experiments.<name> --help."""
