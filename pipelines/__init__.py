"""Event transport, Spark jobs, replays and indexing jobs."""
