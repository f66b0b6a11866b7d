"""Real engines on 127.0.0.1 for tests and local runs: `emporium services up|down|status`.

One module per engine, each a `ManagedService` (install, start, health, stop), listed in
``registry.REGISTRY``. State (configs, logs, pid files, data) lives in
``<state_dir>/services/<engine>/``; PostgreSQL's cluster lives in /var/tmp/emporium-<hash>/
because its user cannot enter a checkout under /root.

To add an engine: write a module with a ``ManagedService`` subclass that sets ``name``,
``port`` (plus ``extra_ports`` and ``depends_on`` if any) and implements ``url``,
``install`` (apt-get via ``ctx.installer.ensure_apt``, jars via ``ctx.installer.maven_jars``),
``prepare`` (write config, return a ``Launch``), ``health`` (a few seconds at most) and, if
needed, ``after_start`` (idempotent set-up); add the class to ``REGISTRY`` and its URL
variables to ``envfiles``.
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
