"""Pipeline commands (``emporium replay``, ``emporium ingest``, ``emporium batch``)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to the top-level app."""
