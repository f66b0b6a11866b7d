"""Erased accounts in bronze: their events go when compaction rewrites the files holding them.

Commerce publishes ``AccountDeleted`` (the user id only) when an account is erased. Silver
already drops that id from every event it builds (``transforms.silver.forget_erased``), but
bronze is the raw record and keeps it until compaction, the one job that rewrites bronze's
files, leaves the erased accounts' rows out of the files it writes (``compaction``). The
``AccountDeleted`` events themselves stay: they name no one any more, and they are how silver
knows to forget an event of that id that arrives late.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipelines.jobs.sink_files import under_table
from pipelines.transforms.silver import ACCOUNT_DELETED, CLICKSTREAM_TOPIC, erased_accounts


@dataclass(frozen=True)
class Erasure:
    """Drop erased accounts' events from the table (bronze's events: it has the envelope)."""

    clickstream_topic: str = CLICKSTREAM_TOPIC  # erasures sent there are not commerce's


@dataclass(frozen=True)
class Erasable:
    """The accounts erased and where their rows are: ``rows`` per file under the table."""

    accounts: frozenset[str]
    rows: dict[str, int]


def find_erasable(frame: DataFrame, table: Path, erasure: Erasure) -> Erasable:
    """The accounts erased in ``frame`` (the table's live rows) and the files holding their
    events, but for their ``AccountDeleted``. Reads two columns of every file."""
    found = erased_accounts(frame, erasure.clickstream_topic).collect()
    accounts = frozenset(r.user_id for r in found)
    if not accounts:
        return Erasable(accounts, {})
    counts = (
        frame.where(~kept(accounts)).groupBy(F.input_file_name().alias("file")).count().collect()
    )
    root = table.absolute()
    return Erasable(accounts, {under_table(r.file, root): int(r["count"]) for r in counts})


def kept(accounts: frozenset[str]) -> Column:
    """True for a row compaction writes back: not an erased account's, or its erasure."""
    erased = F.col("user_id").isin(sorted(accounts)) & (F.col("type") != ACCOUNT_DELETED)
    return ~F.coalesce(erased, F.lit(False))
