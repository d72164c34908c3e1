"""The mounting recipes in tests/hosts/, driven through each host's own login form.

Each host is migrated the way IT would (its own ``create_all`` for its tables,
``flask smattest db upgrade`` for smattest's), then an employee signs in through
the host's login page, signs the policy and keeps a receipt, and HR signs in
and sees them once, current, in the people list and the status export.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import sqlalchemy as sa

from smattest.evidence import audit
from smattest.models import Attestation, Staff
from smattest.publishing.policies import publish

from .conftest import all_databases
from .hosts import directory, plain, security

POLICY_TEXT = "# Social Media Policy\n\nNever post anything that could identify a client.\n"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on a page, as a browser would send it."""
    match = TOKEN.search(page)
    assert match, "no csrf_token on the page"
    return match.group(1) or match.group(2)


def sign_in(client, email: str, password: str, *, next_path: str = "/compliance/"):
    """Through the host's own login page: follow the redirect, fill in the form, send it."""
    bounced = client.get(next_path)
    assert bounced.status_code == 302, bounced.status_code
    login_url = bounced.headers["Location"]
    assert "/login" in login_url
    form = client.get(login_url).get_data(as_text=True)
    response = client.post(
        login_url,
        data={"email": email, "password": password, "csrf_token": csrf_token(form)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(next_path), response.headers["Location"]
    return client.get(next_path)


def sign_policy(client, name: str):
    page = client.get("/compliance/policies/social-media").get_data(as_text=True)
    return client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": name, "csrf_token": csrf_token(page)},
    )


def staff_rows(db) -> list[Staff]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Staff).order_by(Staff.id)))


def migrate(app, db) -> None:
    """The host's tables by its own create_all, smattest's by its migration command."""
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["smattest", "db", "upgrade"])
    assert result.exit_code == 0, result.output


def publish_policy(app, freeze) -> None:
    with app.app_context():
        freeze("2026-03-02T14:30:00+00:00")
        publish("social-media", "Social Media Policy", POLICY_TEXT, "First version.",
                effective=dt.date(2026, 3, 1))  # fmt: skip


@pytest.fixture
def host_apps():
    """Apps built here, their engines closed at the end."""
    made = []
    yield made
    for app, db in made:
        with app.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


# -- Flask-Security-Too -----------------------------------------------------------------------


@pytest.fixture
def lakeside(database_url, host_apps, freeze, tmp_path):
    """The Flask-Security intranet: Ada (employee), Hana (HR role), a roster keyed by User.id."""
    app = security.create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    host_apps.append((app, security.db))
    migrate(app, security.db)
    publish_policy(app, freeze)
    with app.app_context():
        ada = security.add_user("ada@lakeside.example", "Ada Lovelace", "first-Passw0rd!",
                                department="Records")  # fmt: skip
        hana = security.add_user("hana@lakeside.example", "Hana Okafor", "hr-Passw0rd!",
                                 department="HR", roles=("hr",))  # fmt: skip
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "employee_id,email,full_name,department\n"
            f"{ada.id},ada@lakeside.example,Ada Lovelace,Records\n"
            f"{hana.id},hana@lakeside.example,Hana Okafor,HR\n"
        )
    imported = app.test_cli_runner().invoke(args=["smattest", "roster", "import", str(roster)])
    assert imported.exit_code == 0, imported.output
    app.roster_file = roster
    return app


@all_databases
def test_flask_security_host_a_password_change_leaves_one_person_current(lakeside):
    app, db = lakeside, security.db
    client = app.test_client()

    home = sign_in(client, "ada@lakeside.example", "first-Passw0rd!")
    assert "Signed in as <strong>Ada Lovelace</strong>, Records." in home.get_data(as_text=True)
    signed = sign_policy(client, "Ada Lovelace")
    assert signed.status_code == 303
    receipt = client.get(signed.headers["Location"]).get_data(as_text=True)
    assert "Ada Lovelace" in receipt

    with app.app_context():
        uniquifier = db.session.scalar(sa.select(security.User.fs_uniquifier).where(
            security.User.email == "ada@lakeside.example"))  # fmt: skip
    change = client.get("/change").get_data(as_text=True)
    changed = client.post(
        "/change",
        data={
            "password": "first-Passw0rd!",
            "new_password": "second-Passw0rd!",
            "new_password_confirm": "second-Passw0rd!",
            "csrf_token": csrf_token(change),
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)
    with app.app_context():
        db.session.expire_all()
        assert db.session.scalar(sa.select(security.User.fs_uniquifier).where(
            security.User.email == "ada@lakeside.example")) != uniquifier  # fmt: skip

    # Signed out (POST, with the token), then in again with the new password.
    page = client.get("/compliance/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    after = sign_in(client, "ada@lakeside.example", "second-Passw0rd!").get_data(as_text=True)

    assert "Current" in after and "Read and sign version 1" not in after
    assert 'Receipt<span class="smattest-vh"> for Social Media Policy version 1' in after
    with app.app_context():
        people = staff_rows(db)
        assert [(s.external_id, s.full_name, s.active) for s in people] == [
            (str(people[0].external_id), "Ada Lovelace", True),
            (str(people[1].external_id), "Hana Okafor", True),
        ]
        assert len({a.staff_id for a in db.session.scalars(sa.select(Attestation))}) == 1
        assert audit.verify().ok

    # A full re-import of the same roster deactivates nobody.
    again = app.test_cli_runner().invoke(
        args=["smattest", "roster", "import", str(app.roster_file)]
    )
    assert again.exit_code == 0, again.output
    assert re.search(r"deactivated\s+0", again.output), again.output
    with app.app_context():
        assert all(s.active for s in staff_rows(db))


@all_databases
def test_flask_security_host_hr_by_role_sees_the_person_once_in_people_and_export(lakeside):
    app = lakeside
    ada_client = app.test_client()
    sign_in(ada_client, "ada@lakeside.example", "first-Passw0rd!")
    sign_policy(ada_client, "Ada Lovelace")
    ada = app.test_client()
    sign_in(ada, "ada@lakeside.example", "first-Passw0rd!")
    assert ada.get("/compliance/hr/").status_code == 403

    hr = app.test_client()
    dashboard = sign_in(hr, "hana@lakeside.example", "hr-Passw0rd!", next_path="/compliance/hr/")

    assert dashboard.status_code == 200
    people = hr.get("/compliance/hr/people").get_data(as_text=True)
    assert people.count("Ada Lovelace") == 1
    export = hr.get("/compliance/hr/exports/status.csv").get_data(as_text=True)
    ada_lines = [line for line in export.splitlines() if "Ada Lovelace" in line]
    assert len(ada_lines) == 1 and "current" in ada_lines[0]


def test_flask_security_host_token_login_reaches_smattest_pages(lakeside):
    app = lakeside
    client = app.test_client()
    login = client.get("/login", headers={"Accept": "application/json"}).get_json()
    response = client.post(
        "/login?include_auth_token",
        json={"email": "ada@lakeside.example", "password": "first-Passw0rd!"},
        headers={"X-CSRF-Token": login["response"]["csrf_token"]},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    token = response.get_json()["response"]["user"]["authentication_token"]

    fresh = app.test_client(use_cookies=False)
    page = fresh.get("/compliance/", headers={"Authentication-Token": token})

    assert page.status_code == 200
    assert "Signed in as <strong>Ada Lovelace</strong>" in page.get_data(as_text=True)


@all_databases
def test_flask_security_host_an_expired_token_on_the_sign_form_gets_smatttests_page(lakeside):
    app = lakeside
    client = app.test_client()
    sign_in(client, "ada@lakeside.example", "first-Passw0rd!")

    response = client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Ada Lovelace", "csrf_token": "old"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>This form has expired</h1>" in page and "Nothing was recorded." in page
    assert 'href="/compliance/policies/social-media"' in page
    assert "Lakeside County intranet" in page  # inside the host's layout
    with app.app_context():
        assert security.db.session.scalars(sa.select(Attestation)).all() == []


def test_flask_security_host_without_an_anonymous_user_redirects_to_its_login(
    database_url, host_apps, freeze
):
    app = security.create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECURITY_ANONYMOUS_USER_DISABLED": True}
    )
    host_apps.append((app, security.db))
    migrate(app, security.db)
    publish_policy(app, freeze)
    with app.app_context():
        security.add_user("ada@lakeside.example", "Ada Lovelace", "first-Passw0rd!")
    client = app.test_client()

    for path in ("/compliance/", "/compliance/policies/social-media", "/compliance/hr/"):
        response = client.get(path)
        assert response.status_code == 302, (path, response.status_code)
        assert response.headers["Location"].startswith("/login?next="), path
    assert sign_in(client, "ada@lakeside.example", "first-Passw0rd!").status_code == 200


# -- plain Flask-Login ------------------------------------------------------------------------


@all_databases
def test_plain_flask_login_host_employee_and_hr_journeys(database_url, host_apps, freeze):
    app = plain.create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    host_apps.append((app, plain.db))
    migrate(app, plain.db)
    publish_policy(app, freeze)
    with app.app_context():
        plain.add_user("priya@agency.example", "Priya Raman", "priya-Passw0rd!")
        plain.add_user("hana@agency.example", "Hana Okafor", "hr-Passw0rd!", is_hr=True)
    employee = app.test_client()

    sign_in(employee, "priya@agency.example", "priya-Passw0rd!")
    signed = sign_policy(employee, "Priya Raman")

    assert signed.status_code == 303
    assert "Priya Raman" in employee.get(signed.headers["Location"]).get_data(as_text=True)
    expired = employee.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Priya Raman", "csrf_token": "old"},
    )
    assert expired.status_code == 400 and "This form has expired" in expired.get_data(as_text=True)
    page = employee.get("/compliance/").get_data(as_text=True)
    assert employee.post("/logout", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert employee.get("/compliance/").status_code == 302
    hr = app.test_client()
    sign_in(hr, "hana@agency.example", "hr-Passw0rd!", next_path="/compliance/hr/people")
    export = hr.get("/compliance/hr/exports/status.csv").get_data(as_text=True)
    assert [line for line in export.splitlines() if "Priya Raman" in line][0].count("current") == 1
    with app.app_context():
        assert [s.full_name for s in staff_rows(plain.db)] == ["Priya Raman"]


# -- a directory-backed host (profile loader) --------------------------------------------------


@pytest.fixture
def county(database_url, host_apps, freeze):
    directory.DIRECTORY.clear()
    app = directory.create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    host_apps.append((app, directory.db))
    migrate(app, directory.db)
    publish_policy(app, freeze)
    directory.add_person("jdoe", "Jordan Doe", "jordan.doe@county.example", "jordan-Passw0rd!")
    directory.add_person("hokafor", "Hana Okafor", "hana@county.example", "hr-Passw0rd!",
                         groups={"hr"})  # fmt: skip
    yield app
    directory.DIRECTORY.clear()


def sign_in_by_username(client, username: str, password: str, next_path: str = "/compliance/"):
    login_url = client.get(next_path).headers["Location"]
    form = client.get(login_url).get_data(as_text=True)
    response = client.post(
        login_url,
        data={"username": username, "password": password, "csrf_token": csrf_token(form)},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(next_path)
    return client.get(next_path)


@all_databases
def test_directory_host_reads_profiles_and_hr_groups_from_the_directory(county):
    app = county
    employee = app.test_client()

    home = sign_in_by_username(employee, "jdoe", "jordan-Passw0rd!").get_data(as_text=True)
    signed = sign_policy(employee, "Jordan Doe")

    assert "Signed in as <strong>Jordan Doe</strong>, Records." in home
    assert signed.status_code == 303
    assert employee.get("/compliance/hr/").status_code == 403
    hr = app.test_client()
    people = sign_in_by_username(hr, "hokafor", "hr-Passw0rd!", "/compliance/hr/people")
    assert people.status_code == 200 and "Jordan Doe" in people.get_data(as_text=True)
    with app.app_context():
        (jordan,) = [s for s in staff_rows(directory.db) if s.external_id == "jdoe"]
        assert (jordan.email, jordan.hire_date) == (
            "jordan.doe@county.example",
            dt.date(2021, 4, 1),
        )


def test_directory_host_a_renumbered_person_is_refused_then_linked_by_hr(county):
    app = county
    employee = app.test_client()
    sign_in_by_username(employee, "jdoe", "jordan-Passw0rd!")
    sign_policy(employee, "Jordan Doe")
    # The directory moves Jordan to a new uid; the old one is gone.
    entry = directory.DIRECTORY.pop("jdoe")
    entry.uid = "jordan.doe"
    directory.DIRECTORY["jordan.doe"] = entry
    renamed = app.test_client()

    refused = sign_in_by_username(renamed, "jordan.doe", "jordan-Passw0rd!")

    assert refused.status_code == 409
    assert "Your record is under another id" in refused.get_data(as_text=True)
    hr = app.test_client()
    listed = sign_in_by_username(hr, "hokafor", "hr-Passw0rd!", "/compliance/hr/identity")
    assert "jordan.doe" in listed.get_data(as_text=True)
    with app.app_context():
        (jordan,) = [s for s in staff_rows(directory.db) if s.external_id == "jdoe"]
        jordan_id = jordan.id
    form = hr.get(f"/compliance/hr/people/{jordan_id}/relink?new_id=jordan.doe")
    linked = hr.post(
        f"/compliance/hr/people/{jordan_id}/relink",
        data={"new_id": "jordan.doe", "reason": "Directory renamed uids",
              "csrf_token": csrf_token(form.get_data(as_text=True))},
    )  # fmt: skip
    assert linked.status_code == 303
    home = renamed.get("/compliance/").get_data(as_text=True)
    assert "Signed in as <strong>Jordan Doe</strong>" in home and "Current" in home
    with app.app_context():
        assert audit.verify().ok
        assert [s.external_id for s in staff_rows(directory.db)] == ["jordan.doe"]


def test_flask_security_host_without_smattest_user_id_is_warned_at_start_and_first_visit(
    database_url, host_apps, freeze, caplog
):
    caplog.set_level(logging.WARNING, logger="smattest.people.identity")
    app = security.create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SMATTEST_USER_ID": None})
    host_apps.append((app, security.db))
    assert any("SMATTEST_USER_ID is not set" in r.getMessage() for r in caplog.records)
    migrate(app, security.db)
    with app.app_context():
        security.add_user("ada@lakeside.example", "Ada Lovelace", "first-Passw0rd!")
    caplog.clear()

    sign_in(app.test_client(), "ada@lakeside.example", "first-Passw0rd!")

    (warning,) = [r.getMessage() for r in caplog.records if "fs_uniquifier" in r.getMessage()]
    assert "Set SMATTEST_USER_ID = lambda user: str(user.id)" in warning
