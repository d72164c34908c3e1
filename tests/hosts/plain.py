"""An intranet on plain Flask-Login: its own users table, login form and password hashes.

The simplest recipe: ``get_id()`` is the user's primary key, which never changes,
so smattest's defaults fit (``SMATTEST_USER_ID`` unset, the profile read from
``SMATTEST_USER_FIELDS``, HR from the user's ``is_hr``).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, login_required, login_user, logout_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField

from smattest import SMAttest


class HostBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=HostBase)
login_manager = LoginManager()
login_manager.login_view = "login"
smattest = SMAttest()


class User(UserMixin, db.Model):
    __tablename__ = "plain_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_hr: Mapped[bool] = mapped_column(default=False)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


class LoginForm(FlaskForm):
    email = EmailField("Email")
    password = PasswordField("Password")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder="templates")
    app.config.update(
        SECRET_KEY="plain-test-secret",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        MAIL_DEFAULT_SENDER="Compliance <compliance@plain.example>",
        MAIL_SUPPRESS_SEND=True,
        # smattest: the defaults fit; pages render inside the intranet's layout.
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
            user = db.session.scalar(sa.select(User).where(User.email == form.email.data))
            if user and check_password_hash(user.password_hash, form.password.data or ""):
                login_user(user)
                return redirect(_safe_next() or url_for("home"))
            error = "Wrong email or password."
        return render_template("plain_login.html", form=form, error=error)

    @app.post("/logout")
    @login_required
    def logout():
        # A FlaskForm checks the CSRF token of the sign-out form.
        if not FlaskForm().validate():
            return "This form has expired", 400
        logout_user()
        return redirect(url_for("login"))

    @app.get("/")
    @login_required
    def home() -> str:
        return "Welcome to the intranet"

    return app


def _safe_next() -> str | None:
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


def add_user(email: str, name: str, password: str, *, is_hr: bool = False) -> User:
    user = User(email=email, name=name, password_hash=generate_password_hash(password), is_hr=is_hr)
    db.session.add(user)
    db.session.commit()
    return user
