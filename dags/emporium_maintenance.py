"""Nightly: compact bronze's small Parquet files (one per micro-batch and partition) into few
large ones, and delete the files an earlier run replaced once no reader can still need them.

Safe beside the hourly emporium_features runs: ingest goes on writing through the sink's log,
and batch reads through the compaction manifest (``pipelines.jobs.sink_files``). The same step
runs without Airflow as ``emporium compact``; ``EMPORIUM_COMPACTION__*`` tunes it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="emporium_maintenance",
    schedule="30 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["emporium", "pipelines", "maintenance"],
)
def emporium_maintenance() -> None:
    @task
    def compact_bronze() -> dict[str, Any]:
        from emporium.airflow_tasks import run_step

        return run_step("compact")

    compact_bronze()


emporium_maintenance()
