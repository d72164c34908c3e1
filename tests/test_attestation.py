"""Reading a policy, signing it, the receipt, and the evidence row behind it."""

import datetime as dt
import re
import threading

import pytest
import sqlalchemy as sa

from smattest.evidence import audit
from smattest.evidence import chain as evidence
from smattest.models import Attestation, Staff
from smattest.publishing.policies import publish, text_sha256
from smattest.signals import attestation_recorded

from . import hostapp
from .conftest import all_databases
from .html import error_summary_links

POLICY_TEXT = "# Social Media Policy\n\nNever post anything that could identify a client.\n"


@pytest.fixture
def employee(client, login_as):
    user = login_as(name="Priya Raman", department="Child Protection")
    client.get("/compliance/")
    return user


def attestations() -> list[Attestation]:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(Attestation).order_by(Attestation.id)).all()


def sign(client, signature="Priya Raman", agree="y", version="1", **headers):
    data = {"version": version, "signature": signature}
    if agree:
        data["agree"] = agree
    return client.post("/compliance/policies/social-media/attest", data=data, headers=headers)


def test_policy_page_shows_the_version_in_force_and_the_form(client, policy_version, employee):
    page = client.get("/compliance/policies/social-media").get_data(as_text=True)

    assert "<h1>Social Media Policy</h1>" in page
    assert "Never post anything that could identify a client." in page
    assert "<dt>Version</dt><dd>1</dd>" in page
    assert "1 March 2026" in page and "First version." in page
    assert (
        "I have read and understood version 1 of the Social Media Policy "
        "and I agree to comply with it."
    ) in page
    assert 'name="signature"' in page and 'type="checkbox"' in page


@pytest.mark.settings(SMATTEST_TIMEZONE="America/Chicago")
def test_signing_records_the_evidence_and_shows_a_receipt(client, policy_version, employee):
    response = sign(client, "  priya   RAMAN ", **{"User-Agent": "Firefox/140"})

    assert response.status_code == 303
    (row,) = attestations()
    assert response.headers["Location"] == f"/compliance/receipts/{row.chain_seq}"
    staff = hostapp.db.session.get(Staff, row.staff_id)
    assert staff.external_id == str(employee.id)
    assert row.policy_version_id == policy_version.id
    assert row.text_sha256 == text_sha256(POLICY_TEXT) == policy_version.text_sha256
    assert row.attested_at == dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
    assert (row.signature, row.method, row.ip_address, row.user_agent) == (
        "priya RAMAN", "self", "127.0.0.1", "Firefox/140"
    )  # fmt: skip
    assert (
        row.chain_seq == 1 and row.prev_hash == "" and row.record_hash == evidence.record_hash(row)
    )

    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you. Your signature is recorded" in receipt
    assert "Social Media Policy" in receipt
    assert "<dt>Version</dt><dd>1</dd>" in receipt
    assert "2 March 2026, 08:30 CST" in receipt  # 14:30 UTC in Chicago
    assert policy_version.text_sha256 in receipt
    # One number, in the address and on the page; where the copy went; what is owed next.
    assert f"<h1>Receipt number {row.chain_seq}</h1>" in receipt
    assert f"<dt>Receipt number</dt><dd>{row.chain_seq}</dd>" in receipt
    assert f"A copy of this receipt was emailed to {staff.email}." in receipt
    assert "You owe nothing else right now." in receipt


@pytest.mark.settings(SMATTEST_BASE_URL="http://localhost")
def test_receipt_is_emailed_to_the_employee(smtp_server, client, runner, policy_version, employee):
    sign(client)
    assert smtp_server.inbox.messages == []  # planned in the outbox, not sent by the request
    assert runner.invoke(args=["smattest", "mail", "send"]).exit_code == 0

    (message,) = smtp_server.inbox.to(employee.email)
    assert message["Subject"] == "Receipt: you signed Social Media Policy, version 1"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Version:  1" in text and policy_version.text_sha256 in text
    assert "2 March 2026, 14:30 UTC" in text
    (row,) = attestations()
    assert f"http://localhost/compliance/receipts/{row.chain_seq}" in text
    assert f"Receipt number: {row.chain_seq}" in text
    assert policy_version.text_sha256 in html


def test_signature_must_match_the_name_on_record(client, policy_version, employee):
    response = sign(client, "P. Raman")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was recorded" in page
    assert "The signature must be your full name as HR has it: Priya Raman." in page
    assert attestations() == []


def test_the_box_must_be_ticked_and_a_name_typed(client, policy_version, employee):
    response = sign(client, signature="", agree=None)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tick the box to confirm you have read and understood the policy." in page
    assert "Type your full name to sign." in page
    assert attestations() == []


def test_every_problem_is_listed_at_once_linked_to_its_field(client, policy_version, employee):
    response = sign(client, signature="", agree=None)

    page = response.get_data(as_text=True)
    assert error_summary_links(page) == [
        ("#smattest-agree", "Tick the box to confirm you have read and understood the policy."),
        ("#smattest-signature", "Type your full name to sign."),
    ]
    assert 'id="smattest-error-summary" role="alert" tabindex="-1" autofocus' in page
    assert 'id="smattest-agree" name="agree" value="y" aria-invalid="true"' in page


def test_a_refused_signature_keeps_what_was_typed_and_the_tick(client, policy_version, employee):
    response = sign(client, signature="P. Raman")

    page = response.get_data(as_text=True)
    assert error_summary_links(page) == [(
        "#smattest-signature",
        "The signature must be your full name as HR has it: Priya Raman. Nothing was recorded.",
    )]  # fmt: skip
    assert 'name="signature" value="P. Raman"' in page
    assert 'name="agree" value="y" checked' in page


@pytest.mark.parametrize(
    ("full_name", "typed"),
    [
        ("Lucía Ramírez", "Lucia Ramirez"),
        ("Lucía Ramírez", "  LUCIA   ramírez "),
        ("Lucia Ramirez", "Lucía Ramírez"),
        ("Zoë Ångström-Nuñez", "zoe angstrom-nunez"),
        ("Đặng Thị Hương", "Đang Thi Huong"),
    ],
)
def test_a_signature_may_leave_out_accents_and_is_stored_as_typed(
    client, policy_version, login_as, full_name, typed
):
    login_as(name=full_name)
    client.get("/compliance/")

    assert sign(client, signature=typed).status_code == 303
    (row,) = attestations()
    assert row.signature == " ".join(typed.split())


@pytest.mark.parametrize(
    "typed",
    [
        "Luсia Ramirez",  # a Cyrillic "с"
        "Lucia Ram\u200birez",  # a zero-width space
        "Ｌｕｃｉａ Ｒａｍｉｒｅｚ",  # full-width letters
        "Lucia Ramires",
        "LuciaRamirez",
    ],
)
def test_only_case_spaces_and_accents_are_forgiven(client, policy_version, login_as, typed):
    login_as(name="Lucía Ramírez")
    client.get("/compliance/")

    response = sign(client, signature=typed)

    assert response.status_code == 400
    assert attestations() == []


def test_a_version_replaced_since_the_page_was_read_is_refused(
    client, policy_version, employee, freeze
):
    freeze("2026-03-03T09:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT + "New rule.\n", "New rule.")

    response = sign(client, version="1")

    assert response.status_code == 400
    assert "Version 1 of the Social Media Policy is no longer current: version 2 replaced it." in (
        response.get_data(as_text=True)
    )
    assert attestations() == []


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_a_post_without_the_forms_csrf_token_records_nothing(client, policy_version, employee):
    response = sign(client)

    assert response.status_code == 400
    assert "This form has expired. Nothing was recorded" in response.get_data(as_text=True)
    assert attestations() == []
    form = client.get("/compliance/policies/social-media").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    ok = client.post(
        "/compliance/policies/social-media/attest",
        data={"csrf_token": token, "version": "1", "agree": "y", "signature": "Priya Raman"},
    )
    assert ok.status_code == 303 and len(attestations()) == 1


def test_double_submit_records_one_attestation(client, policy_version, employee):
    first = sign(client)
    second = sign(client)

    assert len(attestations()) == 1
    assert first.headers["Location"] == second.headers["Location"]
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "You had already signed this version" in page


def test_another_persons_receipt_is_not_found(client, policy_version, employee, login_as):
    receipt_url = sign(client).headers["Location"]
    login_as(name="Tom Baker")

    assert client.get(receipt_url).status_code == 404
    assert client.get("/compliance/receipts/999").status_code == 404


def test_my_compliance_shows_current_and_the_receipt_after_signing(
    client, policy_version, employee
):
    sign(client)

    page = client.get("/compliance/").get_data(as_text=True)

    assert "Current" in page and "Due 2 March 2027." in page
    assert "Read and sign" not in page
    assert "2 March 2026, 14:30 UTC" in page
    (row,) = attestations()
    assert f'href="/compliance/receipts/{row.chain_seq}"' in page


def test_attestation_recorded_is_sent_after_commit(app, client, policy_version, employee):
    seen = []

    def receiver(sender, attestation):
        # A separate connection sees the row: the signal comes after the commit.
        with hostapp.db.engine.connect() as conn:
            count = conn.scalar(sa.text("SELECT count(*) FROM smattest_attestation"))
        seen.append((sender, attestation.signature, count))

    with attestation_recorded.connected_to(receiver, app):
        sign(client)
        sign(client)  # already signed: no second signal

    assert seen == [(app, "Priya Raman", 1)]


@all_databases
def test_twenty_simultaneous_posts_record_one_attestation(make_app, database_url):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 5})
    from .conftest import create_tables

    create_tables(app)
    with app.app_context():
        publish("social-media", "Social Media Policy", POLICY_TEXT, "First.")
        user = hostapp.User(name="Priya Raman", email="priya@agency.example")
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        user_id = user.id
    clients = [app.test_client() for _ in range(20)]
    for c in clients:
        c.post(f"/login/{user_id}")
    clients[0].get("/compliance/")
    barrier = threading.Barrier(20)
    statuses = []

    def post(c):
        barrier.wait()
        try:
            statuses.append(sign(c).status_code)
        except Exception as error:  # a lost thread must fail the test, with its reason
            statuses.append(repr(error))

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses == [303] * 20
    with app.app_context():
        assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Attestation)) == 1
        assert audit.verify().ok


def test_a_tampered_version_field_is_refused_with_a_message(client, policy_version, employee):
    response = sign(client, version="one")

    assert response.status_code == 400
    assert "The form did not say which version you read. Nothing was recorded" in (
        response.get_data(as_text=True)
    )
    assert attestations() == []
