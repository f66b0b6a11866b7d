"""The engines `emporium services` manages, in start order. Add a new engine here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from emporium.services.base import ManagedService, ServiceContext, UpResult
from emporium.services.errors import ServiceError
from emporium.services.kafka import KafkaService
from emporium.services.mail import MailService
from emporium.services.mlflow import MlflowService
from emporium.services.payments import PaymentsSandboxService
from emporium.services.postgres import PostgresService
from emporium.services.redis import RedisService
from emporium.services.search import SearchService
from emporium.services.spark import SparkClusterService
from emporium.services.worker import WorkerService

# Insertion order is start order; ``depends_on`` pulls prerequisites into ``--only``.
REGISTRY: dict[str, type[ManagedService]] = {
    cls.name: cls
    for cls in (
        PostgresService,
        RedisService,
        KafkaService,
        SearchService,
        SparkClusterService,
        MlflowService,
        PaymentsSandboxService,
        MailService,
        WorkerService,
    )
}


def resolve(names: Iterable[str] | None = None) -> list[str]:
    """Engine names to act on, prerequisites included, in start order.

    Raises ``KeyError`` naming the first unknown engine.
    """
    wanted = list(names or REGISTRY)
    for name in wanted:
        if name not in REGISTRY:
            raise KeyError(name)
    closure: set[str] = set()
    stack = list(wanted)
    while stack:
        name = stack.pop()
        if name not in closure:
            closure.add(name)
            stack.extend(REGISTRY[name].depends_on)
    return [name for name in REGISTRY if name in closure]


def with_dependents(names: Iterable[str]) -> list[str]:
    """``names`` plus every engine that needs one of them, in start order (for `down`)."""
    chosen = set(names)
    grew = True
    while grew:
        extra = {name for name, cls in REGISTRY.items() if chosen.intersection(cls.depends_on)}
        grew = not extra <= chosen
        chosen |= extra
    return [name for name in REGISTRY if name in chosen]


def build(ctx: ServiceContext, names: Sequence[str]) -> list[ManagedService]:
    return [REGISTRY[name](ctx) for name in names]


def bring_up(
    services: Sequence[ManagedService],
    on_result: Callable[[UpResult], None],
    on_error: Callable[[ServiceError], None],
) -> bool:
    """Start every engine, waiting for one only when a later engine depends on it.

    Independent engines start side by side (the JVMs take the longest), so the total is
    close to the slowest engine rather than the sum. Returns True when all are healthy.
    """
    pending: list[ManagedService] = []
    failed: set[str] = set()

    def finish(service: ManagedService) -> None:
        pending.remove(service)
        try:
            on_result(service.finish())
        except ServiceError as exc:
            failed.add(service.name)
            on_error(exc)

    for service in services:
        for waiting in [p for p in pending if p.name in service.depends_on]:
            finish(waiting)
        blocked = failed.intersection(service.depends_on)
        try:
            if blocked:
                raise ServiceError(service.name, f"not started: {', '.join(blocked)} failed")
            result = service.launch()
        except ServiceError as exc:
            failed.add(service.name)
            on_error(exc)
            continue
        if result is None:
            pending.append(service)
        else:
            on_result(result)
    for service in list(pending):
        finish(service)
    return not failed
