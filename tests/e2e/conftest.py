"""An API on embedded engines (SQLite, on-disk log, in-process index and cache) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emporium.settings import Settings
from emporium.wiring import Container, build_container
from serving.app import create_app


@pytest.fixture
def embedded_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for var in ("DATABASE__URL", "EVENTS__URL", "SEARCH__URL", "CACHE__URL"):
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path / "var"))
    return Settings()


@pytest.fixture
def container(embedded_settings: Settings) -> Container:
    from commerce.adapters.db import upgrade

    embedded_settings.state_path.mkdir(parents=True, exist_ok=True)
    upgrade(embedded_settings.database_url)
    return build_container(embedded_settings)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(lambda: container)) as test_client:
        yield test_client
