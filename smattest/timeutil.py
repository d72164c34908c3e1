"""Dates and times in the agency's time zone (``SMATTEST_TIMEZONE``)."""

from __future__ import annotations

import datetime as dt

from .db import utcnow
from .proxies import current_smattest


def local_now() -> dt.datetime:
    """Now, in the agency's time zone."""
    return utcnow().astimezone(current_smattest.timezone)


def local_today() -> dt.date:
    """Today's date where the agency is, not where the server is."""
    return local_now().date()


def to_local(moment: dt.datetime) -> dt.datetime:
    """``moment`` (timezone-aware) in the agency's time zone, for display."""
    return moment.astimezone(current_smattest.timezone)


#: Day formats HR may type: unambiguous ones only (06/07/2026 is June or July).
DAY_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y")


def parse_day(value: str) -> dt.date | None:
    """A day from text such as ``30 June 2026``, ``June 30, 2026`` or ``2026-06-30``."""
    text = " ".join(value.replace(".", " ").split())
    for format in DAY_FORMATS:
        try:
            return dt.datetime.strptime(text, format).date()
        except ValueError:
            continue
    return None


def example_day() -> dt.date:
    """The day HR's hints and messages show as an example: three months ahead, never past."""
    return local_today() + dt.timedelta(days=91)
