"""HR's Exports page and its two downloads: what HR sees, gets, and what is logged."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import Attestation, HREvent, Staff
from smattest.publishing.policies import publish

from . import hostapp
from .html import Elements

BOM = "\ufeff"


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")[len(BOM) :], newline="")))


def events() -> list[tuple[str, str, str]]:
    hostapp.db.session.expire_all()
    return [
        (e.actor, e.action, e.detail)
        for e in hostapp.db.session.scalars(sa.select(HREvent).order_by(HREvent.id))
    ]


@pytest.fixture
def signed(app, freeze):
    """Two people; Ruth signed on 2 March, Tom never did. Today is 20 April 2026."""
    freeze("2026-03-01T09:00:00+00:00")
    publish("social-media", "Social Media Policy", "Be careful online.", "First.")
    ruth = Staff(external_id="E1", full_name="Ruth Park", email="ruth@agency.example")
    tom = Staff(external_id="E2", full_name="Tom Reyes", email="tom@agency.example")
    hostapp.db.session.add_all([ruth, tom])
    hostapp.db.session.commit()
    freeze("2026-03-02T10:00:00+00:00")
    attest(ruth, "social-media", 1, "Ruth Park")
    freeze("2026-04-20T09:00:00+00:00")


def test_exports_page_explains_both_exports_with_a_labelled_date_form(signed, client, hr):
    response = client.get("/compliance/hr/exports")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Exports for audits</h1>" in page
    assert "Status of everyone" in page and "today's roster" in page
    assert "Every signature and training completion ever recorded (1 so far)" in page
    assert "flask smattest audit verify" in page
    assert '<form method="get" action="/compliance/hr/exports/status.csv"' in page
    assert '<label for="smattest-as-of">As of (optional)</label>' in page
    assert 'type="date" id="smattest-as-of" name="as_of" value=""' in page
    assert "A day in the past, written like 20 April 2026 or 2026-04-20." in page
    assert 'href="/compliance/hr/exports/evidence.csv"' in page
    assert not Elements(page).has_handler_or_script()


def test_status_download_streams_a_csv_attachment_named_for_today(signed, client, hr):
    response = client.get("/compliance/hr/exports/status.csv")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="smattest-status-2026-04-20.csv"'
    )
    rows = {r["full_name"]: r for r in read_csv(response.get_data())}
    assert (rows["Ruth Park"]["status"], rows["Tom Reyes"]["status"]) == ("current", "overdue")


def test_status_as_of_a_past_day_is_named_and_judged_for_that_day(signed, client, hr):
    response = client.get("/compliance/hr/exports/status.csv?as_of=2026-03-01")

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="smattest-status-2026-03-01.csv"'
    )
    rows = {r["full_name"]: r for r in read_csv(response.get_data())}
    # Ruth signed on 2 March: on 1 March she still owed it, like Tom.
    assert (rows["Ruth Park"]["status"], rows["Tom Reyes"]["status"]) == ("due_soon", "due_soon")


def test_a_status_download_is_logged_with_who_and_which_day(signed, client, hr):
    client.get("/compliance/hr/exports/status.csv?as_of=2026-03-15").get_data()

    assert events() == [(str(hr.id), "export.status", "as_of=2026-03-15")]


def test_evidence_download_ends_with_the_chain_head_and_is_logged(signed, client, hr):
    response = client.get("/compliance/hr/exports/evidence.csv")

    assert response.headers["Content-Disposition"] == (
        'attachment; filename="smattest-evidence-2026-04-20.csv"'
    )
    (signature, head) = read_csv(response.get_data())
    stored = hostapp.db.session.scalar(sa.select(Attestation))
    assert (signature["full_name"], signature["record_hash"]) == ("Ruth Park", stored.record_hash)
    assert (head["kind"], head["seq"], head["record_hash"]) == (
        "chain_head",
        "1",
        stored.record_hash,
    )
    assert events() == [
        (str(hr.id), "export.evidence", f"chain head seq=1 hash={stored.record_hash}")
    ]


def test_the_day_may_be_written_in_words(signed, client, hr):
    response = client.get("/compliance/hr/exports/status.csv?as_of=1+April+2026")

    assert response.status_code == 200 and response.mimetype == "text/csv"


def test_a_future_day_is_refused_on_the_exports_page(signed, client, hr):
    response = client.get("/compliance/hr/exports/status.csv?as_of=2026-04-21")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert '<div class="smattest-error-summary" id="smattest-error-summary" role="alert"' in page
    assert (
        "2026-04-21 is in the future: a status export can only look back. "
        "Choose today (2026-04-20) or an earlier day."
    ) in page
    assert 'value="2026-04-21"' in page and 'aria-invalid="true"' in page
    assert events() == []


def test_a_malformed_day_is_shown_back_as_text(signed, client, hr):
    response = client.get(
        "/compliance/hr/exports/status.csv", query_string={"as_of": "<script>x</script>"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "&#39;&lt;script&gt;x&lt;/script&gt;&#39; is not a date: write it as YYYY-MM-DD" in page
    assert not Elements(page).has_handler_or_script()
    assert events() == []


@pytest.mark.parametrize(
    "path", ["/compliance/hr/exports", "/compliance/hr/exports/status.csv",
             "/compliance/hr/exports/evidence.csv"],
)  # fmt: skip
def test_employees_get_403_and_no_file(signed, client, login_as, path):
    login_as(name="Sam Ordinary", is_hr=False)

    response = client.get(path)

    assert response.status_code == 403
    assert b"Ruth Park" not in response.get_data()
    assert events() == []


@pytest.mark.parametrize(
    "path", ["/compliance/hr/exports", "/compliance/hr/exports/status.csv",
             "/compliance/hr/exports/evidence.csv"],
)  # fmt: skip
def test_visitors_not_signed_in_are_sent_to_sign_in(signed, client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("url", "args"),
    [
        ("/compliance/hr/exports/status.csv?as_of=2026-03-10",
         ["report", "status", "--as-of", "2026-03-10"]),
        ("/compliance/hr/exports/evidence.csv", ["report", "evidence"]),
    ],
    ids=["status", "evidence"],
)  # fmt: skip
def test_the_command_writes_the_same_bytes_as_the_page(
    signed, client, hr, runner, tmp_path, url, args
):
    target = tmp_path / "export.csv"

    from_page = client.get(url).get_data()
    result = runner.invoke(args=["smattest", *args, "-o", str(target)])

    assert result.exit_code == 0, result.output
    assert target.read_bytes() == from_page
    assert from_page.startswith(b"\xef\xbb\xbf") and b"Ruth Park" in from_page


def test_the_command_prints_the_same_bytes_as_the_page_by_default(signed, client, hr, runner):
    from_page = client.get("/compliance/hr/exports/status.csv").get_data()

    result = runner.invoke(args=["smattest", "report", "status"])

    assert result.stdout_bytes == from_page


def test_the_page_streams_rows_as_they_are_read(signed, client, hr, make_staff):
    make_staff(2500, hire_date=dt.date(2020, 1, 6))

    response = client.get("/compliance/hr/exports/status.csv")
    chunks = list(response.response)

    # The header comes alone, first, then the rows a thousand at a time.
    assert chunks[0].startswith(b"\xef\xbb\xbfas_of,") and chunks[0].count(b"\r\n") == 1
    assert [chunk.count(b"\r\n") for chunk in chunks[1:]] == [1000, 1000, 502]
