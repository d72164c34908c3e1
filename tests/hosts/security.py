"""An intranet on Flask-Security-Too 5.x: the recipe for mounting smattest in it.

The points that matter to smattest, each marked ``# smattest:`` below:

- ``SMATTEST_USER_ID``: Flask-Security's ``get_id()`` is ``fs_uniquifier``, a random
  token regenerated on every password change; link people by ``User.id`` and key
  the roster by it.
- ``SMATTEST_IS_HR``: HR is a role.
- Mount smattest after ``Security``; app-wide ``CSRFProtect`` covers smattest's
  forms too, and signed-out visitors go to Flask-Security's login view even with
  ``SECURITY_ANONYMOUS_USER_DISABLED``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_security import Security, SQLAlchemyUserDatastore, auth_required
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from smattest import SMAttest


class HostBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=HostBase)
fsqla.FsModels.set_db_info(db, user_table_name="fs_user", role_table_name="fs_role")
csrf = CSRFProtect()
security = Security()
smattest = SMAttest()


class Role(db.Model, fsqla.FsRoleMixin):
    __tablename__ = "fs_role"


class User(db.Model, fsqla.FsUserMixin):
    __tablename__ = "fs_user"

    full_name = sa.Column(sa.String(200))
    department = sa.Column(sa.String(120))


user_datastore = SQLAlchemyUserDatastore(db, User, Role)


def create_app(config: dict | None = None) -> Flask:
    # templates/lakeside_layout.html: the intranet's layout, with a POST-only sign-out form.
    app = Flask(__name__, template_folder="templates")
    app.config.update(
        SECRET_KEY="lakeside-test-secret",
        SECURITY_PASSWORD_SALT="lakeside-test-salt",
        SECURITY_PASSWORD_HASH="argon2",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SECURITY_CHANGEABLE=True,
        SECURITY_SEND_PASSWORD_CHANGE_EMAIL=False,
        SECURITY_LOGOUT_METHODS=["POST"],
        SECURITY_TOKEN_AUTHENTICATION_HEADER="Authentication-Token",
        MAIL_DEFAULT_SENDER="Compliance <compliance@lakeside.example>",
        MAIL_SUPPRESS_SEND=True,
        # smattest: link people by their lasting User.id, HR by role, inside our layout.
        SMATTEST_USER_ID=lambda user: str(user.id),
        SMATTEST_IS_HR=lambda user: user.has_role("hr"),
        SMATTEST_USER_FIELDS={
            "email": "email",
            "full_name": "full_name",
            "department": "department",
        },
        SMATTEST_BASE_TEMPLATE="lakeside_layout.html",
    )
    app.config.update(config or {})
    db.init_app(app)
    csrf.init_app(app)  # app-wide: every POST, smattest's included, needs the token
    security.init_app(app, user_datastore)
    smattest.init_app(app, db=db)  # after Security: Flask-Login is set up by then

    @app.get("/")
    @auth_required()
    def home() -> str:
        return "Welcome to the Lakeside intranet"

    return app


def add_user(
    email: str,
    name: str,
    password: str,
    *,
    department: str | None = None,
    roles: tuple[str, ...] = (),
) -> User:
    """An intranet account, as the intranet's own admin page would make it."""
    from flask_security import hash_password

    for role in roles:
        user_datastore.find_or_create_role(role)
    user = user_datastore.create_user(
        email=email,
        full_name=name,
        department=department,
        password=hash_password(password),
        roles=list(roles),
    )
    db.session.commit()
    return user
