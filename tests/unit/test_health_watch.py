"""A background health check that stops answering is reported as stuck, not as its last answer.

Every check bounds its own waits; these tests stand for a wait nobody bounded (a library call
that hangs). Before, ``/health`` went on repeating the last answer, healthy, for ever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emporium import champion as champion_module
from emporium.champion import Champion
from emporium.health_watch import WatchedHealth
from emporium.settings import Settings

STALE_S = 0.3  # how overdue an answer may be in these tests


def eventually(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let a held check's thread end


def hangs_after_one_answer(release: threading.Event) -> Callable[[], dict[str, object]]:
    answers = 0

    def check() -> dict[str, object]:
        nonlocal answers
        answers += 1
        if answers > 1:
            release.wait()
        return {"healthy": True}

    return check


def test_a_check_that_hangs_is_reported_stuck_and_recovers_when_it_answers(
    release: threading.Event,
) -> None:
    watch = WatchedHealth("mail", hangs_after_one_answer(release), 0.01, STALE_S).start()
    eventually(lambda: watch.report().get("healthy") is False)
    assert "has not answered" in str(watch.report()["error"])
    release.set()
    eventually(lambda: watch.report() == {"healthy": True})
    watch.stop()


def test_a_check_that_keeps_answering_is_never_stuck() -> None:
    answers: list[float] = []

    def check() -> dict[str, object]:
        answers.append(time.monotonic())
        return {"healthy": True}

    watch = WatchedHealth("mail", check, 0.01, STALE_S).start()
    eventually(lambda: len(answers) > 1)
    started = time.monotonic()
    while time.monotonic() - started < 3 * STALE_S:  # well past the staleness bound
        assert watch.report() == {"healthy": True}
        time.sleep(0.02)
    watch.stop()


def test_a_registry_probe_that_hangs_is_reported_stuck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, release: threading.Event
) -> None:
    monkeypatch.setenv("EMPORIUM_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("EMPORIUM_MLFLOW__TRACKING_URI", raising=False)
    monkeypatch.delenv("EMPORIUM_MLFLOW__REGISTRY_URI", raising=False)
    monkeypatch.setattr(champion_module, "HEALTH_MAX_AGE_S", 0.01)
    monkeypatch.setattr(champion_module, "STALE_AFTER_S", STALE_S)
    champion = Champion(Settings())
    probe = champion._probe
    probes = 0

    def first_answers_then_hangs(uri: str) -> None:
        nonlocal probes
        probes += 1
        if probes > 1:
            release.wait()
        probe(uri)

    monkeypatch.setattr(champion, "_probe", first_answers_then_hangs)
    champion.watch_registry()
    eventually(lambda: champion.health().get("healthy") is False)
    assert "has not answered" in str(champion.health()["error"])
    release.set()
    eventually(lambda: champion.health().get("healthy") is True)
    champion.stop_watching()
