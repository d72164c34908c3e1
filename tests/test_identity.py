"""Who a signed-in person is: SMATTEST_USER_ID, refused first visits, names, host settings."""

import datetime as dt
import logging

import pytest
import sqlalchemy as sa
from flask_wtf.csrf import CSRFProtect

from smattest import ConfigurationError
from smattest.models import Attestation, Exemption, Staff, UnlinkedSignIn
from smattest.publishing.policies import publish

from . import hostapp
from .conftest import all_databases, create_tables

POLICY_TEXT = "# Social Media Policy\n\nNever post anything that could identify a client.\n"


def staff_rows() -> list[Staff]:
    hostapp.db.session.expire_all()
    return list(hostapp.db.session.scalars(sa.select(Staff).order_by(Staff.id)))


def sign(client, signature):
    data = {"version": "1", "signature": signature, "agree": "y"}
    return client.post("/compliance/policies/social-media/attest", data=data)


# -- SMATTEST_USER_ID -----------------------------------------------------------------------


@pytest.mark.settings(SMATTEST_USER_ID=lambda user: f"E{user.id:05d}")
def test_people_and_hr_acts_are_linked_by_smattest_user_id(
    client, login_as, make_user, policy_version
):
    hr = login_as(name="Hana Okafor", is_hr=True)
    client.get("/compliance/")
    ada = make_user(name="Ada Lovelace")
    login_as(ada)
    client.get("/compliance/")
    login_as(hr)
    (ada_row,) = [s for s in staff_rows() if s.full_name == "Ada Lovelace"]

    granted = client.post(
        f"/compliance/hr/people/{ada_row.id}/exemptions/new",
        data={
            "requirement": f"policy:{policy_version.policy_id}",
            "reason": "Leave",
            "open_ended": "y",
        },
    )

    assert granted.status_code == 303
    assert {s.external_id for s in staff_rows()} == {f"E{hr.id:05d}", f"E{ada.id:05d}"}
    (exemption,) = hostapp.db.session.scalars(sa.select(Exemption))
    assert exemption.granted_by == f"E{hr.id:05d}"
    page = client.get(f"/compliance/hr/people/{ada_row.id}").get_data(as_text=True)
    assert "by Hana Okafor" in page


def test_smattest_user_id_must_be_callable(make_app):
    with pytest.raises(ConfigurationError, match="SMATTEST_USER_ID = 'id' is not valid"):
        make_app(SMATTEST_USER_ID="id")


@pytest.mark.settings(SMATTEST_USER_ID=lambda user: None)
def test_an_id_that_comes_back_empty_is_an_error_not_a_record(client, login_as):
    with pytest.raises(ValueError, match="SMATTEST_USER_ID gave no id"):
        login_as(name="Ada Lovelace")
        client.get("/compliance/")
    assert staff_rows() == []


# -- a first visit under a new id with a known email ------------------------------------------


@all_databases
def test_a_first_visit_under_a_new_id_with_a_known_email_is_refused_and_listed_for_hr(
    client, login_as, make_user, make_staff, policy_version
):
    (known_id,) = make_staff(1, external_id="E-100", full_name="Ada Lovelace",
                             email="ada@agency.example")  # fmt: skip
    ada = make_user(name="Ada Lovelace", email="ADA@agency.example")

    login_as(ada)
    first = client.get("/compliance/")
    again = client.get("/compliance/policies/social-media")

    assert first.status_code == again.status_code == 409
    page = first.get_data(as_text=True)
    assert "Your record is under another id" in page
    assert "HR has been told and can link your new sign-in to your record" in page
    assert [s.external_id for s in staff_rows()] == ["E-100"]
    (waiting,) = hostapp.db.session.scalars(sa.select(UnlinkedSignIn))
    assert (waiting.external_id, waiting.staff_id, waiting.email, waiting.visits) == (
        str(ada.id), known_id, "ada@agency.example", 2
    )  # fmt: skip

    login_as(name="Hana Okafor", is_hr=True)
    dashboard = client.get("/compliance/hr/").get_data(as_text=True)
    assert "1 sign-in under a new id was refused" in dashboard
    listed = client.get("/compliance/hr/identity").get_data(as_text=True)
    assert f'<th scope="row">{ada.id}</th>' in listed and "ada@agency.example" in listed
    assert f"/compliance/hr/people/{known_id}/relink?new_id={ada.id}" in listed
    person = client.get(f"/compliance/hr/people/{known_id}").get_data(as_text=True)
    assert f"Link {ada.id} to Ada Lovelace" in person


def test_a_known_email_on_an_inactive_record_does_not_block_a_new_record(
    client, login_as, make_user, make_staff
):
    make_staff(1, external_id="E-100", email="ada@agency.example", active=False)
    login_as(make_user(name="Ada Lovelace", email="ada@agency.example"))

    assert client.get("/compliance/").status_code == 200
    assert len(staff_rows()) == 2


# -- no name from the host: a warning, a notice, never an email as a signature -----------------


@pytest.mark.settings(
    SMATTEST_USER_FIELDS={"email": "email", "full_name": "display_name"},
)
def test_a_missing_name_field_is_logged_once_shown_to_hr_and_never_signed_with(
    client, login_as, policy_version, caplog
):
    caplog.set_level(logging.WARNING, logger="smattest.people.identity")
    login_as(name="Grace Hopper", email="grace.hopper@lakeside.example")

    page = client.get("/compliance/").get_data(as_text=True)
    client.get("/compliance/")

    warnings = [r.getMessage() for r in caplog.records if "name" in r.getMessage()]
    assert len(warnings) == 1
    assert "SMATTEST_USER_FIELDS['full_name'] = 'display_name'" in warnings[0]
    assert "HR does not have your name on record yet" in page
    form = client.get("/compliance/policies/social-media").get_data(as_text=True)
    assert "type your full name as you would sign it" in form
    refused = sign(client, "grace.hopper@lakeside.example")
    assert refused.status_code == 400
    assert "not an email address" in refused.get_data(as_text=True)
    assert hostapp.db.session.scalars(sa.select(Attestation)).all() == []

    signed = sign(client, "Grace Hopper")

    assert signed.status_code == 303
    (row,) = hostapp.db.session.scalars(sa.select(Attestation))
    assert row.signature == "Grace Hopper"
    login_as(name="Hana Okafor", is_hr=True)
    notices = client.get("/compliance/hr/").get_data(as_text=True)
    assert "1 active person has no name on record" in notices
    assert "grace.hopper@lakeside.example" in client.get("/compliance/hr/identity").get_data(
        as_text=True
    )


@pytest.mark.settings(SMATTEST_PROFILE_LOADER=lambda user: {"email": user.email})
def test_a_profile_loader_without_a_name_is_named_in_the_warning(client, login_as, caplog):
    caplog.set_level(logging.WARNING, logger="smattest.people.identity")
    login_as(name="Grace Hopper")

    client.get("/compliance/")

    assert any(
        "SMATTEST_PROFILE_LOADER returned no 'full_name'" in r.getMessage() for r in caplog.records
    )


@pytest.mark.settings(SMATTEST_USER_FIELDS={"email": "email", "full_name": "display_name"})
def test_a_roster_name_is_kept_when_the_host_gives_none(client, login_as, make_user, make_staff):
    user = make_user(name="Grace H.", email="grace@agency.example")
    make_staff(1, external_id=str(user.id), full_name="Grace Hopper", email="grace@agency.example")
    login_as(user)

    page = client.get("/compliance/").get_data(as_text=True)

    assert "Signed in as <strong>Grace Hopper</strong>" in page
    assert "HR does not have your name" not in page


# -- the host's login settings -------------------------------------------------------------


def test_a_host_without_an_anonymous_user_object_sends_visitors_to_sign_in(make_app):
    # Flask-Security's SECURITY_ANONYMOUS_USER_DISABLED leaves current_user None.
    app = make_app()
    create_tables(app)
    anonymous = app.login_manager.anonymous_user
    app.login_manager.anonymous_user = lambda: None
    try:
        client = app.test_client()
        for method, path in [
            ("GET", "/compliance/"),
            ("GET", "/compliance/policies/social-media"),
            ("POST", "/compliance/policies/social-media/attest"),
            ("GET", "/compliance/hr/"),
            ("GET", "/compliance/team"),
        ]:
            response = client.open(path, method=method)
            assert response.status_code == 302, (method, path, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (method, path)
    finally:
        app.login_manager.anonymous_user = anonymous  # the host's LoginManager is shared


@all_databases
def test_an_expired_token_under_app_wide_csrf_protect_gets_the_form_expired_page(make_app, freeze):
    app = make_app(WTF_CSRF_ENABLED=True)
    CSRFProtect(app)
    create_tables(app)
    with app.app_context():
        freeze("2026-03-02T14:30:00+00:00")
        publish("social-media", "Social Media Policy", POLICY_TEXT, "First version.",
                effective=dt.date(2026, 3, 1))  # fmt: skip
        user = hostapp.User(name="Priya Raman", email="priya@agency.example")
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    assert client.get("/compliance/policies/social-media").status_code == 200

    response = client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Priya Raman", "csrf_token": "stale"},
        headers={"Referer": "http://localhost/compliance/policies/social-media"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>This form has expired</h1>" in page and "Nothing was recorded." in page
    assert 'href="/compliance/policies/social-media"' in page
    assert "Bad Request" not in page
    with app.app_context():
        assert hostapp.db.session.scalars(sa.select(Attestation)).all() == []
    # Without a Referer the way back is the nearest page the form belongs to.
    bare = client.post("/compliance/policies/social-media/attest", data={"version": "1"})
    assert 'href="/compliance/policies/social-media"' in bare.get_data(as_text=True)
