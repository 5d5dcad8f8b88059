"""Small-count suppression: no public statistic may single out a person.

Which statistics count people (and so are suppressed): dossiers (each filed by an applicant), complaints and
denunciations (each filed by a complainant or denouncer), students, and the students in each learning-result
rating. Statistics of things are not suppressed: parking spaces and vehicles parked, stations and readings,
procedures and fees.

The rules, applied to every count of people the public schema publishes:

1. Primary: a count from 1 to ``MIN_COUNT - 1`` (fewer than 5 people) is published as ``null`` with
   ``suppressed: true``. Zero is published: it describes nobody.
2. Complement: a count that is a part of a cell (online dossiers of the received ones, overdue cases of a cell)
   is suppressed when the rest of the cell is 1-4, since subtracting would reveal that small group ("all but 2
   were online"). When the cell's own total is suppressed, every part of it is too.
3. Derived figures (shares, averages) are suppressed when any count they are computed from is.
4. Secondary: when exactly one figure of an answer's list (the rows of a grouping, the buckets of a
   distribution) is suppressed, the smallest other non-zero figure is suppressed as well, so that the hidden one
   cannot be recovered by subtracting the others from the published total.

What these rules do not prevent, and callers should know: differencing between answers to *different*
filters (for example two month ranges that differ by one month). Published statistics are aggregates over
at least a month and one unit or procedure; do not add finer filters to this schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

MIN_COUNT = 5
"""Counts of people below this (and above zero) are suppressed."""


def too_small(n: int) -> bool:
    """True for a count of 1-4 people."""
    return 0 < n < MIN_COUNT


@strawberry.type(
    description="A count of people (or of what people filed), with small-count suppression: 1 to 4 is published "
    "as `value: null, suppressed: true` so that no statistic identifies a person. Zero is published."
)
class Count:
    value: int | None = strawberry.field(description="The count; null when suppressed.")
    suppressed: bool = strawberry.field(
        description="True when the count was withheld: it is 1-4, or would reveal a count of 1-4 by subtraction."
    )

    @classmethod
    def of(cls, n: int, hidden: bool) -> Count:
        return cls(value=None if hidden else n, suppressed=hidden)


@strawberry.type(description="A share (0 to 1) computed from counts of people; suppressed with those counts.")
class Share:
    value: float | None = strawberry.field(
        description="The share, 0 to 1, rounded to 4 decimals; null when suppressed or when the total is 0."
    )
    suppressed: bool = strawberry.field(description="True when a count it is computed from is suppressed.")

    @classmethod
    def of(cls, part: int, whole: int, hidden: bool) -> Share:
        if hidden:
            return cls(value=None, suppressed=True)
        return cls(value=round(part / whole, 4) if whole else None, suppressed=False)


@strawberry.type(description="An average over people (e.g. students' scores); suppressed when fewer than 5 count.")
class Average:
    value: float | None = strawberry.field(
        description="The average, rounded to 2 decimals; null when suppressed or when nobody counts."
    )
    suppressed: bool = strawberry.field(description="True when it is computed over 1-4 people.")

    @classmethod
    def of(cls, total: float, n: int) -> Average:
        if too_small(n):
            return cls(value=None, suppressed=True)
        return cls(value=round(total / n, 2) if n else None, suppressed=False)


def part_hidden(part: int, whole: int, whole_hidden: bool) -> bool:
    """Rules 1 and 2 for a part of a cell: small itself, small complement, or its cell hidden."""
    return whole_hidden or too_small(part) or too_small(whole - part)


def secondary(values: Sequence[int], hidden: list[bool]) -> list[bool]:
    """Rule 4 on one list of figures that add up to a published total: never exactly one hidden.

    ``hidden`` holds the primary decisions; returns the final ones (a new list)."""
    out = list(hidden)
    if sum(out) != 1:
        return out
    candidates = [(v, i) for i, v in enumerate(values) if not out[i] and v > 0]
    if candidates:
        out[min(candidates)[1]] = True
    return out
