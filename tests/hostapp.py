"""A small host intranet, the way IT would mount smattest in their own app factory."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_login import LoginManager, UserMixin, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from smattest import SMAttest


class HostBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=HostBase)
login_manager = LoginManager()
login_manager.login_view = "login"
smattest = SMAttest()


class User(UserMixin, db.Model):
    """The host's own user table: smattest reads its attributes, never its schema."""

    __tablename__ = "host_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(120))
    manager_email: Mapped[str | None] = mapped_column(sa.String(255))
    hire_date: Mapped[dt.date | None]
    #: Roster-style groups, read when a test maps SMATTEST_USER_FIELDS["groups"] to it.
    roles: Mapped[str | None] = mapped_column(sa.String(200))
    is_hr: Mapped[bool] = mapped_column(default=False)
    #: The person's language, read when a test maps SMATTEST_USER_FIELDS["language"] to it.
    locale: Mapped[str | None] = mapped_column(sa.String(35))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def create_app(config: dict | None = None, *, before_mount=None) -> Flask:
    """The host app; ``before_mount(app)`` runs before smattest is mounted (another extension)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="test",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        TESTING=True,
        # Most tests post forms directly; test_attestation checks the CSRF check itself.
        WTF_CSRF_ENABLED=False,
        MAIL_DEFAULT_SENDER="Compliance <compliance@agency.example>",
    )
    app.config.update(config or {})
    db.init_app(app)
    login_manager.init_app(app)
    if before_mount is not None:
        before_mount(app)
    smattest.init_app(app, db=db)

    @app.get("/login")
    def login():
        return "Host sign-in page", 200

    @app.post("/login/<int:user_id>")
    def login_as(user_id: int):
        login_user(db.session.get(User, user_id))
        return redirect(request.args.get("next") or url_for("smattest.index"))

    return app
