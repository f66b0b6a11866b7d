"""Installing what the engines need: Debian packages, a Java runtime and Maven artifacts.

Only apt-get and Maven Central are used, so a fresh Debian 12 machine (CI, as root, no
stdin) can bring everything up. Jars land in a cache outside the checkout (keyed by the
generated pom) and ~/.m2 is Maven's own cache, so a second checkout downloads nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emporium.services.errors import InstallError, JavaNotFoundError, MissingBinaryError

APT_TIMEOUT = 1200.0
MAVEN_TIMEOUT = 900.0
JAVAC_TIMEOUT = 180.0
JAVA_PACKAGE = "openjdk-17-jdk-headless"
JVM_ROOT = Path("/usr/lib/jvm")


def default_jar_cache() -> Path:
    """Where fetched jars live: $EMPORIUM_SERVICES_JAR_CACHE or ~/.cache/emporium/jars."""
    override = os.environ.get("EMPORIUM_SERVICES_JAR_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "emporium" / "jars"


def run_bounded(argv: Sequence[str], service: str, timeout: float, **kwargs: object) -> str:
    """Run a command with no stdin and a time limit; InstallError (with output) on failure."""
    try:
        done = subprocess.run(  # noqa: S603 - argv built here, never a shell
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
    except subprocess.TimeoutExpired as exc:
        raise InstallError(service, f"`{' '.join(argv)}` did not finish in {timeout:.0f}s") from exc
    except OSError as exc:
        raise InstallError(service, f"cannot run `{argv[0]}`: {exc}") from exc
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
        raise InstallError(
            service, f"`{' '.join(argv)}` failed (exit {done.returncode}):\n{output}"
        )
    return str(done.stdout)


@dataclass
class JavaHome:
    """A JDK (or JRE) directory and its major version."""

    home: Path
    major: int

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"

    @property
    def javac(self) -> Path:
        return self.home / "bin" / "javac"


def java_major(home: Path) -> int | None:
    """The major version of the Java in ``home`` (from its ``release`` file), if any."""
    if not (home / "bin" / "java").exists():
        return None
    try:
        text = (home / "release").read_text()
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', text, re.MULTILINE)
    return int(match.group(1)) if match else None


def java_candidates() -> list[Path]:
    """JAVA_HOME first, then the Debian default Java 17, then any other JVM."""
    found: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]))
    found.append(JVM_ROOT / "java-17-openjdk-amd64")
    if JVM_ROOT.is_dir():
        found.extend(sorted(p for p in JVM_ROOT.iterdir() if p.is_dir()))
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path).resolve().parent.parent)
    return found


def find_java(
    minimum: int,
    need_javac: bool,
    candidates: Sequence[Path] | None = None,
    maximum: int | None = None,
) -> JavaHome | None:
    """The first candidate with Java ``minimum``..``maximum`` (and javac when asked)."""
    for home in candidates if candidates is not None else java_candidates():
        major = java_major(home)
        if major is None or major < minimum or (maximum is not None and major > maximum):
            continue
        if need_javac and not (home / "bin" / "javac").exists():
            continue
        return JavaHome(home, major)
    return None


@dataclass
class Installer:
    """Installs what is missing, once per `up`; refuses politely when installing is off."""

    allow_install: bool = True
    jar_cache: Path = field(default_factory=default_jar_cache)
    echo: Callable[[str], None] = print
    java_candidates: Sequence[Path] | None = None
    _apt_updated: bool = False

    def ensure_apt(self, service: str, packages: Sequence[str], probe: str | Path) -> None:
        """Install Debian ``packages`` unless ``probe`` (a path or a command) exists."""
        if Path(probe).exists() if "/" in str(probe) else shutil.which(str(probe)):
            return
        self.apt_install(service, packages, missing=str(probe))

    def apt_install(self, service: str, packages: Sequence[str], missing: str) -> None:
        """``apt-get install`` (after one ``apt-get update`` per run), non-interactively."""
        wanted = " ".join(packages)
        if not self.allow_install:
            raise MissingBinaryError(
                service, f"{missing} not found; install it with `apt-get install -y {wanted}`"
            )
        if os.geteuid() != 0:
            raise MissingBinaryError(
                service,
                f"{missing} not found and installing needs root: "
                f"`sudo apt-get install -y {wanted}`",
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if not self._apt_updated:
            self.echo("  apt-get update")
            run_bounded(["apt-get", "update", "-q"], service, APT_TIMEOUT, env=env)
            self._apt_updated = True
        self.echo(f"  apt-get install {wanted}")
        run_bounded(
            [
                "apt-get",
                "install",
                "-y",
                "-q",
                "-o",
                "DPkg::Lock::Timeout=120",
                "--no-install-recommends",
                *packages,
            ],
            service,
            APT_TIMEOUT,
            env=env,
        )

    def java(
        self, service: str, minimum: int = 17, need_javac: bool = False, maximum: int | None = None
    ) -> JavaHome:
        """A Java in ``minimum``..``maximum``; installs Debian's OpenJDK 17 when none is found."""
        found = find_java(minimum, need_javac, self.java_candidates, maximum)
        if found is None and self.allow_install and minimum <= 17:
            self.apt_install(service, [JAVA_PACKAGE], missing=f"Java >= {minimum}")
            found = find_java(minimum, need_javac, self.java_candidates, maximum)
        if found is None:
            kind = "JDK (with javac)" if need_javac else "Java runtime"
            wanted = f"{minimum}..{maximum}" if maximum else f">= {minimum}"
            raise JavaNotFoundError(
                service,
                f"needs a {kind} {wanted}: none found in JAVA_HOME or {JVM_ROOT}; "
                f"install it with `apt-get install -y {JAVA_PACKAGE}` or set JAVA_HOME",
            )
        return found

    def maven_jars(self, service: str, name: str, pom: str, java: JavaHome) -> Path:
        """Resolve ``pom``'s runtime dependencies from Maven Central into the jar cache."""
        key = hashlib.sha256(pom.encode()).hexdigest()[:12]
        target = self.jar_cache / f"{name}-{key}"
        if (target / ".complete").exists():
            return target / "libs"
        self.ensure_apt(service, ["maven"], "mvn")
        target.mkdir(parents=True, exist_ok=True)
        (target / "pom.xml").write_text(pom)
        self.echo(f"  mvn dependency:copy-dependencies ({name})")
        run_bounded(
            [
                "mvn",
                "-B",
                "-q",
                "-f",
                str(target / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={target / 'libs'}",
                "-DincludeScope=runtime",
            ],
            service,
            MAVEN_TIMEOUT,
            env={**os.environ, "JAVA_HOME": str(java.home)},
        )
        (target / ".complete").write_text(key + "\n")
        return target / "libs"
