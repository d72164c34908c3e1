"""The staff roster as seen from a signed-in user: profile, HR and manager roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ..i18n import normalise
from ..models import Staff
from ..proxies import current_smattest
from ..publishing.audiences import record_placements
from ..rule.membership import join_groups, parse_groups
from . import tree
from .identity import check_profile, refuse_known_email, user_id


class ProfileError(ValueError):
    """The host's user object gave a profile smattest cannot use."""


def read_profile(user: Any) -> dict[str, Any]:
    """The user's profile, through ``SMATTEST_PROFILE_LOADER`` or ``SMATTEST_USER_FIELDS``.

    Returns ``email``, ``full_name``, ``department``, ``manager_email``,
    ``hire_date`` (a :class:`datetime.date` or None) and ``groups`` (stored
    form, see :mod:`smattest.rule.membership`; from text or a list); any may be None.
    """
    config = current_app.config
    loader = config["SMATTEST_PROFILE_LOADER"]
    if loader is not None:
        raw = loader(user)
        if not isinstance(raw, dict):
            raise ProfileError(
                f"SMATTEST_PROFILE_LOADER returned {type(raw).__name__}; it must return a dict."
            )
    else:
        fields = config["SMATTEST_USER_FIELDS"]
        raw = {field: getattr(user, attr, None) for field, attr in fields.items()}
    profile: dict[str, Any] = {
        key: _clean(raw.get(key)) for key in ("email", "full_name", "department")
    }
    profile["manager_email"] = _clean(raw.get("manager_email"))
    if profile["email"]:
        profile["email"] = profile["email"].lower()
    if profile["manager_email"]:
        profile["manager_email"] = profile["manager_email"].lower()
    profile["hire_date"] = _as_date(raw.get("hire_date"))
    profile["language"] = _as_language(raw.get("language"))
    try:
        profile["groups"] = join_groups(parse_groups(raw.get("groups")))
    except ValueError as error:
        raise ProfileError(f"groups {raw.get('groups')!r}: {error}") from None
    return profile


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _as_language(value: Any) -> str | None:
    if value is None or value == "":
        return None
    tag = normalise(value) if isinstance(value, str) else None
    if tag is None:
        raise ProfileError(
            f"language {value!r} is not a language tag: give one such as 'es', 'en' or 'es-MX'."
        )
    return tag


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ProfileError(
        f"hire_date {value!r} is not a date: give a datetime.date or an ISO date (YYYY-MM-DD)."
    )


def staff_for_user(user: Any) -> Staff:
    """The staff row of a signed-in user, created or refreshed from their profile.

    The row is matched on the person's lasting id (``SMATTEST_USER_ID``). A
    first visit whose email belongs to an active person under another id
    creates nothing and raises :class:`~smattest.people.identity.UnlinkedIdentity`.
    A missing name is never filled from the host (the record keeps the
    roster's, or shows the email until someone gives one). A refresh never
    reactivates a person the roster marked inactive. For someone a roster
    import listed, the roster wins: a sign-in fills only the fields the roster
    left empty. Commits only when something changed.
    """
    session = current_smattest.db.session
    external_id = user_id(user)
    profile = read_profile(user)
    check_profile(user, profile, named=profile["full_name"] is not None)
    staff = session.scalar(sa.select(Staff).where(Staff.external_id == external_id))
    if staff is None:
        refuse_known_email(external_id, profile)
        name = profile["full_name"] or profile["email"] or external_id
        staff = Staff(external_id=external_id, **{**profile, "full_name": name})
        session.add(staff)
    else:
        for key, value in profile.items():
            if staff.roster_managed and getattr(staff, key) is not None:
                continue  # the roster set it: the roster wins
            if value is not None and getattr(staff, key) != value:
                setattr(staff, key, value)
    if staff in session.new or session.is_modified(staff):
        session.flush()
        record_placements([staff.id])
        session.commit()
    return staff


def is_hr(user: Any) -> bool:
    """Whether ``user`` may open HR pages (``SMATTEST_IS_HR``, else ``user.is_hr``)."""
    if not getattr(user, "is_authenticated", False):
        return False
    check = current_app.config["SMATTEST_IS_HR"]
    if check is not None:
        return bool(check(user))
    return bool(getattr(user, "is_hr", False))


def is_manager(staff: Staff) -> bool:
    """Whether anyone active is below ``staff`` in the reporting tree (any depth: the
    people of a manager who left still report, through them, to the one above)."""
    if not staff.email:
        return False
    session = current_smattest.db.session
    # An active direct report settles it from the index on manager_email. Only when all
    # of them left is the whole tree walked: a tree of 50,000 people is gathered whole
    # before it can say "someone" (125 ms on every top manager's My compliance).
    direct = sa.select(Staff.id).where(tree.scope(staff, direct_only=True), Staff.active)
    if session.scalar(sa.select(direct.exists())):
        return True
    reports = sa.select(Staff.id).where(tree.scope(staff), Staff.active)
    return bool(session.scalar(sa.select(reports.exists())))


def names_of(actors: Iterable[str | None]) -> dict[str, str]:
    """The names of the people who acted, by the id records hold (``actor``, ``set_by``,
    ``requested_by``: the host user id), in one statement: their name on the roster;
    "the command line" for a command (``cli``, or ``cli:<account>`` with the account);
    "user <id>" for someone not on the roster."""
    wanted = {a for a in actors if a}
    found = {}
    if wanted:
        rows = current_smattest.db.session.execute(
            sa.select(Staff.external_id, Staff.full_name).where(Staff.external_id.in_(wanted))
        )
        found = {external_id: name for external_id, name in rows if name}
    for actor in wanted - set(found):
        if actor == "cli":
            found[actor] = "the command line"
        elif actor.startswith("cli:"):
            found[actor] = f"the command line ({actor.removeprefix('cli:')})"
        else:
            found[actor] = f"user {actor}"
    return found
