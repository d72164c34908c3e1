"""Who a signed-in person is to smattest: their lasting id, and the checks on first sight.

One person must stay one record whatever the host's login does. The id comes
from ``SMATTEST_USER_ID`` (default: ``user.get_id()``); a first visit under an
id smattest does not know, with the email of an active person it does know,
is refused and listed for HR instead of starting a second record; and a host
whose user object gives no name or email is reported once in the log and on
HR's pages, instead of being papered over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..models import Staff, UnlinkedSignIn
from ..proxies import current_smattest

log = logging.getLogger("smattest.people.identity")

#: The longest id smattest stores (``Staff.external_id``).
MAX_ID = 64


class IdentityError(ValueError):
    """The host gave an id smattest cannot link a person by."""


class UnlinkedIdentity(Exception):
    """A first visit under a new id carries the email of a person already on record.

    Nothing was created: HR can link the new id to that person's record.
    """

    def __init__(self, external_id: str, email: str) -> None:
        super().__init__(
            f"A first visit under id {external_id!r} has the email {email} of a person "
            "already on record under another id: refused, and listed for HR to link."
        )
        self.external_id = external_id
        self.email = email


def user_id(user: Any) -> str:
    """The lasting id of ``user``: ``SMATTEST_USER_ID(user)``, else ``user.get_id()``."""
    choose = current_app.config["SMATTEST_USER_ID"]
    source = "SMATTEST_USER_ID" if choose is not None else "the user's get_id()"
    value = choose(user) if choose is not None else user.get_id()
    text = "" if value is None else str(value).strip()
    if not text:
        raise IdentityError(f"{source} gave no id for {user!r}: smattest cannot link them.")
    if len(text) > MAX_ID:
        raise IdentityError(
            f"{source} gave an id of {len(text)} characters for {user!r}; "
            f"smattest keeps ids of at most {MAX_ID}."
        )
    _warn_about_changing_ids(user, text)
    return text


def _warn_once(key: str, message: str, *args: object) -> None:
    warned = current_smattest.warned
    if key not in warned:
        warned.add(key)
        log.warning(message, *args)


def _warn_about_changing_ids(user: Any, external_id: str) -> None:
    if current_app.config["SMATTEST_USER_ID"] is not None:
        return
    uniquifier = getattr(user, "fs_uniquifier", None)
    if uniquifier is not None and external_id == str(uniquifier):
        _warn_once(
            "fs_uniquifier",
            "smattest links people by get_id(), which is Flask-Security's fs_uniquifier: it "
            "changes on every password change or reset, and the person would start a second "
            "record. Set SMATTEST_USER_ID = lambda user: str(user.id).",
        )


def check_profile(user: Any, profile: dict[str, Any], named: bool) -> None:
    """Warn once per process when the host's user gives no name or no email.

    ``named`` says whether the profile held a name of its own (before any
    fallback). The warning names the setting to fix; HR sees the people
    concerned on its pages (:func:`notices`).
    """
    config = current_app.config
    loader = config["SMATTEST_PROFILE_LOADER"]
    fields = config["SMATTEST_USER_FIELDS"]
    for field, present in (("full_name", named), ("email", bool(profile.get("email")))):
        if present:
            continue
        if loader is not None:
            where = f"SMATTEST_PROFILE_LOADER returned no {field!r}"
        else:
            attribute = fields.get(field)
            where = (
                f"SMATTEST_USER_FIELDS[{field!r}] = {attribute!r}, but the user object has no "
                f"such attribute or it is empty"
                if attribute
                else f"SMATTEST_USER_FIELDS has no {field!r}"
            )
        _warn_once(
            f"missing-{field}",
            "smattest cannot read a person's %s from the host: %s (seen on user %r). %s",
            "name" if field == "full_name" else "email",
            where,
            user,
            "HR pages list the people without a name; they cannot be asked to sign with it."
            if field == "full_name"
            else "People without an email get no receipts or reminders.",
        )


def has_name(staff: Staff) -> bool:
    """Whether smattest holds the person's own name (not their email or id in its place)."""
    return staff.full_name not in (staff.email, staff.external_id) and "@" not in staff.full_name


def refuse_known_email(external_id: str, profile: dict[str, Any]) -> None:
    """Before creating a record for ``external_id``: refuse if an active person has this email.

    Records the refused visit for HR (:class:`UnlinkedSignIn`, one row per id,
    counting visits) and raises :class:`UnlinkedIdentity`.
    """
    email = profile.get("email")
    if not email:
        return
    session = current_smattest.db.session
    known = session.scalar(
        sa.select(Staff)
        .where(Staff.email == email, Staff.active, Staff.external_id != external_id)
        .order_by(Staff.id)
        .limit(1)
    )
    if known is None:
        return
    now = utcnow()
    seen = session.scalar(
        sa.select(UnlinkedSignIn).where(UnlinkedSignIn.external_id == external_id)
    )
    if seen is None:
        session.add(
            UnlinkedSignIn(
                external_id=external_id,
                staff_id=known.id,
                email=email,
                full_name=profile.get("full_name"),
                first_seen_at=now,
                last_seen_at=now,
                visits=1,
            )
        )
    else:
        seen.staff_id, seen.last_seen_at, seen.visits = known.id, now, seen.visits + 1
    try:
        session.commit()
    except IntegrityError:  # a second tab recorded the same first visit at the same moment
        session.rollback()
    log.warning(
        "refused a first visit under id %r: its email %s belongs to %r; HR can link it",
        external_id,
        email,
        known,
    )
    raise UnlinkedIdentity(external_id, email)


@dataclass(frozen=True)
class Notice:
    """Something about identities HR should act on, with the page that helps."""

    message: str
    endpoint: str


def unlinked_sign_ins(staff_id: int | None = None) -> list[UnlinkedSignIn]:
    """Refused first visits waiting for HR, newest first (for one person, or everyone)."""
    query = sa.select(UnlinkedSignIn).order_by(
        UnlinkedSignIn.last_seen_at.desc(), UnlinkedSignIn.id
    )
    if staff_id is not None:
        query = query.where(UnlinkedSignIn.staff_id == staff_id)
    return list(current_smattest.db.session.scalars(query))


def nameless_people() -> list[Staff]:
    """Active people whose record holds their email or id where their name should be."""
    return list(
        current_smattest.db.session.scalars(
            sa.select(Staff)
            .where(
                Staff.active,
                sa.or_(
                    Staff.full_name == Staff.email,
                    Staff.full_name == Staff.external_id,
                    Staff.full_name.contains("@"),
                ),
            )
            .order_by(Staff.full_name)
            .limit(200)
        )
    )


def notices() -> list[Notice]:
    """What HR's pages say at the top: sign-ins waiting to be linked, people without a name."""
    session = current_smattest.db.session
    found = []
    waiting = session.scalar(sa.select(sa.func.count()).select_from(UnlinkedSignIn)) or 0
    if waiting:
        found.append(
            Notice(
                f"{waiting} sign-in{'s' if waiting != 1 else ''} under a new id "
                f"{'were' if waiting != 1 else 'was'} refused because the email belongs to "
                "someone already on record: link each to its person.",
                "smattest.hr_identity",
            )
        )
    nameless = session.scalar(
        sa.select(sa.func.count())
        .select_from(Staff)
        .where(
            Staff.active,
            sa.or_(
                Staff.full_name == Staff.email,
                Staff.full_name == Staff.external_id,
                Staff.full_name.contains("@"),
            ),
        )
    )
    if nameless:
        found.append(
            Notice(
                f"{nameless} active {'people have' if nameless != 1 else 'person has'} no name "
                "on record: the host's user gives none (check SMATTEST_USER_FIELDS['full_name'] "
                "or SMATTEST_PROFILE_LOADER), and no roster import has given one.",
                "smattest.hr_identity",
            )
        )
    return found
