"""The UTC calendar day of a stored timestamp, in SQL, on either database.

PostgreSQL's ``date()`` of a ``timestamptz`` follows the session's time zone, so the value
is moved to UTC first; SQLite stores UTC text without a zone and takes its date as it is."""

from datetime import date, datetime

from sqlalchemy import ColumnElement, SQLColumnExpression, func


def day_of(column: SQLColumnExpression[datetime], dialect: str) -> ColumnElement[date]:
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)
