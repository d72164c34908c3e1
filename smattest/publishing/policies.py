"""Publishing policy versions. A published version is never changed afterwards."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.exc import IntegrityError

import smattest.markdown as markdown
import smattest.text as text_rules

from ..i18n import gettext
from ..models import HREvent, Policy, PolicyVersion, Staff
from ..proxies import current_smattest
from ..timeutil import local_today

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class PolicyError(ValueError):
    """A policy or version cannot be published as asked; the message says why, in the
    reader's language (HR's pages); the CLI runs in English."""


def text_sha256(text: str) -> str:
    """The SHA-256 of a policy text as stored (UTF-8): what a signature is bound to."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_policy(slug: str, *, with_versions: bool = False) -> Policy | None:
    """The policy with ``slug``, or None.

    ``with_versions`` loads its versions and their withdrawals in the same
    statement, for a caller about to ask :func:`version_in_force` (one round
    trip instead of three).
    """
    query = sa.select(Policy).where(Policy.slug == slug)
    if with_versions:
        query = query.options(orm.joinedload(Policy.versions).joinedload(PolicyVersion.withdrawal))
    return current_smattest.db.session.scalars(query).unique().one_or_none()


def get_version(slug: str, number: int) -> PolicyVersion | None:
    """Version ``number`` of the policy with ``slug``, or None."""
    return current_smattest.db.session.scalar(
        sa.select(PolicyVersion)
        .join(Policy, Policy.id == PolicyVersion.policy_id)
        .where(Policy.slug == slug, PolicyVersion.number == number)
    )


def latest_version(policy: Policy) -> PolicyVersion | None:
    """The newest published version of ``policy``."""
    return policy.versions[-1] if policy.versions else None


def version_in_force(policy: Policy) -> PolicyVersion | None:
    """The newest version of ``policy`` whose effective date has come (never a withdrawn one)."""
    today = local_today()
    in_force = [v for v in policy.versions if v.effective_date <= today and v.withdrawal is None]
    return in_force[-1] if in_force else None


def scheduled_versions(policy: Policy) -> list[PolicyVersion]:
    """Versions published to take effect after today and not withdrawn, soonest first."""
    today = local_today()
    return [v for v in policy.versions if v.effective_date > today and v.withdrawal is None]


def normalise_text(text: str) -> str:
    """``text`` as stored and hashed: LF line ends, no outer blank space, one final newline."""
    return text.replace("\r\n", "\n").strip() + "\n"


#: The longest source a past version may name.
MAX_SOURCE = 500


def historical_problem(
    source: str,
    effective: dt.date | None,
    existing: list[tuple[int, dt.date, str | None]],
    *,
    course: bool = False,
) -> str | None:
    """Why a past version cannot be recorded (None: it can).

    ``existing`` lists the policy's or course's versions (``course``) as (number,
    effective day, historical source). A past version needs a source and a day before
    today; it must come before today's version and after every past version already
    recorded: past versions are recorded oldest first.
    """
    if not source:
        return gettext("a past version needs its source, e.g. 'staff handbook 2019, HR file 12'.")
    if len(source) > MAX_SOURCE:
        return gettext(
            "the source is %(length)s characters long; keep it to %(most)s at most.",
            length=len(source),
            most=MAX_SOURCE,
        )
    if hidden := text_rules.problem(gettext("The source"), source):
        return hidden
    today = local_today()
    if effective is None or effective >= today:
        values = {"today": today.isoformat(), "given": effective.isoformat() if effective else ""}
        if effective is None:
            return (
                gettext(
                    "a past course version needs the day it took effect, before today "
                    "(%(today)s); the effective date given is none.",
                    **values,
                )
                if course
                else gettext(
                    "a past version needs the day it took effect, before today (%(today)s); "
                    "the effective date given is none.",
                    **values,
                )
            )
        return (
            gettext(
                "a past course version needs the day it took effect, before today "
                "(%(today)s); the effective date given is %(given)s.",
                **values,
            )
            if course
            else gettext(
                "a past version needs the day it took effect, before today (%(today)s); the "
                "effective date given is %(given)s.",
                **values,
            )
        )
    current = [(n, day) for n, day, was in existing if was is None]
    if current:
        number, day = current[0]
        values = {"number": str(number), "day": day.isoformat()}
        return (
            gettext(
                "course version %(number)s was recorded in smattest (in force from %(day)s), "
                "so a past version can no longer be added before it. Record past versions "
                "first, oldest first, then the paper-era file, then today's version.",
                **values,
            )
            if course
            else gettext(
                "version %(number)s was recorded in smattest (in force from %(day)s), so a "
                "past version can no longer be added before it. Record past versions first, "
                "oldest first, then the paper-era file, then today's version.",
                **values,
            )
        )
    later = [(n, day) for n, day, _ in existing if day >= effective]
    if later:
        number, day = later[-1]
        values = {"number": str(number), "day": day.isoformat(), "effective": effective.isoformat()}
        return (
            gettext(
                "past course version %(number)s took effect on %(day)s, not before "
                "%(effective)s: record past versions oldest first.",
                **values,
            )
            if course
            else gettext(
                "past version %(number)s took effect on %(day)s, not before %(effective)s: "
                "record past versions oldest first.",
                **values,
            )
        )
    return None


def publish(
    slug: str,
    title: str,
    text: str,
    summary: str,
    *,
    minor: bool = False,
    effective: dt.date | None = None,
    every_months: int | None = None,
    published_by: str | None = None,
    historical: str | None = None,
    chain: Callable[[PolicyVersion], None] | None = None,
    translate: Callable[[PolicyVersion], object] | None = None,
) -> PolicyVersion:
    """Publish ``text`` as the next version of policy ``slug``, creating the policy if new.

    A ``minor`` version needs no re-attestation; the first version never is.
    ``effective`` defaults to today in ``SMATTEST_TIMEZONE``. Raises
    :class:`PolicyError` with a clear message and records nothing on bad input.

    ``historical`` records a version that was in force before smattest, taken from
    that source ("the 2019 staff handbook"): its ``effective`` day is in the past,
    and it must be newer than every version the policy has, each of them
    historical too (past versions oldest first, before today's version), so that
    the paper era can then be imported against it (:func:`historical_problem`).
    ``chain`` (:func:`smattest.evidence.chain.chain_past_version`, required with
    ``historical``) puts such a version in the evidence chain in the same transaction.
    ``translate``, when given, is called with the new version before the commit: it
    adds the version's translations (:func:`smattest.publishing.translations.attach`),
    which commit with it or not at all.
    """
    if historical is not None and chain is None:
        raise ValueError("a past version is chained: pass chain=chain_past_version")
    session = current_smattest.db.session
    text = normalise_text(text)
    title = " ".join(title.split())
    summary = summary.strip()
    if not SLUG.match(slug or ""):
        raise PolicyError(
            gettext(
                "slug %(slug)s is not valid: use lower-case letters, digits and single "
                "hyphens, e.g. 'social-media'.",
                slug=repr(slug),
            )
        )
    if not title:
        raise PolicyError(gettext("the title is empty."))
    if not text.strip():
        raise PolicyError(gettext("the policy text is empty."))
    if not summary:
        raise PolicyError(
            gettext("the change summary is empty: say in a sentence what this version is.")
        )
    hidden = (
        text_rules.problem(gettext("The title"), title)
        or text_rules.problem(gettext("The change summary"), summary, multiline=True)
        or text_rules.markdown_problem(gettext("The policy text (outside code)"), text)
    )
    if hidden:
        raise PolicyError(hidden)
    if every_months is not None and not 1 <= every_months <= 120:
        raise PolicyError(
            gettext("every_months must be between 1 and 120, not %(months)s.", months=every_months)
        )

    policy = get_policy(slug)
    previous = latest_version(policy) if policy else None
    if historical is not None:
        historical = " ".join(historical.split())
        problem = historical_problem(
            historical, effective, [(v.number, v.effective_date, v.historical_source)
                                    for v in (policy.versions if policy else [])]
        )  # fmt: skip
        if problem:
            raise PolicyError(problem)
    effective = effective or local_today()
    if previous is None and minor:
        raise PolicyError(
            gettext("the first version of a policy cannot be minor: everyone must attest.")
        )
    if previous is not None:
        if previous.text_sha256 == text_sha256(text):
            raise PolicyError(
                gettext(
                    "the text is the same as version %(number)s: nothing to publish.",
                    number=previous.number,
                )
            )
        standing = [v for v in policy.versions if v.withdrawal is None] if policy else []
        if standing and effective < standing[-1].effective_date:
            raise PolicyError(
                gettext(
                    "the effective date %(day)s is before version %(number)s's (%(since)s).",
                    day=effective.isoformat(),
                    number=standing[-1].number,
                    since=standing[-1].effective_date.isoformat(),
                )
            )
    if policy is None:
        policy = Policy(slug=slug, title=title, every_months=every_months or 12)
        session.add(policy)
    if policy.owner_email is None and published_by:
        # The owner defaults to the publisher (someone on the roster; not the CLI).
        policy.owner_email = session.scalar(
            sa.select(Staff.email).where(Staff.external_id == published_by)
        )
    else:
        policy.title = title
        if every_months is not None:
            policy.every_months = every_months
    version = PolicyVersion(
        policy=policy,
        number=previous.number + 1 if previous else 1,
        body_markdown=text,
        body_html=markdown.render(text),
        text_sha256=text_sha256(text),
        summary=summary,
        requires_reattestation=not minor,
        effective_date=effective,
        published_by=published_by,
        historical_source=historical,
    )
    session.add(version)
    if historical is not None:
        # HR's log says who recorded a version after the fact, when, and from what.
        session.add(
            HREvent(
                actor=published_by or "cli",
                action="version.historical",
                detail=f"{slug} version {version.number}, in force from "
                f"{effective.isoformat()}, recorded from {historical}",
            )
        )
        assert chain is not None
        chain(version)
    if translate is not None:
        translate(version)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise PolicyError(
            gettext(
                "another version of %(slug)s was published at the same moment; nothing was "
                "recorded, try again.",
                slug=repr(slug),
            )
        ) from None
    return version
