"""W3CDTF dates as the agents' XML schemas write them: a date is read, a date-time without seconds is
completed, an embargo year or month is closed, and a value that is not a date is refused (issue 13).

The CSIRO and ARDC schemas type their dates as the union of ``xs:gYear``, ``xs:gYearMonth``, ``xs:date``,
``xs:dateTime`` and two forms without seconds (``2011-10-05T08:00``, ``2011-10-05T08:00+00:00``). The graph
types a date by ``graph.date_literal``; the forms without seconds have no XSD type there, so ``:00`` seconds
are added (the same instant, ``_kernel.w3cdtf``) and the owner is told.
"""

from __future__ import annotations

import calendar
import re

from ..errors import InvalidRecord
from ._kernel import w3cdtf

__all__ = ["read_date", "embargo_end"]

_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d\d)")


def read_date(value: str, where: str, warnings: list[str]) -> str:
    """``value`` (read at ``where``, an element or attribute path) as a W3CDTF date the graph types;
    ``InvalidRecord`` when it is not a date."""
    date = w3cdtf(value)
    if date is None:
        raise InvalidRecord(
            f"{where}: {value!r} is not a date (a year 2020, year-month 2020-05, date 2020-05-17 "
            "or date-time 2020-05-17T10:00:00Z)"
        )
    if date != value.strip():
        warnings.append(f"{where}: date-time without seconds {value!r}; read as {date}")
    return date


def embargo_end(value: str) -> str:
    """The last day an embargo written as a year or a year-month covers (``2021`` → ``2021-12-31``); a date
    or date-time as written. An embargo runs to the end of the period it names."""
    if _YEAR.fullmatch(value):
        return f"{value}-12-31"
    m = _YEAR_MONTH.fullmatch(value)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        return f"{value}-{calendar.monthrange(year, month)[1]:02d}"
    return value
