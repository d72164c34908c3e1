"""``flask smattest policy ...``: publish policy versions and list policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import sqlalchemy as sa

import smattest.drafts as drafts

from ..evidence.chain import chain_past_version, chain_translations
from ..models import POLICY, Policy
from ..proxies import current_smattest
from ..publishing.audiences import audiences_of
from ..publishing.policies import PolicyError, publish, scheduled_versions, version_in_force
from ..publishing.translations import add_translation, attach, checked, translations_of
from ..timeutil import local_today
from .audience import audience_command
from .lifecycle import retire_command, withdraw_command
from .params import Group, ISODate, echo_table


@click.group("policy", cls=Group)
def policy_cli() -> None:
    """Publish policy versions and list policies."""


@policy_cli.command("publish")
@click.option("--slug", required=True, help="The policy's short name in URLs, e.g. social-media.")
@click.option("--title", required=True, help="The policy's title, e.g. 'Social Media Policy'.")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The policy text in Markdown (UTF-8).",
)
@click.option("--summary", required=True, help="One sentence on what this version changes.")
@click.option("--minor", is_flag=True, help="A minor edit: nobody has to sign again.")
@click.option("--effective", type=ISODate(), help="The day it takes effect (default: today).")
@click.option(
    "--every-months",
    type=click.IntRange(1, 120),
    help="How long a signature keeps a person current (default 12).",
)
@click.option(
    "--historical",
    metavar="SOURCE",
    help="Record a version that was in force before smattest, from SOURCE (e.g. 'staff "
    "handbook 2019, HR file 12'), with --effective the past day it took effect. Past "
    "versions go first, oldest first; then 'evidence import', then today's version.",
)
@click.option(
    "--translation",
    "translation_files",
    multiple=True,
    metavar="LANG=FILE",
    help="The text in another language, e.g. es=politica.md (Markdown, UTF-8); repeatable. "
    "Each is hashed and chained with the version; readers choose the language they sign in.",
)
def policy_publish(
    path: Path,
    slug: str,
    title: str,
    summary: str,
    minor: bool,
    effective: dt.date | None,
    every_months: int | None,
    historical: str | None,
    translation_files: tuple[str, ...],
) -> None:
    """Publish FILE as the next version of policy SLUG (creating the policy if new).

    \b
    With SMATTEST_PUBLISH_APPROVALS above 0 a version needs approvals from HR
    users other than its author, so this command refuses: publish from a draft
    instead ('policy drafts', 'policy approve', 'policy publish-draft').
    """
    required = drafts.approvals_required()
    if required:
        needed = "1 approval" if required == 1 else f"{required} approvals"
        raise click.ClickException(
            f"Nothing published: SMATTEST_PUBLISH_APPROVALS is {required}, so a new version "
            f"needs {needed} from HR users other than its author, and this command publishes "
            "alone. Write the text as a draft on HR's Policies page, have it approved there "
            "(or with 'flask smattest policy approve DRAFT --actor ID'), then publish it from "
            "the draft's preview page or with 'flask smattest policy publish-draft DRAFT "
            "--actor ID'. 'flask smattest policy drafts' lists the open drafts."
        )
    if historical is None and effective is not None and effective < local_today():
        raise click.ClickException(
            f"Nothing published: the effective date {effective.isoformat()} is in the past; "
            "a new version takes effect today or later (a version in force before smattest: "
            "add --historical SOURCE)."
        )
    text = _read(path)
    try:
        translations = checked([_translation(given) for given in translation_files], text)
        version = publish(
            slug, title, text, summary, minor=minor, effective=effective,
            every_months=every_months, published_by="cli", historical=historical,
            chain=chain_past_version,
            translate=lambda v: attach(v, translations, "cli", chain_translations),
        )  # fmt: skip
    except PolicyError as error:
        raise click.ClickException(f"Nothing published: {error}") from None
    if version.historical_source is not None:
        click.echo(
            f"Recorded past version {version.number} of {slug}, in force from "
            f"{version.effective_date.isoformat()}, from {version.historical_source}."
        )
        click.echo(f"SHA-256 {version.text_sha256}")
        return
    kind = "minor: nobody has to sign again" if minor else "material: everyone must sign it"
    click.echo(f"Published {slug} version {version.number} ({kind}),")
    click.echo(f"in force from {version.effective_date.isoformat()}.")
    click.echo(f"SHA-256 {version.text_sha256}")
    for translation in translations_of(version):
        click.echo(f"SHA-256 {translation.text_sha256} ({translation.language} translation)")


def _read(path: Path) -> str:
    """A text file's contents as UTF-8, or a message naming the file."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(
            f"Nothing published: {path} is not UTF-8 text (byte {error.start}): save it as "
            "UTF-8 and try again."
        ) from None
    except OSError as error:
        raise click.ClickException(
            f"Nothing published: cannot read {path}: {error.strerror or error}."
        ) from None


def _translation(given: str) -> tuple[str, str]:
    """``--translation LANG=FILE`` as (the language given, the file's text)."""
    language, equals, name = given.partition("=")
    if not equals or not language.strip() or not name.strip():
        raise click.ClickException(
            f"Nothing published: --translation {given!r} is not LANG=FILE, e.g. es=politica.md."
        )
    path = Path(name.strip())
    if not path.is_file():
        raise click.ClickException(
            f"Nothing published: the {language.strip()} translation's file {name.strip()} "
            "does not exist."
        )
    return language.strip(), _read(path)


@policy_cli.command("translate")
@click.option("--slug", required=True, help="The policy's short name, e.g. social-media.")
@click.option("--version", "number", required=True, type=int, help="The version's number.")
@click.option("--language", required=True, help="The translation's language, e.g. es.")
@click.option(
    "--file",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The translated text in Markdown (UTF-8).",
)
def policy_translate(slug: str, number: int, language: str, path: Path) -> None:
    """Add a translation to a version already published.

    \b
    Nobody owes anything new: no due date moves and no announcement goes out.
    The translation is hashed and chained; a published translation never changes.
    """
    try:
        translation = add_translation(
            slug, number, language, _read(path), added_by="cli", chain=chain_translations
        )
    except PolicyError as error:
        raise click.ClickException(f"Nothing published: {error}") from None
    click.echo(f"Added the {translation.language} translation of {slug} version {number}.")
    click.echo(f"SHA-256 {translation.text_sha256}")


@policy_cli.command("list")
def policy_list() -> None:
    """List every policy: the version in force today, any scheduled after it, and who owes it."""
    policies = current_smattest.db.session.scalars(sa.select(Policy).order_by(Policy.slug)).all()
    audiences = audiences_of(POLICY)
    if not policies:
        click.echo("No policies yet: publish one with 'flask smattest policy publish'.")
        return
    rows = []
    for policy in policies:
        in_force = version_in_force(policy)
        later = scheduled_versions(policy)
        rows.append((
            policy.slug,
            policy.title,
            f"version {in_force.number} since {in_force.effective_date.isoformat()}"
            if in_force else "none yet",
            ", ".join(f"version {v.number} from {v.effective_date.isoformat()}" for v in later)
            or "none",
            in_force.text_sha256[:12] if in_force else "",
            audiences[policy.id].describe() if policy.id in audiences else "everyone",
        ))  # fmt: skip
    echo_table(("SLUG", "TITLE", "IN FORCE", "SCHEDULED", "SHA-256 (IN FORCE)", "FOR"), rows)


policy_cli.add_command(audience_command(POLICY))
policy_cli.add_command(retire_command(POLICY))
policy_cli.add_command(withdraw_command)


@policy_cli.command("drafts")
def policy_drafts() -> None:
    """List HR's open drafts with their approvals (SMATTEST_PUBLISH_APPROVALS)."""
    by_policy, new = drafts.open_drafts()
    open_ = sorted([*by_policy.values(), *new], key=lambda d: d.id)
    if not open_:
        click.echo("No open drafts: HR writes them on the Policies page.")
        return
    required = drafts.approvals_required()
    rows = []
    for draft in open_:
        state = drafts.approval_state(draft)
        names = drafts.names_of(drafts.authors_of(draft))
        rows.append((
            str(draft.id),
            drafts.draft_slug(draft),
            str(drafts.next_number(draft)),
            ", ".join(f"{names.get(a, 'HR user')} ({a})" for a in sorted(drafts.authors_of(draft))),
            f"{len(state.approvals)} of {required}"
            + (": " + ", ".join(a.approver for a in state.approvals) if state.approvals else ""),
        ))  # fmt: skip
    echo_table(("DRAFT", "SLUG", "VERSION", "AUTHOR", "APPROVALS"), rows)


def _person(actor: str) -> str:
    actor = actor.strip()
    if drafts.known_person(actor) is None:
        raise click.ClickException(
            f"Nothing recorded: nobody active on the roster has the id {actor!r}. Give the HR "
            "user's id as the intranet signs them in (SMATTEST_USER_ID)."
        )
    return actor


@policy_cli.command("approve")
@click.argument("draft_id", metavar="DRAFT", type=int)
@click.option(
    "--actor",
    required=True,
    help="The approving HR user's id (SMATTEST_USER_ID); not the draft's author.",
)
@click.option("--comment", default="", help="A comment kept with the approval in HR's log.")
def policy_approve(draft_id: int, actor: str, comment: str) -> None:
    """Approve open draft DRAFT, as it is now, on behalf of HR user --actor.

    \b
    For workflows where IT records an approval given elsewhere (a ticket, a
    signed memo): the approval is recorded as --actor's, in HR's log, and
    counts towards SMATTEST_PUBLISH_APPROVALS like one given on the draft's
    page. The command cannot check the intranet's HR role: give only the id
    of an HR user. The draft's author cannot approve it; saving the draft
    again clears every approval.
    """
    actor = _person(actor)
    draft = drafts.get_draft(draft_id)
    if draft is None:
        raise click.ClickException(
            f"Nothing approved: there is no open draft #{draft_id} ('policy drafts' lists them)."
        )
    try:
        drafts.approve_draft(draft_id, drafts.revision(draft), actor=actor, comment=comment)
    except drafts.DraftError as error:
        raise click.ClickException(f"Nothing approved: {error}") from None
    state = drafts.approval_state(draft)
    click.echo(
        f"Approved draft #{draft_id} of {drafts.draft_slug(draft)} version "
        f"{drafts.next_number(draft)} as {actor}: {len(state.approvals)} of "
        f"{state.required} approvals needed."
    )


@policy_cli.command("publish-draft")
@click.argument("draft_id", metavar="DRAFT", type=int)
@click.option("--actor", required=True, help="Who publishes it (their SMATTEST_USER_ID).")
@click.option(
    "--every-months",
    type=click.IntRange(1, 120),
    help="For a new policy: how long a signature keeps a person current (default 12).",
)
def policy_publish_draft(draft_id: int, actor: str, every_months: int | None) -> None:
    """Publish open draft DRAFT as written and approved on HR's pages."""
    actor = _person(actor)
    draft = drafts.get_draft(draft_id)
    if draft is None:
        raise click.ClickException(
            f"Nothing published: there is no open draft #{draft_id} ('policy drafts' lists them)."
        )
    try:
        version = drafts.publish_draft(
            draft_id, drafts.revision(draft), actor=actor, every_months=every_months
        )
    except (drafts.DraftError, PolicyError) as error:
        raise click.ClickException(f"Nothing published: {error}") from None
    click.echo(
        f"Published {version.policy.slug} version {version.number}, in force from "
        f"{version.effective_date.isoformat()}."
    )
    click.echo(f"SHA-256 {version.text_sha256}")
