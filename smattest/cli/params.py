"""Click parameter types the subcommands share."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from flask.cli import AppGroup

from ..i18n import SOURCE_LANGUAGE, in_language

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


class Group(AppGroup):
    """An ``AppGroup`` whose command list shows each command's first sentence whole.

    Click cuts it to what fits on one line, with "...": the formatter wraps
    long lines anyway, so nothing needs cutting.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command in English: the CLI is IT's, and the services' refusals it
        prints are in smattest's domain (a mail still goes out in its recipient's language)."""
        with in_language(SOURCE_LANGUAGE):
            return super().invoke(ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is None or command.hidden:
                continue
            rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 problem', '6 problems', '1 reply', '2 replies' (``many`` when not word + s)."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def echo_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Rows in aligned columns under a header, for people reading a terminal."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


def is_terminal() -> bool:
    """Whether a person watches stderr: progress bars there, never in a cron log."""
    return sys.stderr.isatty()


def database_refused(what: str, error: Exception) -> click.ClickException:
    """One line for a database that would not answer or be written (read-only, gone, full).

    A traceback tells the operator nothing they can act on; the driver's own
    words, on one line, and where to look, do.
    """
    orig = getattr(error, "orig", None) or error
    words = " ".join(str(orig).split())[:200]
    return click.ClickException(
        f"{what}: the database refused the outbox's changes ({words}). Check that it is "
        "writable (file permissions, a read-only replica or mount, a full disk) and run again."
    )
