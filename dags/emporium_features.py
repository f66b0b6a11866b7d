"""Hourly: new events from the bus into the bronze lake, then silver and gold rebuilt.

The same steps run without Airflow as ``emporium ingest`` and ``emporium batch``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="emporium_features",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["emporium", "pipelines"],
)
def emporium_features() -> None:
    @task
    def ingest() -> dict[str, Any]:
        from emporium.airflow_tasks import run_step

        return run_step("ingest")

    @task
    def batch() -> dict[str, int]:
        from emporium.airflow_tasks import run_step

        return run_step("batch")

    ingest() >> batch()


emporium_features()
