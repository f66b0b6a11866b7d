"""Every DAG file imports cleanly, is named after its file, and is wired as intended."""

from __future__ import annotations

from pathlib import Path

DAGS_FOLDER = Path(__file__).resolve().parents[2] / "dags"


def test_dag_files_import_without_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    files = sorted(p.stem for p in DAGS_FOLDER.glob("*.py"))
    assert sorted(dagbag.dags) == files


def test_each_dag_id_is_its_file_name(dagbag) -> None:  # type: ignore[no-untyped-def]
    for dag_id, dag in dagbag.dags.items():
        assert Path(dag.fileloc).stem == dag_id


def test_features_dag_ingests_before_building_tables(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["emporium_features"]
    assert dag.get_task("ingest").downstream_task_ids == {"batch"}
    assert dag.catchup is False and dag.max_active_runs == 1


def test_maintenance_dag_compacts_bronze_nightly(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["emporium_maintenance"]
    assert [t.task_id for t in dag.tasks] == ["compact_bronze"]
    assert dag.catchup is False and dag.max_active_runs == 1
