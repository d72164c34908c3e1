"""A small host intranet, the way IT would mount smattest in their own app factory."""

from __future__ import annotations

import datetime as dt

import jinja2
import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_login import LoginManager, UserMixin, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.routing import Rule

from smattest import SMAttest


class HostBase(DeclarativeBase):
    pass


class HostSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy as a host sets it up, with one economy for a test run.

    SQLAlchemy compiles each statement once per engine (its cache is keyed by the
    dialect object), and every test builds an app with new engines: compiling
    the same statements again cost the suite a sixth of its time. Engines built
    with the same options here share one initialized dialect and its cache: on
    SQLite whatever the file, on a server per URL (a dialect learns its server
    when it first connects, and one test process uses one database per server).
    """

    def _make_engine(self, bind_key, options, app) -> sa.Engine:
        engine = super()._make_engine(bind_key, options, app)
        url = "" if engine.dialect.name == "sqlite" else engine.url.render_as_string(False)
        key = repr((url, sorted((k, v) for k, v in options.items() if k != "url")))
        if key not in _DIALECTS:
            with engine.connect():  # the dialect learns the library (and server) once
                pass
            engine._compiled_cache = sa.util.LRUCache(5000)
            _DIALECTS[key] = (engine.dialect, engine._compiled_cache)
        else:
            engine.dialect, engine._compiled_cache = _DIALECTS[key]
        return engine


_DIALECTS: dict[str, tuple] = {}

db = HostSQLAlchemy(model_class=HostBase)
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


class SharedTemplateCache(jinja2.BytecodeCache):
    """Compiled templates kept for every app this process builds (one per test).

    A real intranet builds its app once and compiles each template once; a test
    run builds thousands of apps, and compiling the same templates again for
    each cost a fifth of the suite's time. Jinja checks each template's source
    against the checksum stored with its code, so an edited template is
    compiled afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def get_bucket(self, environment, name, filename, source) -> jinja2.bccache.Bucket:
        # Code compiled with other extensions (a host's i18n) is kept apart.
        key = f"{self.get_cache_key(name, filename)}|{','.join(sorted(environment.extensions))}"
        bucket = jinja2.bccache.Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


#: Shared by every app :func:`create_app` builds in this process.
TEMPLATES = SharedTemplateCache()


class SharedBuilderRule(Rule):
    """A URL rule whose URL builders are compiled once per process, not once per app.

    Werkzeug compiles Python code for each rule to build its URLs (``url_for``):
    two small functions a rule, generated from the rule's parts and defaults and
    compiled with ``compile()``. A host compiles smattest's fifty routes once; a
    test run builds an app per test, and compiling the same builders again was
    a sixth of the suite's time. The builders read the rule's converters through
    the rule they are bound to, so one compiled function serves every app's copy
    of the same rule. Used by the test hosts through Flask's ``url_rule_class``.
    """

    def _compile_builder(self, append_unknown: bool = True):  # type: ignore[no-untyped-def]
        key = (
            append_unknown,
            self.rule,
            self.host,
            self.subdomain,
            repr(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple(
                (name, type(conv), repr({k: v for k, v in vars(conv).items() if k != "map"}))
                for name, conv in self._converters.items()
            ),
        )
        builder = _BUILDERS.get(key)
        if builder is None:
            builder = _BUILDERS[key] = super()._compile_builder(append_unknown)
        return builder


_BUILDERS: dict[tuple, object] = {}


class HostFlask(Flask):
    """Flask as the test hosts use it: URL builders compiled once (:class:`SharedBuilderRule`)."""

    url_rule_class = SharedBuilderRule


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def create_app(config: dict | None = None, *, before_mount=None) -> Flask:
    """The host app; ``before_mount(app)`` runs before smattest is mounted (another extension)."""
    app = HostFlask(__name__)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": TEMPLATES}
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
