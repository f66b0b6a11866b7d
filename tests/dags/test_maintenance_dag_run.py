"""``dag.test()`` runs the maintenance DAG for real: an Online Retail replay ingested in many
micro-batches is compacted, every bronze row still there once."""

from __future__ import annotations

from pathlib import Path

import pytest

from emporium import steps
from emporium.settings import Settings
from pipelines.jobs.lake import LakePaths
from pipelines.jobs.sink_files import load_manifest


def _bronze_rows(settings: Settings) -> list[tuple[object, ...]]:
    from pipelines.jobs.ingest import read_bronze

    with steps.spark_session(settings, "emporium-test-read") as spark:
        return sorted(tuple(r) for r in read_bronze(spark, settings.lake_path).collect())


@pytest.mark.spark
@pytest.mark.slow
def test_maintenance_dag_compacts_bronze(
    dagbag,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.delenv("EMPORIUM_EVENTS__URL", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EMPORIUM_SPARK__MASTER", "local[2]")
    monkeypatch.setenv("EMPORIUM_COMPACTION__KEEP_REPLACED_MINUTES", "0")
    settings = Settings()
    steps.replay(settings, "online-retail", limit=1500, batch_size=150)  # 10 segments
    steps.ingest(settings, max_files=1)  # a micro-batch per segment: small files
    bronze = LakePaths(settings.lake_path).bronze
    files_before = len(list(bronze.rglob("*.parquet")))
    rows = _bronze_rows(settings)

    run = dagbag.dags["emporium_maintenance"].test()

    assert run.state == "success"
    manifest = load_manifest(bronze)
    assert manifest is not None and manifest.compacted and not manifest.doomed
    assert len(list(bronze.rglob("*.parquet"))) < files_before
    assert _bronze_rows(settings) == rows and len(rows) > 0
