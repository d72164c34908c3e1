"""Fixtures shared by the security tests: a world of records walked from the URL map, and a
signed-in employee whose database connection can be ended from outside."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from ..content import SMALL_COURSE


@pytest.fixture
def world(app, freeze, login_as, client):
    """A policy and a course called social-media, HR signed in, and an employee's records."""
    freeze("2026-03-02T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2026, 3, 1))  # fmt: skip
    import_course({**SMALL_COURSE, "slug": "social-media"})
    hr = login_as(name="Hana Hill", is_hr=True)
    client.get("/compliance/")
    return hr


@pytest.fixture
def signing(app, client, login_as, database_url):
    """A policy, a signed-in employee, and a way to end their connection from outside."""
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    login_as(name="Priya Raman")
    client.get("/compliance/")
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()
