"""An intranet whose people live in a directory (LDAP, Active Directory, an HR system).

The host's user object carries only the directory's ``uid``; everything else is
looked up. The recipe: ``SMATTEST_USER_ID`` gives the uid (the roster's
``employee_id``), ``SMATTEST_PROFILE_LOADER`` reads the profile from the
directory, and ``SMATTEST_IS_HR`` asks the directory's groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, redirect, render_template, request, url_for
from flask_login import LoginManager, login_required, login_user, logout_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import DeclarativeBase
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField

from smattest import SMAttest


class HostBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=HostBase)
login_manager = LoginManager()
login_manager.login_view = "login"
smattest = SMAttest()


@dataclass
class Entry:
    """One person in the directory, as an LDAP search would return them."""

    uid: str
    mail: str
    cn: str
    department: str
    manager_mail: str | None
    start_date: str
    password_hash: str
    groups: set[str] = field(default_factory=set)


#: The directory: uid -> entry. A real host would ask its LDAP server.
DIRECTORY: dict[str, Entry] = {}


class DirectoryUser:
    """A signed-in person: only the uid, the way many SSO and LDAP logins give it."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, uid: str) -> None:
        self.uid = uid

    def get_id(self) -> str:
        return self.uid


@login_manager.user_loader
def load_user(uid: str) -> DirectoryUser | None:
    return DirectoryUser(uid) if uid in DIRECTORY else None


def profile_from_directory(user: DirectoryUser) -> dict[str, Any]:
    """SMATTEST_PROFILE_LOADER: the person's profile as the directory holds it."""
    entry = DIRECTORY[user.uid]
    return {
        "email": entry.mail,
        "full_name": entry.cn,
        "department": entry.department,
        "manager_email": entry.manager_mail,
        "hire_date": entry.start_date,
    }


class LoginForm(FlaskForm):
    username = StringField("User name")
    password = PasswordField("Password")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="templates")
    app.config.update(
        SECRET_KEY="directory-test-secret",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        MAIL_DEFAULT_SENDER="Compliance <compliance@county.example>",
        MAIL_SUPPRESS_SEND=True,
        # smattest: the uid is the lasting id; the profile and HR come from the directory.
        SMATTEST_USER_ID=lambda user: user.uid,
        SMATTEST_PROFILE_LOADER=profile_from_directory,
        SMATTEST_IS_HR=lambda user: "hr" in DIRECTORY[user.uid].groups,
        SMATTEST_BASE_TEMPLATE="plain_layout.html",
    )
    app.config.update(config or {})
    db.init_app(app)
    login_manager.init_app(app)
    smattest.init_app(app, db=db)
    # The layout's sign-out form carries a token (no app-wide CSRFProtect here).
    app.jinja_env.globals["csrf_token"] = generate_csrf

    @app.route("/login", methods=["GET", "POST"])
    def login():
        form = LoginForm()
        error = None
        if form.validate_on_submit():
            entry = DIRECTORY.get((form.username.data or "").strip().lower())
            if entry and check_password_hash(entry.password_hash, form.password.data or ""):
                login_user(DirectoryUser(entry.uid))
                target = request.args.get("next", "")
                safe = target.startswith("/") and not target.startswith("//")
                return redirect(target if safe else url_for("home"))
            error = "Wrong user name or password."
        return render_template("directory_login.html", form=form, error=error)

    @app.post("/logout")
    @login_required
    def logout():
        if not FlaskForm().validate():
            return "This form has expired", 400
        logout_user()
        return redirect(url_for("login"))

    @app.get("/")
    @login_required
    def home() -> str:
        return "Welcome to the county intranet"

    return app


def add_person(
    uid: str, cn: str, mail: str, password: str, *, groups: set[str] | None = None
) -> Entry:
    """Put a person in the directory (a real host's directory is maintained elsewhere)."""
    entry = Entry(
        uid=uid,
        mail=mail,
        cn=cn,
        department="Records",
        manager_mail=None,
        start_date=dt.date(2021, 4, 1).isoformat(),
        password_hash=generate_password_hash(password),
        groups=groups or set(),
    )
    DIRECTORY[uid] = entry
    return entry
