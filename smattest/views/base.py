"""smattest's one blueprint and what every page module shares: the signed-in person, template names.

Page modules import the blueprint from here and register their routes on it;
``smattest.views`` imports the page modules and hands the blueprint to the extension.
"""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

import smattest.i18n as i18n

from ..due import check as due_check
from ..due import read as due_read
from ..i18n import lazy_gettext
from ..models import Staff
from ..people.identity import IdentityError, UnlinkedIdentity, has_name, notices, user_id
from ..people.staff import staff_for_user
from ..proxies import current_smattest
from ..timeutil import example_day, local_today, to_local

blueprint = Blueprint(
    "smattest",
    __name__,
    template_folder=str(files("smattest.templates")),
    static_folder=str(files("smattest") / "static"),
    static_url_path="/static",
)


@blueprint.before_request
def _forget_cached_staff() -> None:
    # g belongs to the app context, which can outlive one request (tests,
    # CLI-driven requests); the staff row is cached per request only.
    g.pop("smattest_staff", None)


@blueprint.errorhandler(CSRFError)
def _form_expired(error: CSRFError) -> ResponseReturnValue:
    # The host's app-wide CSRFProtect refuses the POST before any smattest view
    # runs, so nothing was recorded: say so in smattest's words, with a way back.
    return render_template("smattest/form_expired.html", back=_way_back()), 400


@blueprint.errorhandler(UnlinkedIdentity)
def _unlinked(error: UnlinkedIdentity) -> ResponseReturnValue:
    return render_template("smattest/unlinked.html", email=error.email), 409


def _way_back() -> str:
    """The page the expired form was on: the referrer if it is ours, else the nearest page."""
    prefix = request.script_root + current_app.config["SMATTEST_URL_PREFIX"].rstrip("/")
    if request.referrer:
        referrer = urlsplit(request.referrer)
        if referrer.netloc in ("", request.host) and referrer.path.startswith(prefix + "/"):
            return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    adapter = current_app.create_url_adapter(request)
    path = request.path
    while adapter is not None and path.count("/") > 1:
        try:
            adapter.match(path, method="GET")
        except HTTPException:
            path = path.rsplit("/", 1)[0]
        else:
            return request.script_root + path
    return url_for("smattest.index")


def actor() -> str:
    """The signed-in person's lasting id (``SMATTEST_USER_ID``): who did it, in every record."""
    return user_id(current_user)


def current_staff() -> Staff:
    """The signed-in person's staff row, refreshed once per request."""
    if "smattest_staff" not in g:
        g.smattest_staff = staff_for_user(current_user)
    staff: Staff = g.smattest_staff
    return staff


def person_language() -> str | None:
    """The signed-in person's language from their staff row (None: not set, or no one)."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    staff = g.get("smattest_staff")
    if staff is not None:
        language: str | None = staff.language
        return language
    try:
        external_id = user_id(current_user)
    except IdentityError:
        return None  # the page itself says what is wrong with the id
    return current_smattest.db.session.scalar(
        sa.select(Staff.language).where(Staff.external_id == external_id)
    )


#: Jinja globals, so that macros imported without context translate too: ``_st`` and
#: ``_stn`` are smattest's gettext and ngettext (its own domain), named so that a host's
#: ``_`` and ``gettext`` in its own templates stay the host's; ``smattest_lang()`` and
#: ``smattest_dir()`` give the ``lang`` and ``dir`` attributes of the reader's language.
TEMPLATE_GLOBALS = {
    "_st": i18n.template_gettext,
    "_stn": i18n.template_ngettext,
    "smattest_lang": i18n.html_lang,
    "smattest_dir": i18n.direction,
    "smattest_language_name": i18n.language_name,
}


def template_context() -> dict[str, object]:
    """Names every smattest template may use, including in a host's layout (the words
    themselves, ``_st`` and ``_stn``, are :data:`TEMPLATE_GLOBALS`)."""
    return {
        "smattest_number": i18n.format_number,
        "smattest_base_template": current_app.config["SMATTEST_BASE_TEMPLATE"],
        "smattest_datetime": _format_datetime,
        "smattest_date": _format_date,
        "smattest_local_date": _local_date,
        "smattest_today": local_today,
        "smattest_example_day": example_day,
        "smattest_hr_nav": HR_NAV,
        "smattest_identity_notices": notices,
        "smattest_due_warning": due_check.unresolved,
        "smattest_seal_warning": due_read.warning,
        "smattest_has_name": has_name,
    }


#: The HR navigation: endpoint and label, in the order HR works.
HR_NAV = (
    ("smattest.hr_dashboard", lazy_gettext("Dashboard")),
    ("smattest.hr_people", lazy_gettext("People")),
    ("smattest.hr_roster", lazy_gettext("Roster")),
    ("smattest.hr_policies", lazy_gettext("Policies")),
    ("smattest.hr_exports", lazy_gettext("Exports")),
    ("smattest.hr_reminders", lazy_gettext("Reminders")),
)


def _format_date(day: dt.date | None) -> str:
    """A date as people read it, in their language: 3 May 2026, 3 de mayo de 2026."""
    return i18n.format_date(day) if day else ""


def _local_date(moment: dt.datetime) -> dt.date:
    """The day a moment fell on in the agency's time zone."""
    return to_local(moment).date()


def _format_datetime(moment: dt.datetime) -> str:
    """A time as people read it, in the agency's time zone: 21 November 2026, 14:05 CST."""
    return i18n.format_datetime(to_local(moment))
