"""Errors of the event bus. Each carries a stable ``code`` that status pages and logs can key on."""

from __future__ import annotations

from typing import Any


class EventBusError(Exception):
    """Base class: something went wrong talking to, or writing to, the event bus.

    Parameters
    ----------
    message
        Human-readable explanation, naming the topic, group or URL involved.
    details
        Extra structured data (topic, offsets, URL) for logs and API error bodies.
    """

    code = "event_bus_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidEvent(EventBusError):
    """An event failed validation; nothing of the batch was written."""

    code = "invalid_event"


class InvalidName(EventBusError):
    """A topic or consumer-group name is not usable (it must be safe as a file or Kafka name)."""

    code = "invalid_name"


class UnsupportedBusUrl(EventBusError):
    """The events URL names no known bus adapter, or is malformed."""

    code = "unsupported_bus_url"


class BusUnavailable(EventBusError):
    """The bus could not be reached or did not answer in time."""

    code = "bus_unavailable"


class PublishFailed(EventBusError):
    """The bus refused or lost some events of a batch; the caller should retry the batch."""

    code = "publish_failed"


class CommitFailed(EventBusError):
    """Consumer-group offsets could not be stored; the events will be delivered again."""

    code = "commit_failed"


class UnknownTopic(EventBusError):
    """The topic does not exist on the bus (Kafka topics are created explicitly)."""

    code = "unknown_topic"
