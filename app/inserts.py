"""Inserting rows given as dicts, on SQLite without the per-statement work of Core.

``Connection.execute(insert(table), rows)`` looks the statement up in the compiled cache,
builds an execution context and processes each parameter on every call: for one row of a
served list, more of the event loop's CPU than SQLite's own insert. ``PreparedInsert``
compiles the statement once per set of columns and hands the rows, converted by the
columns' own bind processors (the same values ``execute`` would bind) or the encoders it is
given, to the driver's ``executemany`` in the connection's transaction. Other drivers go
through ``execute``."""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert

Processor = Callable[[Any], Any] | None


class PreparedInsert:
    def __init__(self, table: Table, encoders: dict[str, Callable[[Any], Any]] | None = None
                 ) -> None:
        """``encoders``: what binds the values of those columns on SQLite instead of their
        types' own processors."""
        self._table = table
        self._encoders = encoders or {}
        self._statement = insert(table)
        self._prepared: dict[tuple[str, ...], tuple[str, list[tuple[str, Processor]]]] = {}

    def run(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
        """Insert ``rows`` (each with the same keys, column names) in the connection's
        transaction."""
        if not rows:
            return
        dialect = connection.dialect
        if dialect.name != "sqlite" or dialect.driver != "pysqlite":
            connection.execute(self._statement, list(rows))
            return
        sql, columns = self._compiled(dialect, tuple(rows[0]))
        values = [tuple(row[name] if process is None else process(row[name])
                        for name, process in columns) for row in rows]
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, values)
        finally:
            cursor.close()

    def _compiled(self, dialect: Dialect,
                  keys: tuple[str, ...]) -> tuple[str, list[tuple[str, Processor]]]:
        found = self._prepared.get(keys)
        if found is None:
            compiled = self._statement.compile(dialect=dialect, column_keys=list(keys))
            names = list(compiled.positiontup or ())
            if sorted(names) != sorted(keys):
                raise ValueError(f"{self._table.name}: columns {sorted(keys)} give "
                                 f"parameters {sorted(names)}")
            columns = self._table.columns
            found = (compiled.string, [
                (name, self._encoders.get(name)
                 or columns[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in names])
            self._prepared[keys] = found
        return found
