"""The engines `emporium services` manages, in start order. Add a new engine here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from emporium.services.base import ManagedService, ServiceContext
from emporium.services.kafka import KafkaService
from emporium.services.mlflow import MlflowService
from emporium.services.postgres import PostgresService
from emporium.services.redis import RedisService
from emporium.services.search import SearchService

# Insertion order is start order; ``depends_on`` pulls prerequisites into ``--only``.
REGISTRY: dict[str, type[ManagedService]] = {
    cls.name: cls
    for cls in (PostgresService, RedisService, KafkaService, SearchService, MlflowService)
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


def build(ctx: ServiceContext, names: Sequence[str]) -> list[ManagedService]:
    return [REGISTRY[name](ctx) for name in names]
