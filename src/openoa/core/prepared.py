"""Statements of the hottest paths, compiled once per dialect and run on the driver's cursor.

Executing a cached Core statement still costs ≈ 40 µs of Python on SQLite, the ORM's
``session.execute`` ≈ 100 µs; the statement itself ≈ 5 µs. A push is a handful of statements,
so the Messaging API's send path (B2) runs them through :class:`Prepared`: the same SQLAlchemy
statement, compiled by SQLAlchemy, its parameters and results converted by the column types'
own processors — only the per-execution machinery is skipped. Everything else uses the ORM.

On PostgreSQL an ``IN`` list is one array parameter (``= ANY(%(ids)b::INTEGER[])``) and
:class:`InsertRows` sends one array per column: psycopg parses a statement's placeholders in
Python and caches the result only for short statements with few parameters, so a list written
out as a hundred placeholders was parsed afresh on every run — half of a webhook worker's time (B3).
The arrays go in binary (``%(…)b``): psycopg's text form of a list cost six times as much to build.
"""

from __future__ import annotations

import re
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, FromClause
from sqlalchemy.sql.compiler import SQLCompiler

_EXPANDING = re.compile(r"(NOT IN |IN )?\(__\[POSTCOMPILE_(\w+)\]\)")

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    plan: tuple[tuple[str, Processor, bool], ...]  # (bind name, its converter, expanding) in parameter order
    results: tuple[Processor, ...]
    row: Any  # a namedtuple of the result columns' keys
    fixed: dict[str, Any]  # values the statement carries itself (literals in ``in_((...))``)
    expanding: tuple[str, ...]
    by_counts: dict[tuple[int, ...], str]  # the SQL per lengths of the IN lists
    arrays: bool  # IN lists are bound as one array each (PostgreSQL)


class Prepared:
    """One Core statement, run by :meth:`rows`, :meth:`one`, :meth:`scalar`, :meth:`scalars` or
    :meth:`many` in the session's transaction. ``IN`` lists use ``bindparam(..., expanding=True)``."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compiled(self, dialect: Dialect) -> _Compiled:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            with self._lock:
                found = self._by_dialect.get(dialect.name) or self._compile(dialect)
                self._by_dialect[dialect.name] = found
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                 for name, bind in compiled.binds.items()}
        columns = getattr(self.statement, "selected_columns", None)
        if columns is None or not len(columns):
            columns = getattr(self.statement, "_returning", ()) or ()
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
        row = namedtuple("Row", [str(getattr(column, "key", None) or "_") for column in columns], rename=True)  # type: ignore[misc]
        expanding = tuple(name for name, bind in compiled.binds.items() if bind.expanding)
        fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        order = compiled.positiontup if compiled.positional else list(compiled.binds)
        plan = tuple((name, binds[name], name in expanding) for name in order or ())
        arrays = bool(expanding) and dialect.name == "postgresql" and not compiled.positional
        sql = compiled.string
        if arrays:
            # A bind on a foreign key built before its target table was known has no type: the
            # server infers the array's type from the column then.
            casts = {name: "" if compiled.binds[name].type._isnull
                     else f"::{dialect.type_compiler_instance.process(compiled.binds[name].type)}[]"
                     for name in expanding}
            sql = _EXPANDING.sub(lambda m: ("<> ALL" if (m.group(1) or "").startswith("NOT") else "= ANY")
                                 + f"(%({m.group(2)})b{casts[m.group(2)]})", sql)
        return _Compiled(sql, bool(compiled.positional), plan, results, row, fixed, expanding, {}, arrays)

    def _bound(self, compiled: _Compiled, given: Mapping[str, Any]) -> tuple[str, Any]:
        params = {**compiled.fixed, **given} if compiled.fixed else given
        if not compiled.expanding:
            if compiled.positional:
                return compiled.sql, [params[name] if convert is None else _value(params[name], convert)
                                      for name, convert, _ in compiled.plan]
            return compiled.sql, {name: params[name] if convert is None else _value(params[name], convert)
                                  for name, convert, _ in compiled.plan}
        if compiled.arrays:
            return compiled.sql, {name: [_value(one, convert) for one in params[name]] if expanding
                                  else _value(params[name], convert) for name, convert, expanding in compiled.plan}
        sql = _expanded(compiled, tuple(len(params[name]) for name in compiled.expanding))
        if compiled.positional:
            ordered: list[Any] = []
            for name, convert, expanding in compiled.plan:
                if expanding:
                    ordered.extend(_value(one, convert) for one in params[name])
                else:
                    ordered.append(_value(params[name], convert))
            return sql, ordered
        named: dict[str, Any] = {}
        for name, convert, expanding in compiled.plan:
            if expanding:
                named.update((f"{name}_{i}", _value(one, convert)) for i, one in enumerate(params[name]))
            else:
                named[name] = _value(params[name], convert)
        return sql, named

    def _cursor(self, session: Session, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        driver, dialect = _driver(session)
        compiled = self._compiled(dialect)
        sql, bound = self._bound(compiled, params)
        cursor = driver.cursor()
        _execute(dialect, cursor.execute, sql, bound)
        return cursor, compiled

    def rows(self, session: Session, **params: Any) -> list[Any]:
        """Every row (named tuples), its values converted by the columns' types."""
        cursor, compiled = self._cursor(session, params)
        try:
            return [compiled.row._make(_converted(row, compiled.results)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def one(self, session: Session, **params: Any) -> Any:
        """The only row (LookupError when there is none)."""
        found = self.rows(session, **params)
        if len(found) != 1:
            raise LookupError(f"expected one row, got {len(found)}")
        return found[0]

    def scalar(self, session: Session, **params: Any) -> Any:
        """The first column of the first row, or None when there is no row."""
        found = self.rows(session, **params)
        return found[0][0] if found else None

    def scalars(self, session: Session, **params: Any) -> list[Any]:
        """The first column of every row."""
        return [row[0] for row in self.rows(session, **params)]

    def run(self, session: Session, **params: Any) -> int:
        """Run a statement that returns no rows (UPDATE, DELETE); answers the rows it changed."""
        cursor, _ = self._cursor(session, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


# SQLite's bound-parameter ceiling (SQLITE_MAX_VARIABLE_NUMBER since 3.32): a longer list of
# rows goes in several statements.
SQLITE_MAX_PARAMETERS = 32_766


class InsertRows:
    """Many rows into one table, one statement however many: multi-row ``VALUES`` on SQLite, one
    array per column through ``unnest`` on PostgreSQL. Every row gives every column of ``columns``,
    converted by the column's type; nothing is returned."""

    def __init__(self, table: FromClause, columns: Sequence[str]) -> None:
        self.table = cast(Table, table)  # a model's __table__, typed as the wider FromClause
        self.columns = tuple(columns)
        self._by_dialect: dict[str, tuple[str, tuple[Processor, ...]]] = {}
        self._values_sql: dict[int, str] = {}

    def _compiled(self, dialect: Dialect) -> tuple[str, tuple[Processor, ...]]:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            quote = dialect.identifier_preparer.quote
            columns = [self.table.c[name] for name in self.columns]
            head = (f"INSERT INTO {dialect.identifier_preparer.format_table(self.table)} "
                    f"({', '.join(quote(c.name) for c in columns)})")
            if dialect.name == "postgresql":
                arrays = ", ".join(f"%({c.name})b::{dialect.type_compiler_instance.process(c.type)}[]"
                                   for c in columns)
                # Names and types come from the table's own metadata, never from a caller.
                head += f" SELECT * FROM unnest({arrays})"  # noqa: S608
            found = (head, tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns))
            self._by_dialect[dialect.name] = found
        return found

    def run(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write ``rows`` in the session's transaction (no statement when there are none)."""
        if not rows:
            return
        driver, dialect = _driver(session)
        head, processors = self._compiled(dialect)
        plan = tuple(zip(self.columns, processors, strict=True))
        cursor = driver.cursor()
        try:
            if dialect.name == "postgresql":
                _execute(dialect, cursor.execute, head, {
                    name: [_value(row[name], convert) for row in rows] for name, convert in plan})
                return
            if dialect.paramstyle != "qmark":
                raise NotImplementedError(f"InsertRows speaks qmark or PostgreSQL, not {dialect.paramstyle}")
            step = max(1, SQLITE_MAX_PARAMETERS // len(plan))
            for start in range(0, len(rows), step):
                chunk = rows[start:start + step]
                _execute(dialect, cursor.execute, self._values(head, len(chunk)),
                         [_value(row[name], convert) for row in chunk for name, convert in plan])
        finally:
            cursor.close()

    def _values(self, head: str, count: int) -> str:
        found = self._values_sql.get(count)
        if found is None:
            one = "(" + ", ".join("?" for _ in self.columns) + ")"
            found = f"{head} VALUES {', '.join(one for _ in range(count))}"
            if len(self._values_sql) < 1000:
                self._values_sql[count] = found
        return found


def _expanded(compiled: _Compiled, counts: tuple[int, ...]) -> str:
    """The SQL with each ``IN`` list written out for these lengths (cached: lists repeat)."""
    found = compiled.by_counts.get(counts)
    if found is None:
        length = dict(zip(compiled.expanding, counts, strict=True))
        mark = "?" if compiled.positional else "%({})s"

        def written(match: re.Match[str]) -> str:
            operator, name = match.group(1) or "", match.group(2)
            # SQLite takes an empty list (IN () matches nothing, NOT IN () everything).
            return operator + "(" + ", ".join(mark.format(f"{name}_{i}") for i in range(length[name])) + ")"

        found = _EXPANDING.sub(written, compiled.sql)
        if len(compiled.by_counts) < 1000:
            compiled.by_counts[counts] = found
    return found


_DRIVER_KEY = "openoa_prepared_driver"


def _driver(session: Session) -> tuple[Any, Dialect]:
    """The driver's connection of the session's innermost transaction (asking the session each
    time costs more than a statement), after writing what the ORM holds back.

    Keyed by the innermost transaction: ``begin_nested()`` emits its SAVEPOINT only when the
    session is next asked for its connection, so a new savepoint must ask again.
    """
    session.flush()
    transaction = session.get_nested_transaction() or session.get_transaction()
    cached = session.info.get(_DRIVER_KEY)
    if cached is not None and transaction is not None and cached[0] is transaction:
        return cached[1], cached[2]
    connection = session.connection()
    innermost = session.get_nested_transaction() or session.get_transaction()
    session.info[_DRIVER_KEY] = (innermost, connection.connection.driver_connection, connection.dialect)
    return connection.connection.driver_connection, connection.dialect


def _value(raw: Any, convert: Processor) -> Any:
    # Processors take None themselves (a JSON column stores None as JSON null, as the ORM does).
    return raw if convert is None else convert(raw)


def _execute(dialect: Dialect, run: Callable[[str, Any], Any], sql: str, bound: Any) -> None:
    try:
        run(sql, bound)
    except dialect.loaded_dbapi.Error as exc:
        # Callers catch SQLAlchemy's exceptions (IntegrityError …), as for any other statement.
        raise DBAPIError.instance(sql, bound, exc, dialect.loaded_dbapi.Error) from exc


def _converted(row: Sequence[Any], processors: tuple[Processor, ...]) -> Iterable[Any]:
    return (value if convert is None else convert(value) for value, convert in zip(row, processors, strict=True))
