"""Output files the CLI writes (``--json PATH``): checked before the work, written whole.

A benchmark can run for minutes; an output path that cannot be written is refused before it
starts, and the file is written to a temporary sibling and renamed, so a failure never leaves
a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import typer


def check_writable(path: Path | None, option: str = "--json") -> None:
    """Refuse (``typer.BadParameter``) an output path that cannot be written; no file is made."""
    if path is None:
        return
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory", param_hint=option)
    parent = path.parent
    if not parent.is_dir():
        raise typer.BadParameter(f"{parent} is not an existing directory", param_hint=option)
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=f".{path.name}-"):
            pass
    except OSError as e:
        raise typer.BadParameter(
            f"cannot write in {parent}: {e.strerror or e}", param_hint=option
        ) from e


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all; a failure is a message and exit 1."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        typer.echo(f"error: could not write {path}: {e.strerror or e}", err=True)
        raise typer.Exit(1) from e
