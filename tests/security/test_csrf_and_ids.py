"""CSRF on every POST, and every id-carrying page as another employee: walked from app.url_map.

A new POST route or a new page with an id in its URL is covered here without
editing this file.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.db import metadata
from smattest.models import Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from .. import hostapp
from ..content import SMALL_COURSE
from .routes import fill, has_int, methods, smattest_rules


def snapshot(app) -> dict[str, int]:
    """Rows per smattest table, read on a connection of its own."""
    with app.extensions["smattest"].engine.connect() as conn:
        return {
            table.name: conn.scalar(sa.select(sa.func.count()).select_from(table))
            for table in metadata.sorted_tables
        }


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
@pytest.mark.parametrize("token", ["none", "foreign"])
def test_every_post_without_a_valid_csrf_token_changes_nothing(app, client, world, token):
    foreign = ""
    if token == "foreign":
        other = app.test_client()
        page = other.get("/login").get_data(as_text=True)  # a session of its own
        with app.test_request_context():
            from flask_wtf.csrf import generate_csrf

            foreign = generate_csrf()
        assert page
    before = snapshot(app)
    answers = {}
    for rule in smattest_rules(app):
        if "POST" not in methods(rule):
            continue
        url = fill(app, rule, 1)
        data = {"csrf_token": foreign} if foreign else {}
        data.update(version="1", agree="y", signature="Hana Hill", reason="x", action="release")
        answers[url] = client.post(url, data=data).status_code

    assert len(answers) >= 12
    # Refused (400), or sent back with a message (302/303: an expired quiz start, a draft
    # already gone): never done (200) and never a 500; the snapshot proves nothing changed.
    assert {url: s for url, s in answers.items() if s not in (302, 303, 400, 403, 404, 409)} == {}
    assert sum(s == 400 for s in answers.values()) >= 8, answers
    assert snapshot(app) == before


def test_every_id_carrying_employee_page_of_someone_else_is_not_found(
    app, client, login_as, freeze
):
    freeze("2026-03-02T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.",
            effective=dt.date(2026, 3, 1))  # fmt: skip
    import_course({**SMALL_COURSE, "slug": "social-media"})
    owner = login_as(name="Ruth Park")
    client.get("/compliance/")
    ruth = hostapp.db.session.scalars(sa.select(Staff)).one()
    signed = attest(ruth, "social-media", 1, "Ruth Park").attestation_id
    started = client.post("/compliance/courses/social-media/attempts")
    attempt = int(re.search(r"/attempts/(\d+)", started.headers["Location"]).group(1))
    assert owner and client.get(f"/compliance/receipts/{signed}").status_code == 200

    login_as(name="Tom Reyes")
    client.get("/compliance/")
    ids = {"attestation_id": signed, "attempt_id": attempt}
    answers = {}
    for rule in smattest_rules(app):
        if not has_int(rule) or rule.endpoint.startswith("smattest.hr") or "team" in rule.rule:
            continue
        values = {n: ids.get(n, 1) for n in rule.arguments if n in ids or "id" in n}
        if not values:
            continue  # a version number of a policy: public to every employee
        url = app.url_map.bind("localhost").build(
            rule.endpoint, {**{n: "social-media" for n in rule.arguments}, **values}
        )
        answers[url] = client.get(url).status_code

    assert answers and set(answers.values()) == {404}, answers
