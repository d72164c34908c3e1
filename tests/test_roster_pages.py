"""HR's roster page: upload a CSV, see what it would change, confirm, see it applied."""

import datetime as dt
import io
import json
import random
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from smattest.models import HREvent, Staff

from . import hostapp
from .html import Elements

ROSTER = "/compliance/hr/roster"
CONFIRM = "/compliance/hr/roster/confirm"
HEADER = "employee_id,email,full_name,department,manager_email,hire_date,active"
GRACE = "1001,grace.hopper@agency.example,Grace Hopper,Adult Services,,2015-09-01,yes"
ADA = "1002,ada@agency.example,Ada Lovelace,Outreach,grace.hopper@agency.example,2021-03-15,yes"


@pytest.fixture(autouse=True)
def monday_morning(freeze):
    """Every roster page here is opened on Monday 2 March 2026, 09:00 UTC."""
    freeze("2026-03-02T09:00:00+00:00")


def upload(client, *rows, partial=False, text=None, name="staff.csv"):
    data = (text if text is not None else "\n".join([HEADER, *rows, ""])).encode()
    form = {"roster": (io.BytesIO(data), name)}
    if partial:
        form["partial"] = "y"
    return client.post(ROSTER, data=form, content_type="multipart/form-data")


class _Inputs(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.values = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.values[attrs["name"]] = attrs.get("value") or ""


def confirm_fields(response) -> dict[str, str]:
    """The hidden fields of the preview's confirm form, as a browser would send them."""
    return _Inputs(response.get_data(as_text=True)).values


def staff() -> dict[str, Staff]:
    hostapp.db.session.expire_all()
    return {s.external_id: s for s in hostapp.db.session.scalars(sa.select(Staff))}


def roster_events() -> list[HREvent]:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(
        sa.select(HREvent).where(HREvent.action == "roster.import")
    ).all()


def test_roster_page_offers_the_upload_and_lists_the_columns(client, hr):
    page = client.get(ROSTER).get_data(as_text=True)

    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    assert "Partial: add and update only (nobody is deactivated)" in page
    assert all(f"<code>{column}</code>" in page for column in HEADER.split(","))
    assert "No roster has been imported yet." in page


def test_preview_shows_the_changes_and_changes_nothing(client, hr, make_staff):
    make_staff(1, external_id="1002", email="ada@agency.example", full_name="Ada Lovelace",
               department="Intake", manager_email=None, hire_date=dt.date(2021, 3, 16))  # fmt: skip
    make_staff(1, external_id="1009", email="alan@agency.example", full_name="Alan Turing")

    response = upload(client, GRACE, ADA)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<dt>New</dt><dd>1</dd>" in page and "<dt>Deactivated</dt><dd>1</dd>" in page
    assert '<th scope="row">Grace Hopper</th>' in page
    assert "Department: Intake" in page and "Outreach" in page
    assert "Hire date: 16 March 2021" in page and "15 March 2021</li>" in page
    assert "Not in the file." in page and '<th scope="row">Alan Turing</th>' in page
    assert "Confirm: apply these 3 changes" in page
    people = staff()
    assert "1001" not in people and people["1002"].department == "Intake" and people["1009"].active
    assert roster_events() == []


def test_confirm_applies_the_previewed_file_and_records_who(client, hr, make_staff):
    make_staff(1, external_id="1009", email="alan@agency.example", full_name="Alan Turing")
    fields = confirm_fields(upload(client, GRACE, ADA))

    response = client.post(CONFIRM, data=fields)

    assert response.status_code == 303 and response.headers["Location"].endswith(ROSTER)
    people = staff()
    assert people["1002"].manager_email == "grace.hopper@agency.example" and people["1001"].active
    assert people["1009"].active is False
    [event] = roster_events()
    assert event.actor == str(hr.id)
    assert json.loads(event.detail)["new"] == 2
    page = client.get(ROSTER).get_data(as_text=True)
    assert "Roster imported from staff.csv: 2 new, 0 updated, 1 deactivated" in page
    assert f"<td>user {hr.id}</td>" in page  # recent imports: HR has no staff row here


def test_recent_imports_name_who_imported(client, hr):
    client.get("/compliance/")  # HR's own staff row, as for anyone signed in
    client.post(CONFIRM, data=confirm_fields(upload(client, GRACE, partial=True)))

    page = client.get(ROSTER).get_data(as_text=True)

    assert "<td>Hana Okafor</td>" in page and "<td>staff.csv (partial)</td>" in page


def test_partial_upload_confirms_as_partial(client, hr, make_staff):
    make_staff(1, external_id="1009", email="alan@agency.example", full_name="Alan Turing")
    preview = upload(client, GRACE, partial=True)
    assert "A partial import" in preview.get_data(as_text=True)

    client.post(CONFIRM, data=confirm_fields(preview))

    assert staff()["1009"].active is True and "1001" in staff()


def test_errors_are_listed_with_their_lines_and_block_confirming(client, hr):
    response = upload(client, GRACE, "1002,ada@agency.example,Ada,,,15/03/2021,",
                      "1003,bob@agency.example,Bob,,nobody@agency.example,,")  # fmt: skip

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing can be imported: 2 problems in staff.csv" in page
    assert "line 3: hire_date &#39;15/03/2021&#39; is not a date" in page
    assert "line 4: manager_email nobody@agency.example is nobody&#39;s email in the file" in page
    assert 'role="alert"' in page
    assert CONFIRM not in page
    assert staff() == {}


def test_html_in_a_name_renders_as_text(client, hr):
    response = upload(client, '1003,x@agency.example,<script>alert(1)</script>,"<b>Ops</b>",,,')

    page = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;Ops&lt;/b&gt;" in page
    assert not Elements(page).has_handler_or_script() and "<b>Ops" not in page


def test_a_name_with_html_is_stored_as_typed(client, hr):
    preview = upload(client, "1003,x@agency.example,<script>alert(1)</script>,,,,")

    client.post(CONFIRM, data=confirm_fields(preview))

    assert staff()["1003"].full_name == "<script>alert(1)</script>"


def test_confirm_shows_the_new_plan_when_the_staff_list_changed_meanwhile(client, hr, make_staff):
    preview = upload(client, GRACE, ADA)
    make_staff(1, external_id="1009", email="alan@agency.example", full_name="Alan Turing")

    response = client.post(CONFIRM, data=confirm_fields(preview))

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "The staff list changed since your preview, so nothing was imported." in page
    assert '<th scope="row">Alan Turing</th>' in page and "Confirm: apply these 3 changes" in page
    assert sorted(staff()) == ["1009"] and roster_events() == []


def test_confirming_the_new_plan_applies_it(client, hr, make_staff):
    preview = upload(client, GRACE, ADA)
    make_staff(1, external_id="1009", email="alan@agency.example", full_name="Alan Turing")
    second = client.post(CONFIRM, data=confirm_fields(preview))

    response = client.post(CONFIRM, data=confirm_fields(second))

    assert response.status_code == 303
    assert staff()["1009"].active is False and staff()["1001"].active


def test_a_file_altered_between_preview_and_confirm_is_refused(client, hr):
    fields = confirm_fields(upload(client, GRACE, ADA))
    fields["sha256"] = "0" * 64

    response = client.post(CONFIRM, data=fields)

    assert response.status_code == 400
    assert "The previewed file did not come back intact." in response.get_data(as_text=True)
    assert staff() == {}


def test_a_file_that_is_not_utf8_is_explained(client, hr):
    data = f"{HEADER}\n3,jose@agency.example,José,,,,\n".encode("latin-1")

    response = client.post(ROSTER, data={"roster": (io.BytesIO(data), "staff.csv")},
                           content_type="multipart/form-data")  # fmt: skip

    assert response.status_code == 400
    assert "the file is not UTF-8 text (first on line 2): save it as &#39;CSV UTF-8&#39;" in (
        response.get_data(as_text=True)
    )


def test_a_file_over_the_upload_limit_is_refused(client, hr):
    row = "\n3,x@agency.example,X,,,,"
    text = HEADER + row * (5 * 1024 * 1024 // len(row) + 1)

    response = upload(client, text=text)

    assert response.status_code == 413
    assert "The file is larger than 5 MB. Nothing was imported" in response.get_data(as_text=True)
    assert staff() == {}


def test_posting_without_a_file_asks_for_one(client, hr):
    response = client.post(ROSTER, data={}, content_type="multipart/form-data")

    assert response.status_code == 400
    assert "Choose the roster file (CSV) to upload." in response.get_data(as_text=True)


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_confirm_without_the_csrf_token_imports_nothing(client, hr):
    token = confirm_fields(client.get(ROSTER))["csrf_token"]
    data = {"roster": (io.BytesIO(f"{HEADER}\n{GRACE}\n".encode()), "staff.csv"),
            "csrf_token": token}  # fmt: skip
    preview = client.post(ROSTER, data=data, content_type="multipart/form-data")
    assert preview.status_code == 200
    fields = confirm_fields(preview)
    del fields["csrf_token"]

    response = client.post(CONFIRM, data=fields)

    assert response.status_code == 400
    assert "This confirmation has expired." in response.get_data(as_text=True)
    assert staff() == {}


def test_an_employee_who_is_not_hr_gets_403(client, login_as):
    login_as(name="Eve Employee")

    assert client.get(ROSTER).status_code == 403
    assert upload(client, GRACE).status_code == 403
    assert client.post(CONFIRM, data={}).status_code == 403
    assert "grace.hopper@agency.example" not in {s.email for s in staff().values()}


def test_anonymous_visitors_are_sent_to_sign_in(client, app):
    response = client.get(ROSTER)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_large_file_comes_back_whole_for_confirming(client, hr):
    # Random names barely compress: the confirm form (url-encoded, as browsers
    # send it) carries more than Flask's 500 KB limit on multipart fields.
    names = random.Random(5).choices("abcdefghijklmnopqrstuvwxyz", k=8000 * 150)
    rows = [f"{n},p{n}@agency.example,{''.join(names[n * 150 : (n + 1) * 150])},,,,"
            for n in range(8000)]  # fmt: skip
    fields = confirm_fields(upload(client, *rows))
    assert len(fields["roster"]) > 600_000

    response = client.post(CONFIRM, data=fields)

    assert response.status_code == 303
    assert len(staff()) == 8000
