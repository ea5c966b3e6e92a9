"""What the domain hands the ``Writes`` port to insert rows: the table, and how some of its
columns are best encoded. How the rows reach the database is the adapter's business (a
prepared statement on the SQLite writer, ``INSERT`` through the session elsewhere)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table


@dataclass(frozen=True, eq=False)  # compared by identity: adapters cache per insert
class RowsInto:
    table: Table
    encoders: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    """Column name → what binds its values where the adapter binds them itself (a JSON
    column's compact encoding, say); elsewhere the columns' own types bind them."""
    wait_for_disk: bool = True
    """Whether the commit waits until the rows are on disk. False for rows the server keeps
    for itself (served lists), not rows a caller was told are stored: on PostgreSQL their
    commit returns once the rows are visible, and the database writes them to disk within
    a fraction of a second (``synchronous_commit = off`` for that transaction; a crash of
    the database's machine in between loses them, a crash of the server does not)."""
