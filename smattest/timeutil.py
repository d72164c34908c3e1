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
