"""``flask smattest report ...``: status, evidence and trend exports as CSV."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

import smattest.evidence.export as evidence_export
import smattest.reports.exports as reports
import smattest.reports.trend as trend

from .params import Group, is_terminal

OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the CSV to this file (replaced only once complete); default: standard output.",
)


@click.group("report", cls=Group)
def report_cli() -> None:
    """Export status and evidence as CSV (UTF-8 with BOM), the same files as HR's Exports page."""


def _check_folder(output: Path | None) -> None:
    """Refuse before exporting (and logging) anything when the file cannot be written."""
    if output is None:
        return
    folder = output.resolve().parent
    if not folder.is_dir():
        raise click.ClickException(f"Cannot write {output}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK):
        raise click.ClickException(f"Cannot write {output}: the folder {folder} is not writable.")


def _write(export: reports.Export, output: Path | None, progress: bool = False) -> None:
    """Write ``export`` to standard output, or to ``output`` through a temporary file.

    The file appears under its name only when complete: a failed export
    leaves no half-written file (and an older file of that name untouched).
    """
    if output is None:
        sys.stdout.flush()
        stream = sys.stdout.buffer
        for chunk in export.chunks:
            stream.write(chunk.encode("utf-8"))
        stream.flush()
        return
    folder = output.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            if progress and export.total and is_terminal():
                with click.progressbar(
                    length=export.total, label="Exporting", file=sys.stderr
                ) as bar:
                    shown = 0
                    for chunk in export.chunks:
                        file.write(chunk.encode("utf-8"))
                        step = min(export.rows, export.total) - shown
                        bar.update(step)
                        shown += step
            else:
                for chunk in export.chunks:
                    file.write(chunk.encode("utf-8"))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@report_cli.command(
    "status", short_help="Everyone's status per policy and course, today or on a past day."
)
@click.option(
    "--as-of",
    metavar="YYYY-MM-DD",
    help="A past day: who was current then, from the evidence recorded by that day "
    "(default: today). The people listed are today's active roster.",
)
@OUTPUT
def report_status(as_of: str | None, output: Path | None) -> None:
    """Everyone's status for every policy and course: one row per person and requirement.

    \b
    Examples:
      flask smattest report status -o status.csv
      flask smattest report status --as-of 2026-01-31 -o status-january.csv
    """
    _check_folder(output)
    try:
        export = reports.status_export(as_of, actor="cli")
    except reports.ReportError as error:
        raise click.ClickException(str(error)) from None
    _write(export, output)
    if output is not None:
        click.echo(f"Wrote {export.rows} rows (status as of {export.as_of}) to {output}.")


@report_cli.command(
    "evidence", short_help="Every evidence row in chain order, then the chain head."
)
@OUTPUT
def report_evidence(output: Path | None) -> None:
    """Every signature and training completion in chain order, ending with the chain head.

    The last row (kind chain_head) holds the head's position and hash when the
    export began; compare it with 'flask smattest audit verify'.

    \b
    Example:
      flask smattest report evidence -o evidence.csv
    """
    _check_folder(output)
    try:
        export = evidence_export.evidence_export(actor="cli")
    except reports.ReportError as error:
        raise click.ClickException(str(error)) from None
    _write(export, output, progress=True)
    if output is not None:
        click.echo(f"Wrote {export.rows - 1} evidence rows and the chain head to {output}.")


@report_cli.command(
    "trend", short_help="The last 52 weeks per requirement: how many current, due soon, ..."
)
@click.option(
    "--all-days",
    is_flag=True,
    help="Work out every day of the past year not kept yet (what the scheduler's nightly "
    "trend job does) and write no CSV.",
)
@click.option(
    "--rework",
    is_flag=True,
    help="Work out the kept days again too, e.g. to count today's roster in past weeks.",
)
@OUTPUT
def report_trend(all_days: bool, rework: bool, output: Path | None) -> None:
    """Per requirement and week, the last 52 weeks ending today, as CSV.

    \b
    Columns: week_ending, requirement, slug, current, due_soon, overdue, exempt.
    The last row of each requirement is today, as the dashboard counts it;
    each past week is what 'report status --as-of' counted for that day when
    it was worked out. Past days are kept; the missing ones are worked out
    first (seconds each at 50,000 staff).

    \b
    Examples:
      flask smattest report trend -o trend.csv
      flask smattest report trend --all-days      # nightly, from cron
    """
    if all_days:
        done = trend.fill_year(rework=rework)
        click.echo(f"Worked out {done} day{'' if done == 1 else 's'} of the past year.")
        return
    _check_folder(output)
    if rework:
        trend.fill(rework=True)
    export = trend.trend_export(actor="cli")
    _write(export, output)
    if output is not None:
        click.echo(f"Wrote {export.rows} rows (52 weeks ending {export.as_of}) to {output}.")
