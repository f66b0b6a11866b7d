"""Spark jobs: plain functions of (spark, settings), the same on ``local[*]`` and a cluster."""
