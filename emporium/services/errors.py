"""Errors of `emporium services`: each carries a stable ``code`` the CLI prints."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: something kept an engine from being installed, started or stopped."""

    code = "service_error"

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service


class PortInUseError(ServiceError):
    """The engine's fixed port is held by a process that emporium did not start."""

    code = "port_in_use"

    def __init__(self, service: str, port: int, owner: str) -> None:
        super().__init__(
            service,
            f"port 127.0.0.1:{port} is already in use by {owner}, which emporium did not "
            f"start; stop it (or free the port) and run `emporium services up` again",
        )
        self.port = port


class MissingBinaryError(ServiceError):
    """A program the engine needs is not installed (and installing was not allowed)."""

    code = "missing_binary"


class JavaNotFoundError(MissingBinaryError):
    """No Java runtime of the version an engine needs."""

    code = "java_not_found"


class InstallError(ServiceError):
    """apt-get, Maven or javac failed."""

    code = "install_failed"


class NotHealthyError(ServiceError):
    """The engine was started but did not answer its health check in time."""

    code = "not_healthy"


class StopError(ServiceError):
    """A process we started survived SIGTERM and SIGKILL."""

    code = "stop_failed"
