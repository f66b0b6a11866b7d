"""The Kafka connector's jars as files, so a Spark process need not resolve them each start.

``spark.jars.packages`` makes every new Spark JVM run Ivy: about 2.5 s of a 9 s start here,
and some 40 lines of resolution report on the terminal, for the same eleven jars each time.
The first process that resolves them writes down the ones Spark does not already carry
(four: the connector, its token provider, ``kafka-clients`` and ``commons-pool2``); later
processes give those files as ``spark.jars``, which puts them on the driver's and the
executors' class paths as the resolution would. When a listed file is gone (Ivy's cache
was cleared) or the list was never written, the package is resolved again and the list
rewritten: the list can only save time, never stop a job.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)


def jar_name(package: str) -> str:
    """The file name Maven gives ``group:artifact:version``'s jar: ``artifact-version.jar``."""
    _, artifact, version = package.split(":")
    return f"{artifact}-{version}.jar"


def default_list(package: str) -> Path:
    """Where the resolved jars of ``package`` are listed: the user's cache, as Ivy's is."""
    import pyspark

    try:
        cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory to be found
        cache = Path(tempfile.gettempdir())
    key = package.replace(":", "_")
    return cache / "emporium" / f"spark-jars-{key}-pyspark-{pyspark.__version__}.txt"


def remembered(package: str, listing: Path) -> list[str] | None:
    """The jar files listed for ``package``, or None when they cannot all be used."""
    try:
        files = listing.read_text().split()
    except OSError:
        return None
    usable = any(Path(f).name.endswith(jar_name(package)) for f in files)
    if not usable or not all(Path(f).is_file() for f in files):
        return None
    return files


def remember(package: str, resolved: str, listing: Path) -> None:
    """Write down the jars Spark resolved for ``package`` (its ``spark.jars``, URIs separated
    by commas), less those in pyspark's own ``jars/`` directory.

    A list without the connector's own jar (``resolved`` came from a session someone else
    started) is not written. Written to a temporary file and renamed, so a process reading
    it meanwhile sees the old list or the new one, never half of one.
    """
    files = [unquote(urlsplit(uri).path) for uri in resolved.split(",") if uri.strip()]
    own = [f for f in files if not _bundled(Path(f).name)]
    if not any(Path(f).name.endswith(jar_name(package)) for f in own):
        return
    try:
        listing.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=listing.parent, prefix=listing.name, delete=False
        ) as out:
            out.write("\n".join(own) + "\n")
        os.replace(out.name, listing)
    except OSError as e:  # a read-only home: each start resolves, as without the list
        log.info("could not write the Spark jar list %s: %s", listing, e)


def _bundled(ivy_name: str) -> bool:
    """Whether pyspark already carries the jar Ivy named ``organisation_artifact-version.jar``."""
    import pyspark

    _, _, maven_name = ivy_name.partition("_")
    return bool(maven_name) and (Path(pyspark.__file__).parent / "jars" / maven_name).is_file()
