"""Daily: train the recommender on the gold interactions, register it, and run the gate.

The challenger takes the ``champion`` alias only if it beats the champion on the same split.
The same step runs without Airflow as ``emporium train``. ``EMPORIUM_TRAINING__MODEL`` picks
the model (``ease`` by default; ``ranker`` tunes every family and itself on validation first,
then reuses the champion's settings on the days between, ``EMPORIUM_TRAINING__RETUNE_DAYS``).
A day without new interactions trains nothing: the champion, trained by the same code on the
same data, is kept (the task returns ``"skipped": true``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="emporium_train",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10)},
    tags=["emporium", "models"],
)
def emporium_train() -> None:
    @task
    def train_and_gate() -> dict[str, Any]:
        from emporium.airflow_tasks import run_step

        return run_step("train")

    train_and_gate()


emporium_train()
