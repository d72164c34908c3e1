"""Click parameter types the subcommands share."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    _DateParamType = click.ParamType[dt.date, str | dt.date]
else:  # click's ParamType is generic for type checkers only (and not in older clicks)
    _DateParamType = click.ParamType


class ISODate(_DateParamType):
    """A date written YYYY-MM-DD, with a message that says so."""

    name = "YYYY-MM-DD"

    def convert(
        self, value: str | dt.date, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-01.")
