"""Which small files of a file-sink table compaction rewrites, and into how many files.

Pure Python (no Spark), so the choices are unit-tested on their own. Paths are relative to the
table's root, as ``date=2024-01-01/type=OrderPlaced/part-….parquet``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath
from urllib.parse import unquote

MIB = 1024 * 1024
DEFAULT_TARGET_BYTES = 128 * MIB


@dataclass(frozen=True)
class LiveFile:
    """A file readers read now: its path under the table's root and its size in bytes."""

    path: str
    size: int


@dataclass(frozen=True)
class PartitionPlan:
    """Rewrite ``files`` (all in ``directory``, ``size`` bytes together) into ``outputs`` files."""

    directory: str
    files: tuple[str, ...]
    size: int
    outputs: int


def partition_values(directory: str) -> dict[str, str]:
    """``date=2024-01-01/type=a%3Ab`` as ``{"date": "2024-01-01", "type": "a:b"}``.

    Spark escapes partition values in directory names with ``%XX``.
    """
    values = {}
    for part in PurePosixPath(directory).parts:
        name, sep, value = part.partition("=")
        if sep:
            values[unquote(name)] = unquote(value)
    return values


def partition_date(directory: str) -> date | None:
    """The ``date`` a partition directory holds; None without one (or a null date)."""
    try:
        return date.fromisoformat(partition_values(directory)["date"])
    except (KeyError, ValueError):  # Spark writes a null date as __HIVE_DEFAULT_PARTITION__
        return None


def plan_compaction(
    files: Iterable[LiveFile], target_bytes: int, newest: date
) -> list[PartitionPlan]:
    """The partitions worth compacting, dated ``newest`` or earlier, oldest first.

    A file smaller than half the target is small. A partition with two small files or more
    has them rewritten into ``ceil(total / target)`` files; its larger files stay as they are.
    So a compacted partition (one file under the target, or several of about the target
    size) plans nothing: compacting it again does nothing.

    Parameters
    ----------
    files
        Every file readers read now.
    target_bytes
        The size a compacted file should have (at least 1 byte).
    newest
        The latest partition date to compact: later ones are still being written to.

    Raises
    ------
    ValueError
        If ``target_bytes`` is not positive.
    """
    if target_bytes < 1:
        raise ValueError(f"target file size must be positive, not {target_bytes}")
    small: dict[str, list[LiveFile]] = defaultdict(list)
    for file in files:
        directory = str(PurePosixPath(file.path).parent)
        when = partition_date(directory)
        if when is not None and when <= newest and file.size < target_bytes / 2:
            small[directory].append(file)
    plans = []
    for directory, group in small.items():
        if len(group) < 2:
            continue
        size = sum(f.size for f in group)
        paths = tuple(sorted(f.path for f in group))
        plans.append(PartitionPlan(directory, paths, size, max(1, math.ceil(size / target_bytes))))
    return sorted(plans, key=_oldest_first)


def with_erasure(
    plans: list[PartitionPlan],
    files: Iterable[LiveFile],
    erasable: Iterable[str],
    target_bytes: int,
) -> list[PartitionPlan]:
    """``plans`` with every file in ``erasable`` (files holding rows to drop) added to its
    partition's plan: a partition without one gets one, whatever its date and however few or
    large its files, since each of those files must be rewritten without the rows.

    Parameters
    ----------
    plans
        The compaction's plans (``plan_compaction``).
    files
        Every file readers read now, with sizes.
    erasable
        Paths (among ``files``) to rewrite whatever their size.
    target_bytes
        The size a compacted file should have.
    """
    sizes = {f.path: f.size for f in files}
    by_directory: dict[str, set[str]] = {p.directory: set(p.files) for p in plans}
    for path in erasable:
        by_directory.setdefault(str(PurePosixPath(path).parent), set()).add(path)
    merged = []
    for directory, paths in by_directory.items():
        size = sum(sizes[p] for p in paths)
        outputs = max(1, math.ceil(size / target_bytes))
        merged.append(PartitionPlan(directory, tuple(sorted(paths)), size, outputs))
    return sorted(merged, key=_oldest_first)


def _oldest_first(plan: PartitionPlan) -> tuple[date, str]:
    """Plans by partition date (partitions without one first), then directory."""
    return (partition_date(plan.directory) or date.min, plan.directory)
