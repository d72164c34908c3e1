"""``flask smattest compliance ...``: check the due-date table HR's pages read."""

from __future__ import annotations

import click

import smattest.due.check as due_check
import smattest.due.upkeep as due_upkeep

from .params import Group

#: Differences printed before "... and N more".
SHOWN = 50


@click.group("compliance", cls=Group)
def compliance_cli() -> None:
    """Check the due dates HR's pages count with against the evidence."""


@compliance_cli.command("check")
@click.option(
    "--rebuild", is_flag=True, help="Work the whole table out again from the evidence first."
)
def compliance_check(rebuild: bool) -> None:
    """Work out every active person's due dates again from the evidence and compare.

    Prints OK with the rows compared, or one line per difference (the first
    50) and exits with status 1. The table is a cache of the rule: after a
    difference is understood, --rebuild replaces it. Each check is recorded:
    while the newest found differences, HR's pages say so.
    """
    if rebuild:
        due_upkeep.rebuild_now()
    report = due_check.check()
    due_check.record(report)  # HR's banner follows the newest check
    if report.ok:
        click.echo(
            f"OK: {report.rows} due dates for {report.requirements} requirements "
            f"match the evidence on {report.day.isoformat()}."
        )
        return
    for difference in report.differences[:SHOWN]:
        click.echo(f"DIFFERENT: {difference}", err=True)
    more = len(report.differences) - SHOWN
    if more > 0:
        click.echo(f"... and {more} more.", err=True)
    raise SystemExit(1)
