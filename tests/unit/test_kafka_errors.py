"""kafka-python's errors become the bus's own, so callers handle one set of errors."""

from __future__ import annotations

from kafka.errors import CommitFailedError, KafkaTimeoutError, RebalanceInProgressError

from pipelines.events.errors import BusUnavailable, CommitFailed, EventBusError
from pipelines.events.kafka_group import kafka_error


def test_a_commit_refused_during_a_rebalance_is_a_failed_commit() -> None:
    refused = kafka_error("committing g1", RebalanceInProgressError(), group="g1")
    assert isinstance(refused, CommitFailed)
    assert refused.code == "commit_failed"


def test_a_commit_of_a_stale_generation_is_a_failed_commit() -> None:
    assert isinstance(kafka_error("committing g1", CommitFailedError()), CommitFailed)


def test_a_timeout_means_the_bus_is_unavailable() -> None:
    assert isinstance(kafka_error("polling", KafkaTimeoutError()), BusUnavailable)


def test_other_errors_stay_general_bus_errors() -> None:
    other = kafka_error("polling", ValueError("odd"))
    assert type(other) is EventBusError
