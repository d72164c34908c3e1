"""HR records a paper-form signature on someone's behalf: same chain, with who and why."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from smattest.attest import AttestationError, attest, attest_on_behalf
from smattest.evidence import chain as evidence
from smattest.models import POLICY, Attestation, ChainHead, HREvent, Staff
from smattest.publishing.policies import publish
from smattest.rule import compliance
from smattest.signals import attestation_recorded

from . import hostapp
from .conftest import all_databases
from .html import error_summary_links

pytestmark = [pytest.mark.policy(now="2026-05-04T09:00:00+00:00"), pytest.mark.hr_on_roster]

POLICY_TEXT = "# Social Media Policy\n\nNever post anything that could identify a client.\n"
REASON = "Signed paper form on 3 May; no computer access at the depot."


@pytest.fixture
def worker(make_staff):
    """A depot worker on the roster, without an intranet account."""
    (staff_id,) = make_staff(1, full_name="Dmitri Volkov", department="Facilities")
    return hostapp.db.session.get(Staff, staff_id)


def rows(model):
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(model).order_by(model.id)).all()


def post(client, staff, **fields):
    data = {"policy": "social-media", "signature": "Dmitri Volkov", "reason": REASON}
    data.update(fields)
    return client.post(f"/compliance/hr/people/{staff.id}/attest", data=data)


def test_the_form_offers_the_policies_in_force_with_their_version(
    client, policy_version, hr, worker
):
    publish("future-policy", "Future Policy", "# Later\n\nNot yet.\n", "First.",
            effective=dt.date(2026, 9, 1))  # fmt: skip

    page = client.get(f"/compliance/hr/people/{worker.id}/attest").get_data(as_text=True)

    assert "Record an attestation on behalf of Dmitri Volkov" in page
    assert '<option value="social-media">Social Media Policy (version 1)</option>' in page
    assert "Future Policy" not in page
    for field in ("smattest-policy", "smattest-signature", "smattest-reason"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page


def test_recording_adds_an_on_behalf_row_to_the_chain_with_reason_and_recorder(
    client, policy_version, hr, worker
):
    response = post(client, worker, signature="  dmitri   VOLKOV ", **{"reason": f"  {REASON} "})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/compliance/hr/people/{worker.id}"
    (row,) = rows(Attestation)
    assert (row.staff_id, row.policy_version_id, row.method) == (
        worker.id,
        policy_version.id,
        "on_behalf",
    )
    assert (row.reason, row.recorded_by, row.signature) == (REASON, str(hr.id), "dmitri VOLKOV")
    assert (row.ip_address, row.user_agent) == (None, None)
    assert row.text_sha256 == policy_version.text_sha256
    assert row.attested_at == dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    assert row.record_hash == evidence.record_hash(row)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Recorded Dmitri Volkov&#39;s signature on the Social Media Policy, version 1, "
        "on their behalf."
    ) in page


def test_the_hr_event_names_the_recorder_and_their_address(client, policy_version, hr, worker):
    post(client, worker)

    (event,) = rows(HREvent)
    assert (event.actor, event.action, event.staff_id) == (str(hr.id), "attestation.on_behalf",
                                                           worker.id)  # fmt: skip
    assert event.detail == f"Social Media Policy, version 1: {REASON} (recorded from 127.0.0.1)"


def test_the_person_becomes_current(client, policy_version, hr, worker):
    assert (
        compliance.standing(worker, POLICY, policy_version.policy_id).status == compliance.OVERDUE
    )

    post(client, worker)

    hostapp.db.session.expire_all()
    standing = compliance.standing(worker, POLICY, policy_version.policy_id)
    assert (standing.status, standing.due_date) == (compliance.CURRENT, dt.date(2027, 5, 4))


def test_recording_twice_keeps_one_row_and_says_so(client, policy_version, hr, worker):
    post(client, worker)
    again = post(client, worker)

    assert again.status_code == 303
    assert len(rows(Attestation)) == 1 and len(rows(HREvent)) == 1
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert (
        "Dmitri Volkov is already current on version 1 of the Social Media Policy; "
        "nothing new was recorded."
    ) in page


def test_attestation_recorded_is_sent_after_commit(app, client, policy_version, hr, worker):
    seen = []

    def receiver(sender, attestation):
        committed = hostapp.db.session.execute(
            sa.select(Attestation.method).where(Attestation.id == attestation.id)
        ).scalar()
        seen.append((sender, attestation.reason, committed))

    with attestation_recorded.connected_to(receiver, app):
        post(client, worker)

    assert seen == [(app, REASON, "on_behalf")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reason": "   "}, 'Give the reason you are recording this for them, '
                            'e.g. "signed paper form on 3 May".'),
        ({"reason": "x" * 2001}, "The reason is 2001 characters long; keep it to 2000 at most."),
        ({"signature": ""}, "Type the signature as it is on the paper form."),
        ({"signature": "D. Volkov"}, "The signature must be the person's full name as HR has it: "
                                     "Dmitri Volkov. Check the paper form belongs to this person."),
        ({"policy": ""}, "Choose the policy they signed."),
        ({"policy": "no-such-policy"}, "There is no policy 'no-such-policy'."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_message_and_nothing_recorded(
    client, policy_version, hr, worker, fields, message
):
    response = post(client, worker, **fields)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and "Nothing was recorded" in page
    assert _escaped(message) in page
    assert rows(Attestation) == [] and rows(HREvent) == []


def test_every_problem_is_listed_at_once_and_the_form_keeps_its_values(
    client, policy_version, hr, worker
):
    response = post(client, worker, signature="D. Volkov", reason="  ")

    page = response.get_data(as_text=True)
    assert error_summary_links(page) == [
        ("#smattest-signature", "The signature must be the person's full name as HR has it: "
                                "Dmitri Volkov. Check the paper form belongs to this person."),
        ("#smattest-reason", 'Give the reason you are recording this for them, e.g. "signed '
                             'paper form on 3 May".'),
    ]  # fmt: skip
    assert 'name="signature" value="D. Volkov"' in page
    assert '<option value="social-media" selected>' in page
    assert rows(Attestation) == []


def _escaped(message: str) -> str:
    return message.replace("&", "&amp;").replace('"', "&#34;").replace("'", "&#39;")


def test_a_policy_not_yet_in_force_is_refused(client, policy_version, hr, worker):
    publish("future-policy", "Future Policy", "# Later\n\nNot yet.\n", "First.",
            effective=dt.date(2026, 9, 1))  # fmt: skip

    response = post(client, worker, policy="future-policy", signature="Dmitri Volkov")

    assert response.status_code == 400
    assert (
        "The Future Policy has no version in force yet, so there is nothing to attest to."
        in response.get_data(as_text=True)
    )
    assert rows(Attestation) == []


def test_an_inactive_person_cannot_have_anything_recorded(client, policy_version, hr, worker):
    worker.active = False
    hostapp.db.session.commit()

    response = post(client, worker)

    assert response.status_code == 400
    assert "Dmitri Volkov is marked inactive, so nothing can be recorded for them." in (
        response.get_data(as_text=True)
    )
    assert rows(Attestation) == [] and rows(HREvent) == []


def test_hr_cannot_record_their_own_attestation(client, policy_version, hr):
    me = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(hr.id)))

    response = post(client, me, signature="Hana Okafor")

    assert response.status_code == 400
    assert (
        "You cannot record an attestation on your own behalf: sign it yourself on the "
        "policy page, or another HR person must do it." in response.get_data(as_text=True)
    )
    assert rows(Attestation) == []
    # Nor is the form offered to them: the page says why before anything is filled in.
    page = client.get(f"/compliance/hr/people/{me.id}/attest").get_data(as_text=True)
    assert "This is your own record: you cannot record your own attestation" in page
    assert 'name="signature"' not in page


def test_an_error_leaves_the_chain_head_untouched(app, policy_version, hr, worker):
    with pytest.raises(AttestationError):
        attest_on_behalf(worker, "social-media", "Dmitri Volkov", "", recorded_by=str(hr.id))

    head = hostapp.db.session.get(ChainHead, 1, populate_existing=True)
    assert (head.last_seq, head.last_hash) == (0, "")


def test_html_in_the_reason_and_signature_renders_as_text(client, policy_version, hr, make_staff):
    (staff_id,) = make_staff(1, full_name="Eve <script>alert(1)</script>")
    staff = hostapp.db.session.get(Staff, staff_id)

    post(client, staff, signature="Eve <script>alert(1)</script>", reason="<b>paper</b> form")

    page = client.get(f"/compliance/hr/people/{staff_id}").get_data(as_text=True)
    assert "<script>" not in page and "<b>paper</b>" not in page
    assert "Eve &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;paper&lt;/b&gt; form" in page


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_a_post_without_the_csrf_token_records_nothing(client, policy_version, hr, worker):
    response = post(client, worker)

    assert response.status_code == 400
    assert "This form has expired. Nothing was recorded" in response.get_data(as_text=True)
    assert rows(Attestation) == [] and rows(HREvent) == []
    form = client.get(f"/compliance/hr/people/{worker.id}/attest").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert post(client, worker, csrf_token=token).status_code == 303
    assert len(rows(Attestation)) == 1


def test_an_employee_gets_403_and_a_visitor_is_sent_to_sign_in(
    client, policy_version, login_as, worker
):
    assert client.get(f"/compliance/hr/people/{worker.id}/attest").status_code == 302
    login_as(name="Sam Ordinary", is_hr=False)

    assert client.get(f"/compliance/hr/people/{worker.id}/attest").status_code == 403
    assert post(client, worker).status_code == 403
    assert rows(Attestation) == []


def test_an_unknown_person_is_not_found(client, policy_version, hr):
    assert client.get("/compliance/hr/people/999999/attest").status_code == 404


@all_databases
def test_on_behalf_and_self_attestations_share_one_chain_that_verifies(
    client, runner, policy_version, hr, worker, make_user
):
    colleague_user = make_user(name="Priya Raman")
    client.post(f"/login/{colleague_user.id}")
    client.get("/compliance/")
    colleague = hostapp.db.session.scalar(
        sa.select(Staff).where(Staff.external_id == str(colleague_user.id))
    )
    attest(colleague, "social-media", 1, "Priya Raman", ip_address="10.1.2.3")
    recorded = attest_on_behalf(
        worker, "social-media", "Dmitri Volkov", REASON, recorded_by=str(hr.id)
    )

    first, second = rows(Attestation)
    assert (first.method, second.method) == ("self", "on_behalf")
    assert second.id == recorded.attestation.id
    assert (second.chain_seq, second.prev_hash) == (2, first.record_hash)
    assert (second.reason, second.recorded_by) == (REASON, str(hr.id))
    result = runner.invoke(args=["smattest", "audit", "verify"])
    assert (result.exit_code, result.output) == (
        0, f"OK: 2 evidence rows, head {second.record_hash}\n"
    )  # fmt: skip


def test_the_form_asks_for_the_day_on_the_paper_defaulting_to_today(
    client, policy_version, hr, worker
):
    page = client.get(f"/compliance/hr/people/{worker.id}/attest").get_data(as_text=True)

    assert '<label for="smattest-signed-on">Signed on paper on</label>' in page
    assert 'type="date" id="smattest-signed-on" name="signed_on" max="2026-05-04"' in page
    assert 'value="2026-05-04" required' in page


def test_a_form_signed_on_an_earlier_day_counts_from_that_day_and_shows_both_days(
    app, client, policy_version, hr, worker, runner
):
    """Signed on paper on 24 April, recorded on 4 May: evidence of 24 April (noon, local)."""
    response = post(client, worker, signed_on="2026-04-24")

    assert response.status_code == 303
    (row,) = rows(Attestation)
    assert row.attested_at == dt.datetime(2026, 4, 24, 12, 0, tzinfo=dt.UTC)  # UTC agency
    assert row.recorded_at == dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    assert row.record_hash == evidence.record_hash(row)
    (standing,) = compliance.person_standings(hostapp.db.session.get(Staff, worker.id))
    assert standing.due_date == dt.date(2027, 4, 24)

    export = client.get("/compliance/hr/exports/status.csv").get_data(as_text=True)
    (line,) = [line for line in export.splitlines() if "Dmitri Volkov" in line]
    header = export.splitlines()[0].split(",")
    assert dict(zip(header, line.split(","), strict=False))["last_done_at"].startswith("2026-04-24")

    person = client.get(f"/compliance/hr/people/{worker.id}").get_data(as_text=True)
    assert "On paper, on 24 April 2026; recorded 4 May 2026, 09:00" in person
    (hr_event,) = [e for e in rows(HREvent) if e.action == "attestation.on_behalf"]
    assert "signed on paper on 24 April 2026" in hr_event.detail

    evidence_csv = client.get("/compliance/hr/exports/evidence.csv").get_data(as_text=True)
    header = evidence_csv.splitlines()[0].split(",")
    assert "recorded_at_utc" in header
    assert runner.invoke(args=["smattest", "audit", "verify"]).exit_code == 0


def test_the_receipt_shows_the_day_on_the_paper_and_the_day_recorded(
    client, policy_version, hr, worker, login_as, make_user
):
    user = make_user(name="Dmitri Volkov")
    hostapp.db.session.get(Staff, worker.id).external_id = str(user.id)
    hostapp.db.session.commit()
    post(client, worker, signed_on="2026-04-24")
    (row,) = rows(Attestation)

    login_as(user)
    page = client.get(f"/compliance/receipts/{row.chain_seq}").get_data(as_text=True)

    assert "<dt>Signed</dt><dd>On paper, on 24 April 2026</dd>" in page
    assert "<dt>Recorded</dt><dd>4 May 2026, 09:00" in page


@pytest.mark.parametrize(
    ("signed_on", "message"),
    [
        ("2026-05-05", "The day on the paper, 5 May 2026, is in the future: write the day "
                       "the form was signed, today (4 May 2026) at the latest."),
        ("2026-02-27", "The day on the paper, 27 February 2026, is before version 1 of the "
                       "Social Media Policy took effect (1 March 2026): a paper form of an "
                       "earlier version is paper-era evidence (Exports → Import past evidence)."),
        ("", "The day on the paper is missing"),
        ("last week", "The day on the paper: 'last week' is not a date this form can read"),
    ],
)  # fmt: skip
def test_a_day_on_the_paper_that_cannot_be_is_refused(
    client, policy_version, hr, worker, signed_on, message
):
    response = post(client, worker, signed_on=signed_on)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _escaped(message) in page
    assert rows(Attestation) == []


@pytest.mark.tampers
def test_the_day_it_was_recorded_is_hashed_so_editing_it_is_caught(
    client, policy_version, hr, worker, runner, tmp_path
):
    """Format 3: the row commits to when HR recorded it, in the database and offline."""
    import csv
    import io
    import subprocess
    import sys

    from smattest.evidence import export as evidence_export

    post(client, worker, signed_on="2026-04-24")
    (row,) = rows(Attestation)
    assert row.format == 3
    assert runner.invoke(args=["smattest", "audit", "verify"]).exit_code == 0
    exported = tmp_path / "evidence.csv"
    exported.write_text("".join(evidence_export.evidence_csv()), encoding="utf-8", newline="")
    offline = subprocess.run([sys.executable, "-m", "smattest.verify", str(exported)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert offline.returncode == 0, offline.stdout + offline.stderr

    text = exported.read_text(encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    lines[0]["recorded_at_utc"] = "2026-04-25T09:00:00.000000+00:00"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(lines[0]))
    writer.writeheader()
    writer.writerows(lines)
    exported.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")
    offline = subprocess.run([sys.executable, "-m", "smattest.verify", str(exported)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    assert offline.returncode == 1, offline.stdout

    hostapp.db.session.execute(
        sa.update(Attestation).values(recorded_at=dt.datetime(2026, 4, 25, 9, tzinfo=dt.UTC))
    )
    hostapp.db.session.commit()
    verified = runner.invoke(args=["smattest", "audit", "verify"])
    assert verified.exit_code == 1
    assert f"attestation #{row.id} at chain position {row.chain_seq} was altered" in verified.output
