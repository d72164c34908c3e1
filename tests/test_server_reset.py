"""The suite's own economy on the servers: a database put back by deleting rows, not dropped.

A server test with the ``app`` fixture gets the database the last test left,
with its rows deleted (``conftest.StandardSchema``). These tests show that
what it gets is what a new database would be: no row of the last test, the
first rows ``create_all`` inserts, counters from 1, and that a database whose
schema a test changed is not put back but dropped.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from smattest.models import ChainHead, DueState, Staff

from . import conftest, hostapp

servers = pytest.mark.parametrize("database_url", ["postgresql", "mariadb"], indirect=True)


def _fill(app) -> None:
    session = hostapp.db.session
    for n in range(3):
        session.add(Staff(external_id=f"x{n}", full_name=f"Person {n}", email=f"p{n}@a.example"))
    session.add(hostapp.User(email="u@a.example", name="U"))
    session.execute(sa.update(ChainHead).values(last_seq=7, last_hash="ab" * 32))
    session.commit()
    session.execute(sa.delete(Staff).where(Staff.external_id == "x2"))
    session.execute(sa.delete(hostapp.User))  # an empty table whose counter moved on
    session.commit()


@servers
def test_a_put_back_database_is_as_new_rows_counters_and_first_rows(app, database_url):
    key = conftest._server_key(database_url)
    standard = conftest._standard[key]
    _fill(app)
    hostapp.db.session.remove()

    assert standard.reset(database_url)

    session = hostapp.db.session
    assert session.scalars(sa.select(Staff)).all() == []
    assert session.scalars(sa.select(hostapp.User)).all() == []
    head = session.get(ChainHead, 1)
    assert (head.last_seq, head.last_hash) == (0, "")
    assert session.get(DueState, 1) is not None
    staff = Staff(external_id="again", full_name="Again", email="again@a.example")
    session.add(staff)
    session.add(user := hostapp.User(email="v@a.example", name="V"))
    session.commit()
    assert (staff.id, user.id) == (1, 1)


@servers
def test_a_database_whose_schema_a_test_changed_is_not_put_back(app, database_url):
    key = conftest._server_key(database_url)
    _fill(app)
    hostapp.db.session.remove()
    with app.extensions["smattest"].engine.begin() as conn:
        conn.execute(sa.text("CREATE INDEX smattest_test_extra ON smattest_staff (full_name)"))

    assert not conftest._standard[key].reset(database_url)
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 2
