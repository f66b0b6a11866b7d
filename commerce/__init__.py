"""The shop's domain and its persistence. Imports nothing else of ours."""
