"""Fixtures: a host app built by its factory, databases, signed-in people, a policy.

Every fixture shared by more than one test module lives here; test modules
import no fixtures from each other (helpers live in the ``*_helpers`` modules,
``html.py`` and ``content.py``).

Databases: tests run on SQLite unless they ask for more with ``@all_databases``
(SQLite, PostgreSQL and MariaDB on 127.0.0.1). A server that cannot be reached
skips its tests with the reason, except under CI (see :func:`under_ci`), where it
fails them.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import itertools
import os
import pathlib
import socket
import tempfile

import pytest
import sqlalchemy as sa

import smattest.db
from smattest.db import metadata as smattest_metadata

from . import hostapp
from .content import POLICY_TEXT

SERVER_URLS = {
    "postgresql": os.environ.get(
        "TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get(
        "TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
    ),
}
DATABASES = ["sqlite", "postgresql", "mariadb"]

#: Run a test once per database: ``@all_databases``.
all_databases = pytest.mark.parametrize("database_url", DATABASES, indirect=True)


def under_ci(environ=os.environ) -> bool:
    """Whether this is a CI run: ``CI`` set to anything but empty, ``false`` or ``0``.

    CI services set ``CI=true``, ``CI=1`` or ``CI=yes``; a run that skipped the
    PostgreSQL and MariaDB tests because ``CI=1`` was not ``true`` would pass
    without testing them.
    """
    return environ.get("CI", "").strip().lower() not in ("", "false", "0")


_unreachable: dict[str, str] = {}
_session_databases: dict[str, str] = {}


def _server_or_skip(backend: str) -> str:
    """A database of this test session's own on the server, or skip (fail under CI).

    Each pytest process creates ``smattest_t<pid>`` next to the configured
    database and drops it at the end, so two suites on one server (two
    developers, a developer and CI) never step on each other's tables. On
    PostgreSQL its commits do not wait for the write-ahead log to reach the disk
    (``synchronous_commit = off``): what a test sees is the same, a crash of the
    server could lose its last commits, and a test database is dropped anyway.
    """
    if backend in _session_databases:
        return _session_databases[backend]
    url = sa.make_url(SERVER_URLS[backend])
    if backend not in _unreachable:
        engine = sa.create_engine(
            url, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT"
        )
        name = f"smattest_t{os.getpid()}"
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
                if backend == "postgresql":  # a test's commits need not wait for the disk
                    conn.execute(sa.text(f"ALTER DATABASE {name} SET synchronous_commit = off"))
            _unreachable[backend] = ""
            _session_databases[backend] = url.set(database=name).render_as_string(False)
        except Exception as exc:  # any driver error means: not reachable
            _unreachable[backend] = f"{backend} at {url.render_as_string()}: {exc}"
        finally:
            engine.dispose()
    reason = _unreachable[backend]
    if reason:
        if under_ci():
            pytest.fail(f"database server unreachable under CI={os.environ['CI']}: {reason}")
        pytest.skip(f"database server unreachable: {reason}")
    return _session_databases[backend]


@pytest.fixture(scope="session", autouse=True)
def _drop_session_databases():
    yield
    for backend, url in _session_databases.items():
        admin = sa.create_engine(SERVER_URLS[backend], isolation_level="AUTOCOMMIT")
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {sa.make_url(url).database}{force}"))
        admin.dispose()


def drop_everything(url: str) -> None:
    """Empty a server database: every table, the host's and smattest's.

    Cheaper than reflecting and dropping table by table (seconds on InnoDB):
    MariaDB drops and creates the database itself, PostgreSQL its ``public``
    schema. The test's engines were disposed by then (``make_app``).
    """
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if parsed.get_backend_name() == "postgresql":
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            else:
                conn.execute(sa.text(f"DROP DATABASE {parsed.database}"))
                conn.execute(sa.text(f"CREATE DATABASE {parsed.database}"))
    finally:
        admin.dispose()


#: Per server database (backend, name): "empty", "clean" (create_tables' schema and
#: first rows, nothing else) or "used" (a test has had it).
_state: dict[tuple[str, str], str] = {}


def _server_key(url: str | sa.URL) -> tuple[str, str]:
    parsed = sa.make_url(url)
    return parsed.get_backend_name(), parsed.database or ""


@pytest.fixture
def database_url(request, tmp_path):
    """A URL of an empty database: SQLite by default, or the parametrized server.

    On a server, a test with the ``app`` fixture (which creates the tables at
    once) may get the database with the tables already created: the last test
    left create_tables' schema unchanged, so its rows were deleted instead
    (:class:`StandardSchema`), a tenth of the time of dropping and creating it.
    """
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'intranet.sqlite'}"
        return
    url = _server_or_skip(backend)
    key = _server_key(url)
    state = _state.get(key, "empty")
    if state == "used" and "app" in request.fixturenames and key in _standard:
        state = "clean" if _standard[key].reset(url) else "used"
    if state == "used" or (state == "clean" and "app" not in request.fixturenames):
        drop_everything(url)
        state = "empty"
    _state[key] = state
    yield url
    _state[key] = "used"


@pytest.fixture
def make_app(request, database_url, monkeypatch):
    """Build a host app with extra config; ``@pytest.mark.settings(...)`` adds more.

    After the test, ``compliance check`` runs on every app's database (still on
    the test's clock: ``monkeypatch`` is undone after this fixture): the due
    dates HR's pages read must match the evidence after every scenario. A test
    that edits evidence behind smattest's back says so with
    ``@pytest.mark.tampers``.
    """
    apps = []
    marker = request.node.get_closest_marker("settings")
    marked = marker.kwargs if marker else {}

    # A test that asks for the SMTP server gets an app that sends to it.
    extra = {}
    if "smtp_server" in request.node.fixturenames:
        extra = request.getfixturevalue("smtp_server").mail_config

    def factory(**config):
        app = hostapp.create_app(
            {"SQLALCHEMY_DATABASE_URI": database_url, **extra, **marked, **config}
        )
        apps.append(app)
        return app

    yield factory
    differences = []
    for app in apps:
        with app.app_context():
            if not request.node.get_closest_marker("tampers"):
                differences += due_differences(app)
            hostapp.db.session.remove()
            for engine in hostapp.db.engines.values():
                engine.dispose()
    if differences:
        shown = "\n".join(differences[:20])
        pytest.fail(f"compliance check: the due-date table differs from the evidence:\n{shown}")


def due_differences(app) -> list[str]:
    """What ``flask smattest compliance check`` reports on ``app``'s database, as text."""
    from smattest.due.check import check

    hostapp.db.session.rollback()
    if not sa.inspect(app.extensions["smattest"].engine).has_table("smattest_due"):
        return []
    try:
        report = check()
    finally:
        hostapp.db.session.rollback()
    return [str(difference) for difference in report.differences]


def create_tables(app) -> None:
    """The host's tables (its own ``create_all``) and smattest's (as a migration would).

    On one SQLite file for both (most tests), a copy of a file that had them
    created once in this process: the same schema for a thousandth of the time.
    On a server database that ``database_url`` handed over clean, nothing to do.
    """
    with app.app_context():
        engine = app.extensions["smattest"].engine
        if _copy_sqlite_template(hostapp.db.engine, engine):
            return
        key = _server_key(engine.url)
        same = hostapp.db.engine.url == engine.url
        if same and _state.get(key) == "clean":
            return
        first = same and _state.get(key) == "empty" and key not in _standard
        if first and sa.inspect(engine).get_table_names():
            first = False  # the test made tables of its own first: not the standard
        hostapp.db.create_all(bind_key=None)
        smattest_metadata.create_all(engine)
        if first:
            _standard[key] = StandardSchema(engine)
        if same and key in _state:
            _state[key] = "clean"


class StandardSchema:
    """What ``create_tables`` made on a server database, to put it back after a test.

    Its fingerprint (tables, columns, indexes, constraints, triggers, routines)
    and the rows created with it (the chain's head, the due state). A database
    whose fingerprint is unchanged after a test is put back by deleting every
    row, restarting the counters and inserting those first rows again; one
    whose schema the test changed (a migration, another host's tables) is
    dropped instead.
    """

    FINGERPRINT = {
        "postgresql": """
            SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (
              SELECT 'c:' || table_name || '.' || column_name || ':' || data_type || ':'
                     || coalesce(column_default, '') || ':' || is_nullable || ':'
                     || coalesce(collation_name, '') AS x
                FROM information_schema.columns WHERE table_schema = 'public'
              UNION ALL SELECT 'i:' || indexdef FROM pg_indexes WHERE schemaname = 'public'
              UNION ALL SELECT 't:' || pg_get_triggerdef(oid) || tgenabled::text
                FROM pg_trigger WHERE NOT tgisinternal
              UNION ALL SELECT 'k:' || conname || ':' || pg_get_constraintdef(oid)
                FROM pg_constraint WHERE connamespace = 'public'::regnamespace
              UNION ALL SELECT 'r:' || relname || ':' || relkind::text || ':'
                     || relrowsecurity::text || ':' || coalesce(relacl::text, '')
                FROM pg_class WHERE relnamespace = 'public'::regnamespace
              UNION ALL SELECT 'f:' || proname || ':' || prosrc
                FROM pg_proc WHERE pronamespace = 'public'::regnamespace
              UNION ALL SELECT 'v:' || viewname || ':' || definition
                FROM pg_views WHERE schemaname = 'public'
            ) AS parts
        """,
        "mysql": """
            SELECT md5(coalesce(group_concat(x ORDER BY x SEPARATOR ','), '')) FROM (
              SELECT concat_ws(':', 'c', table_name, column_name, column_type,
                               coalesce(column_default, ''), is_nullable,
                               coalesce(collation_name, ''), extra) AS x
                FROM information_schema.columns WHERE table_schema = database()
              UNION ALL SELECT concat_ws(':', 'i', table_name, index_name, column_name,
                                         seq_in_index, non_unique)
                FROM information_schema.statistics WHERE table_schema = database()
              UNION ALL SELECT concat_ws(':', 't', trigger_name, action_statement)
                FROM information_schema.triggers WHERE trigger_schema = database()
              UNION ALL SELECT concat_ws(':', 'r', table_name, table_type, engine,
                                         table_collation)
                FROM information_schema.tables WHERE table_schema = database()
              UNION ALL SELECT concat_ws(':', 'f', routine_name, routine_definition)
                FROM information_schema.routines WHERE routine_schema = database()
              UNION ALL SELECT concat_ws(':', 'k', constraint_name, table_name,
                                         referenced_table_name, delete_rule)
                FROM information_schema.referential_constraints
               WHERE constraint_schema = database()
              UNION ALL SELECT concat_ws(':', 'h', constraint_name, check_clause)
                FROM information_schema.check_constraints
               WHERE constraint_schema = database()
            ) AS parts
        """,
    }

    def __init__(self, engine: sa.Engine) -> None:
        self.tables = list(
            reversed(
                sa.schema.sort_tables(
                    [*hostapp.db.metadata.tables.values(), *smattest_metadata.tables.values()]
                )
            )
        )
        with engine.connect() as conn:
            self.fingerprint = self._fingerprint(conn)
            self.rows = {
                table: rows
                for table in self.tables
                if (rows := [dict(row) for row in conn.execute(table.select()).mappings()])
            }

    def _fingerprint(self, conn: sa.Connection) -> str:
        return conn.execute(sa.text(self.FINGERPRINT[conn.dialect.name])).scalar_one()

    def reset(self, url: str) -> bool:
        """Put the database back as ``create_tables`` left it: False if its schema changed."""
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                if self._fingerprint(conn) != self.fingerprint:
                    return False
                mysql = conn.dialect.name == "mysql"
                quote = conn.dialect.identifier_preparer.quote
                touched = set(
                    conn.execute(
                        sa.union_all(
                            *(
                                sa.select(sa.literal(t.name)).where(sa.exists().select_from(t))
                                for t in self.tables
                            )
                        )
                    ).scalars()
                )
                if mysql:  # counters moved by rows since deleted, too
                    touched.update(
                        conn.execute(
                            sa.text(
                                "SELECT table_name FROM information_schema.tables"
                                " WHERE table_schema = database() AND auto_increment > 1"
                            )
                        ).scalars()
                    )
                    conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
                for table in self.tables:
                    if table.name in touched or table in self.rows:
                        conn.execute(table.delete())
                        if mysql:
                            conn.execute(
                                sa.text(f"ALTER TABLE {quote(table.name)} AUTO_INCREMENT = 1")
                            )
                if mysql:
                    conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))
                else:
                    conn.execute(
                        sa.text(
                            "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false)"
                            " FROM pg_sequences"
                            " WHERE schemaname = 'public' AND last_value IS NOT NULL"
                        )
                    )
                for table, rows in self.rows.items():
                    conn.execute(table.insert(), rows)
            return True
        except sa.exc.DBAPIError:
            return False  # whatever stood in the way (a lock, a constraint): drop it instead
        finally:
            engine.dispose()


#: Per server database: the schema ``create_tables`` made there first in this process.
_standard: dict[tuple[str, str], StandardSchema] = {}


_sqlite_template: list[bytes] = []


def _copy_sqlite_template(host_engine: sa.Engine, engine: sa.Engine) -> bool:
    """Give an empty SQLite file the schema ``create_tables`` would: False if it cannot."""
    url = engine.url
    if (
        url.get_backend_name() != "sqlite"
        or host_engine.url != url
        or url.database in (None, "", ":memory:")
        or url.query
    ):
        return False
    path = pathlib.Path(url.database)
    if path.exists() and path.stat().st_size:
        return False  # something is in it already: create what is missing, as before
    if not _sqlite_template:
        scratch = pathlib.Path(tempfile.mkdtemp()) / "template.sqlite"
        template = sa.create_engine(f"sqlite:///{scratch}")
        try:
            hostapp.db.metadata.create_all(template)
            smattest_metadata.create_all(template)
        finally:
            template.dispose()
        _sqlite_template.append(scratch.read_bytes())
    host_engine.dispose()  # no connection holds the empty file while it is replaced
    engine.dispose()
    path.write_bytes(_sqlite_template[0])
    return True


@pytest.fixture
def app(make_app):
    """A host app with smattest mounted and every table created."""
    app = make_app()
    create_tables(app)
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_ids = itertools.count(1)


@pytest.fixture
def make_user(app):
    """Create a host user: ``make_user(name="Ada Lovelace", department="Adult Services")``."""

    def factory(name: str | None = None, **fields) -> hostapp.User:
        n = next(_ids)
        name = name or f"Person {n}"
        fields.setdefault("email", name.lower().replace(" ", ".") + f"{n}@agency.example")
        fields.setdefault("hire_date", dt.date(2020, 1, 6))
        user = hostapp.User(name=name, **fields)
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        return user

    return factory


class AuthActions:
    """Sign people in through the host's own sign-in route."""

    def __init__(self, client, make_user):
        self._client = client
        self._make_user = make_user

    def __call__(self, user=None, **fields):
        """Sign in ``user`` (or a new user made from ``fields``) and return them."""
        user = user or self._make_user(**fields)
        response = self._client.post(f"/login/{user.id}")
        assert response.status_code == 302
        return user

    def logout(self):
        with self._client.session_transaction() as session:
            session.clear()


@pytest.fixture
def login_as(client, make_user):
    return AuthActions(client, make_user)


@pytest.fixture
def freeze(monkeypatch):
    """Set smattest's clock: ``freeze("2026-03-01T09:00:00+00:00")``; returns the time."""

    def set_now(moment: str | dt.datetime) -> dt.datetime:
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment)
        monkeypatch.setattr(smattest.db, "frozen_now", moment.astimezone(dt.UTC))
        return moment

    return set_now


class Inbox:
    """Messages a real SMTP server on 127.0.0.1 received, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on 127.0.0.1; its ``inbox`` and the Flask-Mail settings to reach it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    controller.inbox = inbox
    controller.mail_config = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_SUPPRESS_SEND": False,
    }
    yield controller
    controller.stop()


class StatementCounter:
    """Counts SQL statements on smattest's engine: ``with count_statements() as n: ...``."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.statements: list[str] = []
        #: (statement, parameters) as the driver got them, e.g. to ask for a query plan.
        self.executed: list[tuple[str, object]] = []

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self.statements.append(statement)
        self.executed.append((statement, parameters))

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


@pytest.fixture
def count_statements(app):
    """A fresh :class:`StatementCounter` on the app's smattest engine per call."""
    return lambda: StatementCounter(app.extensions["smattest"].engine)


@pytest.fixture
def make_staff(app):
    """Bulk-insert roster rows: ``make_staff(5000, department=lambda i: f"Dept {i % 7}")``.

    Values may be callables of the row number. Returns the new staff ids. For
    many people at once (no host users); use ``make_user`` for people who sign in.
    """
    from smattest.models import Staff

    counter = itertools.count(1)

    def factory(n: int, **fields) -> list[int]:
        start = next(counter) * 1_000_000
        rows = []
        for i in range(n):
            row = {
                "external_id": f"roster-{start + i}",
                "email": f"person{start + i}@agency.example",
                "full_name": f"Person {start + i}",
                "department": "Adult Services",
                "hire_date": dt.date(2020, 1, 6),
                "active": True,
            }
            for key, value in fields.items():
                row[key] = value(i) if callable(value) else value
            rows.append(row)
        session = hostapp.db.session
        session.execute(sa.insert(Staff), rows)
        session.commit()
        return list(
            session.scalars(
                sa.select(Staff.id)
                .where(Staff.external_id.in_([r["external_id"] for r in rows]))
                .order_by(Staff.id)
            )
        )

    return factory


@pytest.fixture
def hr(request, client, login_as):
    """HR signed in: Hana Okafor, who has not opened smattest yet, so has no staff row.

    A module or test marked ``@pytest.mark.hr_on_roster`` gets HR after a first
    visit to ``/compliance/``, with a staff row of their own (as after any visit);
    otherwise HR's row appears with the first smattest page the test opens as HR.
    """
    user = login_as(name="Hana Okafor", is_hr=True)
    if request.node.get_closest_marker("hr_on_roster"):
        client.get("/compliance/")
    return user


#: What the ``policy_version`` fixture publishes unless ``@pytest.mark.policy(...)`` says otherwise.
POLICY_DEFAULTS = {
    "now": "2026-03-02T14:30:00+00:00",
    "text": POLICY_TEXT,
    "summary": "First version.",
    "effective": dt.date(2026, 3, 1),
}


@pytest.fixture
def policy_version(app, freeze, request):
    """Version 1 of the Social Media Policy (``social-media``), published by the service.

    The clock is frozen at ``now`` first, then the version is published,
    in force from ``effective``. A module or test sets any of ``now``,
    ``effective`` (``None``: today), ``text``, ``summary`` and ``published_by``
    with ``@pytest.mark.policy(...)`` (``pytestmark`` for a whole module); the
    closest marker wins. Defaults: :data:`POLICY_DEFAULTS`.
    """
    from smattest.publishing.policies import publish

    marker = request.node.get_closest_marker("policy")
    options = {**POLICY_DEFAULTS, **(marker.kwargs if marker else {})}
    freeze(options.pop("now"))
    text, summary = options.pop("text"), options.pop("summary")
    if options["effective"] is None:
        del options["effective"]
    return publish("social-media", "Social Media Policy", text, summary, **options)


@pytest.fixture
def policy(policy_version):
    """The Social Media Policy itself (its version 1 is ``policy_version``)."""
    return policy_version.policy


@pytest.fixture
def signed(app, make_user, freeze):
    """Four people signed the policy, one after another: their attestations, in chain order."""
    from smattest.attest import attest
    from smattest.models import Attestation, Staff
    from smattest.publishing.policies import publish

    freeze("2026-03-02T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    for n in range(4):
        user = make_user(name=f"Signer {n}")
        staff = Staff(external_id=str(user.id), full_name=user.name, email=user.email)
        hostapp.db.session.add(staff)
        hostapp.db.session.commit()
        freeze(dt.datetime(2026, 3, 2, 10 + n, tzinfo=dt.UTC))
        attest(staff, "social-media", 1, user.name, ip_address="10.0.0.1")
    return hostapp.db.session.scalars(sa.select(Attestation).order_by(Attestation.chain_seq)).all()
