"""Benchmarks behind `emporium bench`."""
