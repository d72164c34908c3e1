"""smattest's own Alembic history on SQLite, PostgreSQL and MariaDB."""

import logging

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from smattest.db import metadata
from smattest.migrate import include_object

from . import hostapp
from .conftest import all_databases


def smattest_tables(engine) -> set[str]:
    return {t for t in sa.inspect(engine).get_table_names() if t.startswith("smattest_")}


def model_differences(engine) -> list:
    """What autogenerate would write if the models and the migrated schema disagreed."""

    def own_tables(object, name, type_, reflected, compare_to):  # noqa: A002
        return type_ != "table" or name.startswith("smattest_")

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": own_tables,
                "version_table": "smattest_alembic_version",
            },
        )
        return compare_metadata(context, metadata)


@all_databases
def test_upgrade_to_head_then_downgrade_to_base(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        engine = hostapp.db.engine
        hostapp.db.create_all(bind_key=None)
        # The host's own Alembic history must not be read or written.
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(sa.text("INSERT INTO alembic_version VALUES ('host0042')"))

        upgraded = runner.invoke(args=["smattest", "db", "upgrade"])

        assert upgraded.exit_code == 0, upgraded.output
        assert "smattest tables are at revision" in upgraded.output
        assert smattest_tables(engine) == {t for t in metadata.tables} | {
            "smattest_alembic_version"
        }
        assert model_differences(engine) == []
        with engine.connect() as conn:
            head = conn.execute(sa.text("SELECT last_seq, last_hash FROM smattest_chain_head"))
            assert head.all() == [(0, "")]
        current = runner.invoke(args=["smattest", "db", "current"])
        assert current.output.strip().endswith("(head)")

        downgraded = runner.invoke(args=["smattest", "db", "downgrade", "base"])

        assert downgraded.exit_code == 0, downgraded.output
        assert smattest_tables(engine) == {"smattest_alembic_version"}
        assert "host_user" in sa.inspect(engine).get_table_names()
        with engine.connect() as conn:
            host_version = conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert host_version.scalars().all() == ["host0042"]
        after = runner.invoke(args=["smattest", "db", "current"])
        assert "not created yet" in after.output


def test_upgrade_is_idempotent(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["smattest", "db", "upgrade"]).exit_code == 0
        again = runner.invoke(args=["smattest", "db", "upgrade"])

        assert again.exit_code == 0
        assert model_differences(hostapp.db.engine) == []


def test_include_object_keeps_smattest_out_of_host_autogenerate(make_app):
    """The helper a Flask-Migrate host passes to Migrate(include_object=...)."""
    app = make_app()
    with app.app_context():
        app.test_cli_runner().invoke(args=["smattest", "db", "upgrade"])
        with hostapp.db.engine.connect() as connection:
            plain = MigrationContext.configure(connection)
            helped = MigrationContext.configure(connection, opts={"include_object": include_object})
            host_metadata = hostapp.db.metadata

            without_helper = compare_metadata(plain, host_metadata)
            with_helper = compare_metadata(helped, host_metadata)

    removed = {diff[1].name for diff in without_helper if diff[0] == "remove_table"}
    assert "smattest_staff" in removed  # what a host would lose without the helper
    assert not any("smattest" in repr(diff) for diff in with_helper)


@pytest.fixture
def keep_loggers_enabled():
    """Flask-Migrate's env.py runs ``logging.config.fileConfig``, which disables every
    logger that exists (smattest's included) for the rest of the process: undo that."""
    loggers = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.disabled
    ]
    yield
    for logger in loggers:
        logger.disabled = False


@pytest.mark.usefixtures("keep_loggers_enabled")
def test_flask_migrate_host_migrate_ignores_smattest_tables(make_app, tmp_path, monkeypatch):
    """A host using Flask-Migrate runs `flask db migrate` after smattest's upgrade."""
    from flask_migrate import Migrate

    import smattest

    monkeypatch.chdir(tmp_path)
    app = make_app()
    Migrate(
        app,
        hostapp.db,
        directory=str(tmp_path / "host_migrations"),
        include_object=smattest.include_object,
    )
    runner = app.test_cli_runner()
    with app.app_context():
        assert runner.invoke(args=["db", "init"]).exit_code == 0
        assert runner.invoke(args=["smattest", "db", "upgrade"]).exit_code == 0

        result = runner.invoke(args=["db", "migrate", "-m", "host tables"])

        assert result.exit_code == 0, result.output
        (script,) = (tmp_path / "host_migrations" / "versions").glob("*.py")
        source = script.read_text()
        assert "op.create_table('host_user'" in source
        assert "smattest" not in source
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        with hostapp.db.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            host_rev = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            own_rev = conn.execute(
                sa.text("SELECT version_num FROM smattest_alembic_version")
            ).scalar()
    assert {"host_user", "smattest_staff"} <= tables
    assert host_rev != own_rev
