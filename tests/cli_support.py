"""Shared by the CLI tests: a small interaction file, a wide terminal, flattened output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

WIDE = {"COLUMNS": "400"}  # error boxes wrap long lines (and paths) at the terminal width


def two_blocks(path: Path) -> Path:
    """60 users, each with 10 of the 15 items of their block (30 items in two blocks)."""
    rng = np.random.default_rng(0)
    rows = []
    for u in range(60):
        block = range(0, 15) if u < 30 else range(15, 30)
        items = rng.choice(list(block), size=10, replace=False)
        rows += [(f"u{u}", f"i{i}", 1000 * u + k) for k, i in enumerate(items)]
    pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).to_csv(path, index=False)
    return path


def flat(output: str) -> str:
    """CLI output as single-spaced words, without the error box's borders, so a message that
    the box wrapped over several lines can be matched as one."""
    return " ".join(output.replace("│", " ").split())
