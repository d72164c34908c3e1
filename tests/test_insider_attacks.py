"""The insiders' attacks of issue 22, done by SQL on SQLite and PostgreSQL (and MariaDB).

Each test plays a database administrator or an HR insider: it changes rows with
plain SQL (no smattest code) and then asks what ``flask smattest audit verify``
or the daily ``compliance check`` says, and what the person, HR and the exports
show. Each attack is named, and changes nobody's status.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases
from .test_training import course_file

ADDED = "<p>You MAY post photos of clients.</p>"


def sql(statement: str, **params) -> None:
    """Run one statement in its own transaction, as an insider at a SQL prompt would."""
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    hostapp.db.session.commit()


def staff_of(user) -> Staff:
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))


def verify(runner):
    return runner.invoke(args=["smattest", "audit", "verify"])


@pytest.fixture
def world(app, make_user, freeze, client):
    """Ada signed the policy; Mallory has not. Both have a staff row."""
    freeze("2026-03-02T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "# Rules\n\nBe careful.", "First.")
    people = {}
    for name in ("Ada Signer", "Mallory Unsigned"):
        user = make_user(name=name)
        client.post(f"/login/{user.id}")
        client.get("/compliance/")
        people[name.split()[0].lower()] = user
    freeze("2026-03-02T10:00:00+00:00")
    attest(staff_of(people["ada"]), "social-media", 1, "Ada Signer")
    people["version"] = version
    return people


# --- Item 1: what people read is rendered from the hashed Markdown ---------------------


@all_databases
def test_an_edited_policy_rendering_is_named_and_never_served(world, runner, client):
    sql(
        "UPDATE smattest_policy_version SET body_html = replace(body_html, '</h1>', :added)",
        added="</h1>" + ADDED,
    )

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        "FAILED: policy social-media version 1: its stored HTML (body_html) is not the rendering "
        "of its Markdown: the HTML was edited." in result.output
    )
    client.post(f"/login/{world['mallory'].id}")
    for page in (
        "/compliance/policies/social-media",
        "/compliance/policies/social-media/versions/1",
    ):
        shown = client.get(page).get_data(as_text=True)
        assert "Be careful." in shown and "You MAY post" not in shown, page


@all_databases
def test_an_edited_course_section_rendering_is_named_and_never_served(
    app, runner, client, login_as, freeze
):
    freeze("2026-06-01T09:00:00+00:00")
    import_course(course_file())
    login_as(name="Kofi Mensah")
    sql(
        "UPDATE smattest_course_section SET body_html = replace(body_html, '</p>', :added)",
        added="</p>" + ADDED,
    )

    result = verify(runner)

    assert result.exit_code == 1
    assert (
        "FAILED: course refresher version 1, section 1: its stored HTML (body_html) is not the "
        "rendering of its Markdown" in result.output
    )
    shown = client.get("/compliance/courses/refresher").get_data(as_text=True)
    assert "Clients <strong>trust</strong> us." in shown and "You MAY post" not in shown
