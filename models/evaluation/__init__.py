"""Splitters and metrics for honest offline evaluation."""
