"""Nightly: rebuild the search index from the catalog and swap the alias (zero downtime).

Between rebuilds the index follows catalog, price and stock events incrementally.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="emporium_search_reindex",
    schedule="0 3 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["emporium", "search"],
)
def emporium_search_reindex() -> None:
    @task
    def reindex() -> dict[str, Any]:
        from emporium.airflow_tasks import run_step

        return run_step("reindex")

    reindex()


emporium_search_reindex()
