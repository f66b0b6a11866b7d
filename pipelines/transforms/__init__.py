"""Pure DataFrame transforms: each takes and returns DataFrames, no I/O, unit-tested."""
