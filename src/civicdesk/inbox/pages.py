"""One page of the inbox at a time, read from where the last page ended.

A page link names the entry it starts after ("older") or before ("newer") by its place in the
order: ``priority.microseconds.id`` ("most urgent first") or ``microseconds.id`` ("newest
first"), the time since 1970 in UTC. Each branch of the view (civicdesk.inbox.listing) is asked
for its first rows past that place, as one comparison of the ordering columns the index answers,
so a page deep in the backlog costs what the first page costs. The database never sorts: the
branches' rows arrive in order and are merged here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from .listing import COUNT_CAP, EACH, View, branches
from .models import Entry

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadPlace(ValueError):
    """A page link that names no place in this order: edited, cut short, or from another sort."""


@dataclass(frozen=True)
class Place:
    """Where an entry stands in the order: the values of ``View.order`` for it."""

    values: tuple[Any, ...]

    @classmethod
    def of(cls, entry: Entry, view: View) -> Place:
        if view.by_urgency:
            return cls((-entry.priority, entry.received_at, entry.pk))
        return cls((entry.received_at, entry.pk))

    @classmethod
    def parse(cls, text: str, view: View) -> Place:
        parts = text.split(".")
        if len(parts) != len(view.order) or not all(p.isdigit() and len(p) <= 18 for p in parts):
            raise BadPlace(text)
        numbers = [int(p) for p in parts]
        try:
            received_at = EPOCH + timedelta(microseconds=numbers[-2])
        except OverflowError as exc:
            raise BadPlace(text) from exc
        if view.by_urgency:
            return cls((-numbers[0], received_at, numbers[2]))
        return cls((received_at, numbers[1]))

    def __str__(self) -> str:
        *urgency, received_at, pk = self.values
        micro = (received_at - EPOCH) // timedelta(microseconds=1)
        return ".".join(str(n) for n in [*(-u for u in urgency), micro, pk])


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    newer: Place | None  # the newer page starts before this place; None on the first page
    older: Place | None  # the older page starts after this place; None on the last page


def page_of(
    view: View,
    *,
    older_than: Place | None = None,
    newer_than: Place | None = None,
    oldest: bool = False,
    size: int,
    related: Sequence[str] = (),
) -> Page:
    """The ``size`` entries after ``older_than``, or before ``newer_than``, or the oldest ones,
    or else the first ``size`` entries of the view; ``related`` is passed to select_related."""
    going_back = newer_than is not None or oldest
    rows = _first_rows(view, place=newer_than or older_than, going_back=going_back, size=size + 1)
    more = len(rows) > size
    rows = rows[:size]
    if going_back:
        rows.reverse()
    if not rows and (older_than or newer_than):
        # Everything past the link's place was closed meanwhile: the page at that end instead.
        return page_of(view, oldest=older_than is not None, size=size, related=related)
    listed = Entry.objects.select_related(*related).filter(pk__in=[row[-1] for row in rows])
    by_pk = {entry.pk: entry for entry in listed.order_by()}
    entries = [by_pk[row[-1]] for row in rows if row[-1] in by_pk]
    if not entries:
        return Page([], newer=None, older=None)
    first, last = Place.of(entries[0], view), Place.of(entries[-1], view)
    if going_back:
        return Page(entries, newer=first if more else None, older=None if oldest else last)
    return Page(
        entries, newer=first if older_than is not None else None, older=last if more else None
    )


def count(view: View) -> int:
    """How many entries the view lists, counting no further than ``COUNT_CAP`` + 1."""
    parts = _compiled(view, lambda entries: entries.order_by().values("id"))
    if not parts:
        return 0
    union, params = _union(parts)
    with connection.cursor() as cursor:
        capped = f"SELECT COUNT(*) FROM ({union} LIMIT %s) AS capped"  # noqa: S608 - as above
        cursor.execute(capped, [*params, COUNT_CAP + 1])
        return int(cursor.fetchone()[0])


def _first_rows(
    view: View, *, place: Place | None, going_back: bool, size: int
) -> list[tuple[Any, ...]]:
    """The first ``size`` rows of ``view.order`` past ``place``, in order (reversed if going
    back), each read from its branch's index and merged here."""
    columns = view.order
    ordering = columns if going_back else tuple(f"-{c}" for c in columns)

    def shape(entries: QuerySet[Entry]) -> QuerySet[Any]:
        if place is not None:
            entries = entries.filter(_past(columns, place, going_back))
        return entries.order_by(*ordering).values_list(*columns)[:size]

    parts = _compiled(view, shape)
    if not parts:
        return []
    union, params = _union(parts)
    with connection.cursor() as cursor:
        cursor.execute(union, params)
        rows = [tuple(row) for row in cursor.fetchall()]
    rows.sort(reverse=not going_back)
    return rows[:size]


def _past(columns: tuple[str, ...], place: Place, going_back: bool) -> Q:
    # One row-value comparison: both databases seek straight to it in an index whose next
    # columns are these (Django spells tuple comparisons out as ORs on SQLite, which they do not).
    table = connection.ops.quote_name(Entry._meta.db_table)
    names = ", ".join(f"{table}.{connection.ops.quote_name(c)}" for c in columns)
    marks = ", ".join("%s" for _ in columns)
    values = [
        connection.ops.adapt_datetimefield_value(v) if isinstance(v, datetime) else v
        for v in place.values
    ]
    sign = ">" if going_back else "<"
    # Column names of the model and placeholders only; the values are bound.
    return Q(RawSQL(f"({names}) {sign} ({marks})", values, output_field=BooleanField()))  # noqa: S611


def _compiled(
    view: View, shape: Callable[[QuerySet[Entry]], QuerySet[Any]]
) -> list[tuple[str, list[Any]]]:
    """SQL and parameters of each branch of the view, shaped into the query to run."""
    parts = []
    for branch in branches(view):
        sql, params = shape(Entry.objects.filter(branch.condition)).query.sql_with_params()
        if branch.each is None:
            parts.append((sql, list(params)))
            continue
        places = {
            n: EACH.index(p) for n, p in enumerate(params) if isinstance(p, int) and p in EACH
        }
        for values in branch.each:
            parts.append(
                (sql, [values[places[n]] if n in places else p for n, p in enumerate(params)])
            )
    return parts


def _union(parts: Sequence[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    """The queries one after another (UNION ALL), each keeping its own ORDER BY and LIMIT."""
    sqls: list[str] = []
    params: list[Any] = []
    for n, (sql, part_params) in enumerate(parts):
        sqls.append(f"SELECT * FROM ({sql}) AS b{n}")  # noqa: S608 - compiled by Django
        params.extend(part_params)
    return " UNION ALL ".join(sqls), params
