"""``dag.test()`` runs the features DAG for real: a small Online Retail replay in the on-disk
log becomes bronze, silver and gold tables through Spark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from emporium import steps
from emporium.settings import Settings


@pytest.mark.spark
@pytest.mark.slow
def test_features_dag_builds_gold_tables(
    dagbag,
    airflow_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    for var in ("DATABASE__URL", "EVENTS__URL", "SEARCH__URL", "CACHE__URL"):
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EMPORIUM_SPARK__MASTER", "local[2]")
    settings = Settings()
    published = steps.replay(settings, "online-retail", limit=3000)
    assert sum(published.values()) == 3000

    run = dagbag.dags["emporium_features"].test()

    assert run.state == "success"
    interactions = pd.read_parquet(settings.lake_path / "gold" / "interactions")
    assert len(interactions) > 0
    assert {"user_id", "product_id", "weight"} <= set(interactions.columns)
    assert (interactions["n_purchase"] > 0).any()
