"""``flask smattest policy audience`` and ``course audience``: who owes a policy or a course."""

from __future__ import annotations

import click

from ..publishing.audiences import AudienceError, build_audience, set_audience


def audience_command(kind: str) -> click.Command:
    """The ``audience`` command of the ``policy`` or ``course`` group."""

    @click.command(
        "audience",
        help=(
            f"Set who owes {kind} SLUG from today: --everyone, or anyone in any given "
            "--department or --group, minus anyone in an --except-group. Names are "
            "checked against the roster (departments and groups of active staff); the "
            "change is recorded with the audience before and after."
        ),
    )
    @click.argument("slug")
    @click.option("--everyone", is_flag=True, help="Everyone owes it (the default audience).")
    @click.option("--department", "departments", multiple=True, metavar="NAME",
                  help="A department whose people owe it; repeat for more.")  # fmt: skip
    @click.option("--group", "groups", multiple=True, metavar="NAME",
                  help="A roster group whose people owe it; repeat for more.")  # fmt: skip
    @click.option("--except-group", "except_groups", multiple=True, metavar="NAME",
                  help="A roster group left out even if included otherwise; repeat.")  # fmt: skip
    def command(
        slug: str,
        everyone: bool,
        departments: tuple[str, ...],
        groups: tuple[str, ...],
        except_groups: tuple[str, ...],
    ) -> None:
        if everyone and (departments or groups):
            raise click.UsageError("--everyone cannot be combined with --department or --group.")
        if not (everyone or departments or groups or except_groups):
            raise click.UsageError(
                "Say who owes it: --everyone, or --department / --group (and --except-group)."
            )
        try:
            audience = build_audience(departments, groups, except_groups)
            before, changed = set_audience(kind, slug, audience, actor="cli")
        except AudienceError as error:
            raise click.ClickException(f"Audience not changed: {error}") from None
        if not changed:
            click.echo(f"{kind} {slug} is already for {audience.describe()}: nothing changed.")
            return
        click.echo(f"{kind} {slug}: {before.describe()} -> {audience.describe()} (from today).")

    return command


__all__ = ["audience_command"]
