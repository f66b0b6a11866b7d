"""What a DAG task body calls: one of ``emporium.steps`` with the configured settings."""

from __future__ import annotations

from typing import Any


def run_step(name: str) -> Any:
    """Run ``steps.<name>(settings)``. A ``StepError`` (no database, no events, data a split
    cannot use) fails the task at once: retrying in five minutes would meet the same state."""
    from airflow.sdk.exceptions import AirflowFailException

    from emporium import steps
    from emporium.settings import get_settings

    try:
        return getattr(steps, name)(get_settings())
    except steps.StepError as e:
        raise AirflowFailException(str(e)) from e
