"""``dag.test()`` for the training and reindex DAGs on embedded engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from search_catalog import hits_behind

from commerce.adapters.db import make_engine, make_session_factory, upgrade
from commerce.domain.products import Product
from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from emporium.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for var in ("DATABASE__URL", "EVENTS__URL", "SEARCH__URL", "CACHE__URL",
                "MLFLOW__TRACKING_URI"):  # fmt: skip
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "var"))
    result = Settings()
    result.state_path.mkdir(parents=True)
    return result


def _gold_interactions(settings: Settings) -> None:
    """Two taste groups over 40 days: users 0-9 buy items a*, users 10-19 buy items b*, each
    user a new one every four days (so the last days hold new items of known users)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {"user_id": f"u{u}", "product_id": f"{'a' if u < 10 else 'b'}{(u + d) % 12}",
         "weight": 1.0, "last_ts": start + timedelta(days=d * 4 + u % 3)}
        for u in range(20) for d in range(10)
    ]  # fmt: skip
    path = settings.lake_path / "gold" / "interactions"
    path.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(path / "part-0.parquet")


def _laptop_stand_catalog(settings: Settings) -> None:
    """A migrated catalog of one product, LAP-1 "Laptop stand"."""
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:
        uow.products.add(Product(sku="LAP-1", name="Laptop stand", price=Decimal("30"),
                                 currency="GBP"))  # fmt: skip
        uow.commit()
    engine.dispose()


def _found(settings: Settings, text: str) -> list[str]:
    """The product ids the index behind the settings' alias finds for ``text``."""
    return [hit.product_id for hit in hits_behind(settings, text)]


def test_train_dag_registers_a_champion(dagbag, airflow_db: Path, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    _gold_interactions(settings)
    run = dagbag.dags["emporium_train"].test()
    assert run.state == "success"
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=settings.mlflow_tracking_uri,
                          registry_uri=settings.mlflow_tracking_uri)  # fmt: skip
    champion = client.get_model_version_by_alias("emporium-recommender", "champion")
    assert str(champion.version) == "1"


def test_reindex_dag_makes_the_catalog_searchable(
    dagbag,
    airflow_db: Path,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    _laptop_stand_catalog(settings)

    run = dagbag.dags["emporium_search_reindex"].test()

    assert run.state == "success"
    assert _found(settings, "laptop") == ["LAP-1"]


def test_reindex_dag_without_a_database_fails_at_once(
    dagbag,
    airflow_db: Path,
    settings: Settings,  # type: ignore[no-untyped-def]
) -> None:
    # A StepError is permanent: with retries the run would wait 2 x 5 minutes for nothing.
    run = dagbag.dags["emporium_search_reindex"].test()
    assert run.state == "failed"
    assert not (settings.state_path / "emporium.db").exists()
