"""Real engines on 127.0.0.1 for tests and local runs: `emporium services up|down|status`.

One module per engine, each a `ManagedService` (install, start, health, stop), listed in
``registry.REGISTRY``.
"""

from emporium.services.base import Health, ManagedService, ServiceContext, UpResult
from emporium.services.errors import ServiceError
from emporium.services.registry import REGISTRY, build, resolve

__all__ = [
    "REGISTRY",
    "Health",
    "ManagedService",
    "ServiceContext",
    "ServiceError",
    "UpResult",
    "build",
    "resolve",
]
