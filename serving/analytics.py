"""Analytics events published off the request thread.

A search must not wait on the event stream: while Kafka was down every search took the
producer's 10 s metadata wait. Searches hand their event to a ``BackgroundPublisher``, whose
thread publishes in batches. Analytics are best effort: what the stream does not take, or what
arrives while the queue is full, is dropped and counted, and the shopper never notices.
"""

from __future__ import annotations

import logging
import queue
import threading

from pipelines.events import Event, EventBus

log = logging.getLogger(__name__)

_STOP = object()


class BackgroundPublisher:
    """Publishes submitted events to ``topic`` from one daemon thread.

    Parameters
    ----------
    bus : EventBus
        Where the events go.
    topic : str
        Their topic.
    max_queued : int
        Events waiting at most; more are dropped (and counted in ``dropped``).
    batch_size : int
        Events per ``publish`` call at most.
    """

    def __init__(
        self, bus: EventBus, topic: str, max_queued: int = 10_000, batch_size: int = 500
    ) -> None:
        self.bus, self.topic, self.batch_size = bus, topic, batch_size
        self.dropped = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queued)
        self._thread = threading.Thread(target=self._run, name="analytics", daemon=True)
        self._thread.start()

    def submit(self, event: Event) -> None:
        """Queue ``event``; never blocks and never raises."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("analytics queue full: %d event(s) dropped so far", self.dropped)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued event was handled; False if ``timeout_s`` passed first."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, name="analytics-flush", daemon=True).start()
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Publish what is queued (waiting at most ``timeout_s``) and stop the thread."""
        try:
            self._queue.put(_STOP, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: list[Event] = []
            stop = False
            while True:
                if isinstance(item, Event):
                    batch.append(item)
                else:  # _STOP
                    stop = True
                if stop or len(batch) >= self.batch_size:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._publish(batch)
            for _ in range(len(batch) + (1 if stop else 0)):
                self._queue.task_done()
            if stop:
                return

    def _publish(self, batch: list[Event]) -> None:
        if not batch:
            return
        try:
            self.bus.publish(self.topic, batch)
        except Exception as e:  # noqa: BLE001 - best effort: any failure drops the batch
            self.dropped += len(batch)
            log.warning("analytics: %d event(s) not published to %s: %s", len(batch), self.topic, e)
