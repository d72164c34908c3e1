"""Click parameter types the subcommands share."""

from __future__ import annotations

import datetime as dt

import click


class ISODate(click.ParamType):
    """A date written YYYY-MM-DD, with a message that says so."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-01.")
