"""Recommenders, ranker, evaluation, splitters, dataset loaders and MLflow registry glue."""
