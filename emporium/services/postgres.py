"""PostgreSQL 15 from Debian, with its own data directory, on 127.0.0.1:55432.

initdb refuses to run as root, and the ``postgres`` user cannot enter a checkout under
root's home, so the cluster lives in /var/tmp/emporium-<hash of the state dir>/ owned by
the user that runs it. A system cluster on 5432, if any, is never touched.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import signal
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from emporium.services.base import HOST, Health, Launch, ManagedService
from emporium.services.install import run_bounded

if TYPE_CHECKING:
    import psycopg

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ROLE = "emporium"
PASSWORD = "emporium"  # noqa: S105 - a loopback-only test database, by design
DATABASES = ("emporium", "mlflow")
INITDB_TIMEOUT = 120.0

# Test data is disposable: skipping fsync makes schema-heavy test suites much faster.
SERVER_SETTINGS = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "logging_collector": "off",
}


def cluster_base(state_dir: Path) -> Path:
    """A per-checkout directory outside the checkout that the postgres user can own."""
    digest = hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:10]
    return Path("/var/tmp") / f"emporium-{digest}"  # noqa: S108 - survives reboots, unlike /tmp


def sql_url(database: str, port: int) -> str:
    return f"postgresql+psycopg://{ROLE}:{PASSWORD}@{HOST}:{port}/{database}"


class PostgresService(ManagedService):
    name = "postgres"
    port = 55432
    start_timeout: ClassVar[float] = 60.0
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to leave.
    stop_signal: ClassVar[signal.Signals] = signal.SIGINT

    @property
    def base(self) -> Path:
        return cluster_base(self.ctx.state_dir)

    @property
    def data_dir(self) -> Path:
        return self.base / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.base / "run"

    @property
    def url(self) -> str:
        return sql_url("emporium", self.port)

    @property
    def run_user(self) -> str | None:
        """Root may not run postgres: use the Debian ``postgres`` user; others run as self."""
        return "postgres" if os.geteuid() == 0 else None

    def install(self) -> None:
        self.ctx.installer.ensure_apt(self.name, ["postgresql"], PG_BIN / "postgres")

    def prepare(self) -> Launch:
        self._make_dirs()
        if not (self.data_dir / "PG_VERSION").exists():
            self.ctx.echo(f"  initdb {self.data_dir}")
            run_bounded(
                self.initdb_argv(),
                self.name,
                INITDB_TIMEOUT,
                user=self.run_user,
                group=self.run_user,
                cwd=self.base,
            )
        return Launch(self.server_argv(), env=self._env(), cwd=self.base, user=self.run_user)

    def initdb_argv(self) -> list[str]:
        return [
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]

    def server_argv(self) -> list[str]:
        argv = [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-k",
            str(self.socket_dir),
        ]
        for key, value in SERVER_SETTINGS.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    def _make_dirs(self) -> None:
        for path in (self.base, self.data_dir, self.socket_dir):
            path.mkdir(mode=0o700, exist_ok=True)
            if self.run_user:
                entry = pwd.getpwnam(self.run_user)
                os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(path, 0o700)

    def _env(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.base)}

    def _connect_admin(self) -> psycopg.Connection[tuple[object, ...]]:
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user="postgres",
            dbname="postgres",
            connect_timeout=2,
            autocommit=True,
        )

    def ready(self) -> bool:
        try:
            with self._connect_admin():
                return True
        except Exception:  # noqa: BLE001 - any failure just means "not yet"
            return False

    def after_start(self) -> None:
        """Create the role and databases the platform and MLflow use (idempotent)."""
        with self._connect_admin() as conn:
            role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (ROLE,)).fetchone()
            verb = "ALTER" if role else "CREATE"
            # CREATEDB: test suites make a database per run so runs never collide.
            conn.execute(f"{verb} ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")
            for database in DATABASES:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
                ).fetchone()
                if not exists:
                    conn.execute(f"CREATE DATABASE {database} OWNER {ROLE}")

    def health(self) -> Health:
        import psycopg

        try:
            with psycopg.connect(
                host=HOST,
                port=self.port,
                user=ROLE,
                password=PASSWORD,
                dbname="emporium",
                connect_timeout=3,
            ) as conn:
                row = conn.execute("SHOW server_version").fetchone()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return Health(False, detail=str(exc).strip().splitlines()[0] if str(exc) else repr(exc))
        return Health(True, version=str(row[0]) if row else None)
