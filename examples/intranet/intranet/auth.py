"""Demo sign-in: pick a person from the list. No passwords, so never run this for real."""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from .models import User, db
from .people import DEPARTMENTS

blueprint = Blueprint("auth", __name__)

#: People hired this recently get a "New hire" badge on the sign-in page.
NEW_HIRE_DAYS = 90


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site ("/..."), else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _department_order(name: str | None) -> tuple[int, str]:
    order = DEPARTMENTS.index(name) if name in DEPARTMENTS else len(DEPARTMENTS)
    return order, name or ""


@blueprint.get("/sign-in")
def sign_in():
    """Everyone, grouped by department, each with a 'Sign in as' button."""
    users = db.session.scalars(sa.select(User)).all()
    managers = {u.manager_email for u in users if u.manager_email}
    new_since = dt.date.today() - dt.timedelta(days=NEW_HIRE_DAYS)

    def sort_key(user: User):
        return (*_department_order(user.department), user.email not in managers, user.name)

    groups = [
        (department, list(people))
        for department, people in itertools.groupby(
            sorted(users, key=sort_key), key=lambda u: u.department
        )
    ]
    return render_template(
        "intranet/sign_in.html",
        groups=groups,
        managers=managers,
        new_since=new_since,
        next=safe_next(request.args.get("next")),
    )


@blueprint.post("/sign-in/<int:user_id>")
def sign_in_as(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    login_user(user)
    flash(f"Signed in as {user.name}.", "info")
    return redirect(safe_next(request.form.get("next")) or url_for("home"))


@blueprint.post("/sign-out")
def sign_out():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))
