"""``flask smattest evidence ...``: bring in evidence from before smattest."""

from __future__ import annotations

from typing import IO

import click
from flask.cli import AppGroup

import smattest.evidence.paper_era as paper_era


@click.group("evidence", cls=AppGroup)
def evidence_cli() -> None:
    """Bring in evidence from before smattest (paper forms, spreadsheets)."""


@evidence_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Check the whole file and import nothing.")
@click.option(
    "--actor",
    default="cli",
    show_default=True,
    help="Who is importing, recorded on every row (e.g. your user id in the intranet).",
)
def evidence_import(file: IO[bytes], dry_run: bool, actor: str) -> None:
    """Import past attestations and training completions from FILE (CSV, UTF-8).

    Columns: employee_id, kind (policy or course), slug, version, done_on
    (YYYY-MM-DD), source (where the paper record is, e.g. "paper form, box 12").
    Every line is checked first; any problem is listed with its line number and
    nothing is imported. Imported rows join the evidence chain with method
    'import' and count like any other evidence.
    """
    data = file.read()
    name = getattr(file, "name", "upload.csv")
    try:
        plan = (
            paper_era.plan_csv(data)
            if dry_run
            else paper_era.apply(data, actor=actor, filename=str(name), judged=False)
        )
    except paper_era.PaperEraError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        click.echo(f"Nothing was imported: {len(error.problems)} problems.", err=True)
        raise SystemExit(1) from None
    done = "Would import" if dry_run else "Imported"
    click.echo(
        f"{done} {plan.attestations} attestations and {plan.completions} training completions"
        f" from {name}{' (dry run: nothing was written)' if dry_run else ''}."
    )
