"""Prepared statements: the SQLite driver's own cursor, without the per-statement work of Core.

``Connection.execute`` looks the statement up in the compiled cache, builds an execution
context and processes each parameter and result value on every call: for one row of a
served list, more of the event loop's CPU than SQLite's own insert, and for a lookup by
index about ten times SQLite's own time. A prepared statement is compiled once and run on
the driver's cursor, its values converted by the columns' own bind and result processors
(the same values ``execute`` would bind and return).

``PreparedInsert`` inserts rows given as dicts in the connection's transaction on pysqlite
(the served lists); other drivers, and the session's writes when the SQLite fast paths are
off, go through ``execute``. ``PreparedRead`` is how the inline SQLite reader
(``app.storage.sqlite_reads``) runs a ``Lookup``."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select, Table, insert

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


REQUIRED = object()
"""A parameter's default where the request must give its value."""


@dataclass(frozen=True)
class Parameter:
    name: str
    process: Processor
    expanding: bool  # a list, for ``IN``: as many positions as it has values
    default: Any  # the statement's own value (an ``OFFSET 0``, say), or REQUIRED


class PreparedRead:
    """A select run on a pysqlite connection's own cursor, returning plain tuples."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, list[Parameter], list[Processor]]] = {}
        self._expanded: dict[tuple[str, tuple[int, ...]], str] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        dialect = connection.dialect
        sql, parameters, results = self.compiled(dialect)
        values: list[Any] = []
        lengths: dict[str, int] = {}
        for parameter in parameters:
            value = params.get(parameter.name, parameter.default)
            if value is REQUIRED:
                raise ValueError(f"a value is required for parameter {parameter.name!r}")
            process = parameter.process
            if not parameter.expanding:
                values.append(value if process is None else process(value))
            elif not value:  # an empty IN: the statement's own rendering of it
                return [tuple(row) for row in connection.execute(self.statement, params)]
            else:
                lengths[parameter.name] = len(value)
                values.extend(value if process is None else map(process, value))
        if lengths:
            sql = self.expanded(dialect, sql, lengths)
        driver = connection.connection.driver_connection
        fetched = driver.execute(sql, values).fetchall()  # type: ignore[union-attr]
        if not any(results):
            return fetched  # type: ignore[no-any-return]
        return [tuple(value if process is None else process(value)
                      for value, process in zip(row, results, strict=True)) for row in fetched]

    def compiled(self, dialect: Dialect) -> tuple[str, list[Parameter], list[Processor]]:
        """The SQL, its positional parameters, each result column's processor."""
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            if not compiled.positional:
                raise ValueError("a prepared read takes positional parameters")
            binds = compiled.binds
            parameters = [Parameter(
                name, binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                binds[name].expanding, REQUIRED if binds[name].required else binds[name].value)
                for name in compiled.positiontup or ()]
            results: list[Processor] = [
                c.type.dialect_impl(dialect).result_processor(dialect, None)
                for c in self.statement.selected_columns]
            found = (compiled.string, parameters, results)
            self._compiled[dialect.name] = found
        return found

    def expanded(self, dialect: Dialect, sql: str, lengths: dict[str, int]) -> str:
        """The SQL with each list parameter as that many positions."""
        key = (dialect.name, tuple(lengths.values()))
        found = self._expanded.get(key)
        if found is None:
            found = sql
            for name, length in lengths.items():
                found = found.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * length))
            self._expanded[key] = found
        return found
