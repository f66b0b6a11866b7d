"""Stable fingerprints of interaction tables and splits, and the code's git commit."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pandas as pd

from models.columns import ITEM_COL, USER_COL


def fingerprint(df: pd.DataFrame) -> str:
    """A sha256 of the table's content, independent of row order.

    Parameters
    ----------
    df : pandas.DataFrame
        Any table (typically interactions).

    Returns
    -------
    str
        64 hex characters.
    """
    cols = sorted(df.columns)
    hashed = pd.util.hash_pandas_object(df[cols], index=False).sort_values().to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update(",".join(cols).encode())
    return digest.hexdigest()


def split_id(train: pd.DataFrame, test: pd.DataFrame) -> str:
    """Identifies an evaluation split: two models are comparable only on the same one."""
    pair = fingerprint(train[[USER_COL, ITEM_COL]]) + fingerprint(test[[USER_COL, ITEM_COL]])
    return hashlib.sha256(pair.encode()).hexdigest()[:16]


def git_commit(path: str | Path = ".") -> str:
    """The commit checked out at ``path`` ("unknown" outside a repository or without git)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, like any developer
            cwd=path,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()
