"""Limits: numbers beyond any database's range, oversized forms and what error pages echo."""

from __future__ import annotations

import pytest

from smattest.publishing.policies import publish

from ..conftest import all_databases
from .routes import fill, has_int, methods, smattest_rules

#: Just past PostgreSQL's and MariaDB's INTEGER, and just past SQLite's (and Python's C long).
BIG = [2**31, 2**63]


@pytest.fixture
def hr_client(app, client, login_as):
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    login_as(name="Hana Hill", is_hr=True)
    return client


@all_databases
def test_every_id_beyond_the_database_range_is_a_404(app, hr_client):
    rules = [rule for rule in smattest_rules(app) if has_int(rule)]
    assert len(rules) >= 10  # every id-carrying route, walked from app.url_map
    answers = {}
    for rule in rules:
        for number in BIG:
            url = fill(app, rule, number)
            for method in methods(rule):
                response = hr_client.open(url, method=method, data={"reason": "x"})
                answers[(method, url)] = response.status_code
    assert {key: status for key, status in answers.items() if status != 404} == {}
