"""The API's champion loader against the real MLflow tracking server (PostgreSQL-backed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from emporium.champion import Champion
from emporium.settings import MlflowSettings, Settings
from models.tracking.runs import configure
from models.training import train_and_register

pytestmark = pytest.mark.mlflow

# User 3 has item 11, which only user 1 shares, together with 10: 10 is 3's best next item.
EVENTS = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 12, 11]})
TEST = pd.DataFrame({"user_id": [3], "item_id": [10]})


def test_the_champion_is_loaded_and_a_promotion_replaces_it(
    mlflow_server_url: str, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    settings = Settings(mlflow=MlflowSettings(tracking_uri=mlflow_server_url))
    name = f"recs-{unique}"
    champion = Champion(settings, name=name, ttl=0.0)
    assert champion.get() is None

    configure(mlflow_server_url, "emporium-test")
    for version, l2 in (("1", 1.0), ("2", 2.0)):
        train_and_register("ease", {"l2": l2}, EVENTS, TEST, name, "test", "ndcg@10", -1.0)
        service = champion.get()
        assert service is not None and service.version == version
        assert service.model.l2 == l2
        items, personal = service.for_user("3", n=1)
        assert personal and [s.item_id for s in items] == ["10"]
