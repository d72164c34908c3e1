"""Exemptions: HR grants one with a reason and a last day, ends it early, and status follows."""

import datetime as dt
import re
import threading

import pytest
import sqlalchemy as sa

from smattest import exemptions
from smattest.attest import attest
from smattest.exemptions import ExemptionError
from smattest.models import COURSE, POLICY, Exemption, HREvent, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.rule import compliance
from smattest.signals import exemption_ended, exemption_granted

from . import hostapp
from .conftest import all_databases, create_tables
from .exemption_helpers import REASON, grant_page
from .html import error_summary_links

pytestmark = [
    pytest.mark.hr_on_roster,
    pytest.mark.policy(now="2026-03-10T09:00:00+00:00", text="# Policy\n\nBe careful.\n"),
]


@pytest.fixture
def person(make_staff):
    (staff_id,) = make_staff(1, full_name="Dmitri Volkov", hire_date=dt.date(2020, 1, 6))
    return hostapp.db.session.get(Staff, staff_id)


def rows(model):
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(model).order_by(model.id)).all()


def status(staff, policy):
    hostapp.db.session.expire_all()
    return compliance.standing(staff, POLICY, policy.id).status


def course_in_force():
    """A one-question course, in force from now (the frozen clock's day)."""
    version = import_course({"slug": "refresher", "title": "Social Media Refresher", "sections": [
        {"title": "Why", "body": "Trust."}], "questions": [{"id": "q1", "kind": "single",
        "prompt": "Post it?", "options": [{"text": "No", "correct": True}, {"text": "Yes"}],
        "explanation": "Never."}]}).version  # fmt: skip
    return version.course


def end_page(client, row, **fields):
    data = {"reason": "Back from leave early.", "confirm": "y"}
    data.update(fields)
    return client.post(f"/compliance/hr/exemptions/{row.id}/end", data=data)


def test_ending_asks_for_a_reason_and_a_confirmation(client, policy, hr, person):
    grant_page(client, person, policy)
    (row,) = rows(Exemption)

    form = client.get(f"/compliance/hr/exemptions/{row.id}/end").get_data(as_text=True)
    response = end_page(client, row, reason=" ", confirm="")

    assert 'id="smattest-end-reason"' in form and 'id="smattest-end-confirm"' in form
    assert response.status_code == 400
    assert error_summary_links(response.get_data(as_text=True)) == [
        ("#smattest-end-reason", "Say why the exemption ends now: it goes in HR's log."),
        ("#smattest-end-confirm",
         "Tick the box to confirm Dmitri Volkov owes the Social Media Policy again."),
    ]  # fmt: skip
    assert rows(Exemption)[0].ended_at is None
    assert [e.action for e in rows(HREvent)] == ["exemption.grant"]


def test_the_form_lists_requirements_in_force_with_labelled_fields(client, policy, hr, person):
    import_course({"slug": "refresher", "title": "Social Media Refresher", "sections": [
        {"title": "Why", "body": "Trust."}], "questions": [{"id": "q1", "kind": "single",
        "prompt": "Post it?", "options": [{"text": "No", "correct": True}, {"text": "Yes"}],
        "explanation": "Never."}]})  # fmt: skip

    page = client.get(f"/compliance/hr/people/{person.id}/exemptions/new").get_data(as_text=True)

    # One box per requirement in force: one grant may cover several.
    assert re.search(
        rf'<input type="checkbox" id="smattest-requirement-1" name="requirement" '
        rf'value="policy:{policy.id}">\s*<label for="smattest-requirement-1">'
        r"Social Media Policy \(policy\)</label>",
        page,
    )
    assert "Social Media Refresher (course)</label>" in page
    assert "<legend>How long</legend>" in page
    # The browser's date input (it submits 2026-06-09; a browser without one
    # falls back to text, which reads any of the typed forms), with an example
    # that lies in the future and no day before today.
    assert 'type="date" id="smattest-until" name="until" value="" min="2026-03-10"' in page
    assert "e.g. 9 June 2026" in page
    assert 'id="smattest-requirement"' in page  # the fieldset the error summary links to
    for field in ("smattest-reason", "smattest-until", "smattest-open-ended"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page


def test_granting_makes_the_person_exempt_and_records_who_and_why(client, policy, hr, person):
    assert status(person, policy) == compliance.DUE_SOON

    response = grant_page(client, person, policy)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/compliance/hr/people/{person.id}"
    (row,) = rows(Exemption)
    assert (row.staff_id, row.requirement_kind, row.requirement_id) == (person.id, POLICY,
                                                                        policy.id)  # fmt: skip
    assert (row.reason, row.until, row.granted_by) == (REASON, dt.date(2026, 6, 30), str(hr.id))
    assert row.granted_at == dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    assert (row.ended_at, row.ended_by) == (None, None)
    (event,) = rows(HREvent)
    assert (event.actor, event.action, event.staff_id) == (str(hr.id), "exemption.grant", person.id)
    assert event.detail == f"Exempt from the Social Media Policy until 30 June 2026: {REASON}"
    assert status(person, policy) == compliance.EXEMPT
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dmitri Volkov is exempt from the Social Media Policy until 30 June 2026." in page
    assert "smattest-status-exempt" in page and "Exempt until 30 June 2026" in page
    assert "10 March 2026, 09:00 UTC by Hana Okafor" in page
    assert f'href="/compliance/hr/exemptions/{row.id}/end">End it early<' in page


def test_ending_brings_the_requirement_back_and_keeps_the_row(client, policy, hr, person, freeze):
    grant_page(client, person, policy)
    (row,) = rows(Exemption)
    freeze("2026-04-02T15:00:00+00:00")
    form = client.get(f"/compliance/hr/exemptions/{row.id}/end").get_data(as_text=True)

    response = end_page(client, row)

    # Before confirming, HR reads the rule's answer: hired in 2020, the policy
    # took effect on 10 March and new people have 21 days, so it was due 31 March.
    owed = (
        "Dmitri Volkov will be overdue at once: the Social Media Policy was due on "
        "31 March 2026, 2 days ago, and reminders resume."
    )
    assert f'<p id="smattest-owed-once-ended">Ending it now: {owed}</p>' in form.replace(
        "&#39;", "'"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/compliance/hr/people/{person.id}"
    (ended,) = rows(Exemption)
    assert ended.ended_by == str(hr.id)
    assert ended.ended_at == dt.datetime(2026, 4, 2, 15, tzinfo=dt.UTC)
    assert [e.action for e in rows(HREvent)] == ["exemption.grant", "exemption.end"]
    assert status(person, policy) == compliance.OVERDUE  # due 31 March, owed again from today
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"The exemption from the Social Media Policy has ended. {owed}" in page
    assert "smattest-status-overdue" in page and "smattest-status-exempt" not in page
    assert "2 April 2026, 15:00 UTC by Hana Okafor" in page
    assert ">End it early<" not in page
    assert rows(HREvent)[-1].detail.endswith("Reason: Back from leave early.")


def test_granting_leaves_the_persons_roster_row_unchanged(app, policy, hr, person, freeze):
    before = person.updated_at
    freeze("2026-03-11T09:00:00+00:00")

    exemptions.grant(person, POLICY, policy.id, REASON, None, str(hr.id))

    hostapp.db.session.expire_all()
    assert hostapp.db.session.get(Staff, person.id).updated_at == before


def test_an_open_ended_exemption_lasts_until_ended(client, policy, hr, person, freeze):
    grant_page(client, person, policy, until="", open_ended="y")

    (row,) = rows(Exemption)
    assert row.until is None
    freeze("2031-01-01T09:00:00+00:00")
    assert status(person, policy) == compliance.EXEMPT
    page = client.get(f"/compliance/hr/people/{person.id}").get_data(as_text=True)
    assert "Exempt, no end date" in page and "No end date" in page


def test_the_last_day_may_be_today_and_is_covered_to_its_end(app, policy, hr, person, freeze):
    exemptions.grant(person, POLICY, policy.id, REASON, dt.date(2026, 3, 10), str(hr.id))

    freeze("2026-03-10T23:59:00+00:00")
    assert status(person, policy) == compliance.EXEMPT
    freeze("2026-03-11T00:00:00+00:00")
    assert status(person, policy) == compliance.DUE_SOON


def test_an_expired_exemption_shows_as_expired_without_an_end_button(
    client, policy, hr, person, freeze
):
    exemptions.grant(person, POLICY, policy.id, REASON, dt.date(2026, 3, 20), str(hr.id))
    freeze("2026-03-25T09:00:00+00:00")

    page = client.get(f"/compliance/hr/people/{person.id}").get_data(as_text=True)

    assert "<td>Expired</td>" in page and ">End it early<" not in page


def test_signals_are_sent_after_commit(app, policy, hr, person):
    seen = []

    def receiver(signal):
        def record(sender, exemption):
            hostapp.db.session.expire_all()
            stored = hostapp.db.session.get(Exemption, exemption.id)
            seen.append((signal, sender, stored.ended_by))

        return record

    granted, ended = receiver("granted"), receiver("ended")
    with exemption_granted.connected_to(granted, app), exemption_ended.connected_to(ended, app):
        row = exemptions.grant(person, POLICY, policy.id, REASON, None, str(hr.id))
        exemptions.end(row, str(hr.id))

    assert seen == [("granted", app, None), ("ended", app, str(hr.id))]


def test_a_course_can_be_exempted(app, policy, hr, person):
    version = import_course({"slug": "refresher", "title": "Social Media Refresher", "sections": [
        {"title": "Why", "body": "Trust."}], "questions": [{"id": "q1", "kind": "single",
        "prompt": "Post it?", "options": [{"text": "No", "correct": True}, {"text": "Yes"}],
        "explanation": "Never."}]}).version  # fmt: skip

    exemptions.grant(person, COURSE, version.course_id, REASON, None, str(hr.id))

    hostapp.db.session.expire_all()
    standing = compliance.standing(person, COURSE, version.course_id)
    assert standing.status == compliance.EXEMPT
    assert status(person, policy) == compliance.DUE_SOON  # the policy is still owed


# Errors: every one says what to do, and records nothing.


def assert_nothing_recorded():
    assert rows(Exemption) == [] and rows(HREvent) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"requirement_id": 999}, "There is no policy with id 999."),
        ({"kind": "training"}, "'training' is not a kind of requirement: "
                               "use 'policy' or 'course'."),
        ({"reason": "  \n "}, "Give the reason for the exemption: an auditor will ask."),
        ({"reason": "x" * 2001}, "The reason is 2001 characters long; keep it to 2000 at most."),
        ({"until": dt.date(2026, 3, 9)}, "The last day covered, 9 March 2026, has already passed: "
                                         "choose today (10 March 2026) or a later day."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_message(app, policy, hr, person, change, message):
    arguments = {"kind": POLICY, "requirement_id": policy.id, "reason": REASON,
                 "until": dt.date(2026, 6, 30)}  # fmt: skip
    arguments.update(change)

    with pytest.raises(ExemptionError) as refused:
        exemptions.grant(person, granted_by=str(hr.id), **arguments)

    assert str(refused.value) == message
    assert_nothing_recorded()


def test_a_policy_not_yet_in_force_cannot_be_exempted(app, policy, hr, person):
    future = publish("future-policy", "Future Policy", "# Later\n", "First.",
                     effective=dt.date(2026, 9, 1)).policy  # fmt: skip

    with pytest.raises(ExemptionError) as refused:
        exemptions.grant(person, POLICY, future.id, REASON, None, str(hr.id))

    assert str(refused.value) == (
        "The Future Policy is not in force yet, so nobody owes it and there is nothing to "
        "exempt from."
    )
    assert_nothing_recorded()


def test_an_inactive_person_cannot_be_exempted(app, policy, hr, person):
    person.active = False
    hostapp.db.session.commit()

    with pytest.raises(ExemptionError) as refused:
        exemptions.grant(person, POLICY, policy.id, REASON, None, str(hr.id))

    assert str(refused.value) == (
        "Dmitri Volkov is marked inactive: they owe nothing, so there is nothing to exempt "
        "them from."
    )
    assert_nothing_recorded()


def test_a_second_active_exemption_for_the_same_requirement_is_refused(client, policy, hr, person):
    grant_page(client, person, policy)

    response = grant_page(client, person, policy, until="2026-12-31")

    assert response.status_code == 400
    assert (
        "Dmitri Volkov is already exempt from the Social Media Policy until 30 June 2026; "
        "end it first." in response.get_data(as_text=True)
    )
    assert len(rows(Exemption)) == 1 and len(rows(HREvent)) == 1


def test_after_ending_a_new_exemption_may_be_granted(app, policy, hr, person):
    first = exemptions.grant(person, POLICY, policy.id, REASON, None, str(hr.id))
    exemptions.end(first, str(hr.id))

    exemptions.grant(person, POLICY, policy.id, "Back on leave.", dt.date(2026, 5, 1), str(hr.id))

    assert [(e.until, e.ended_by) for e in rows(Exemption)] == [
        (None, str(hr.id)), (dt.date(2026, 5, 1), None)
    ]  # fmt: skip


def test_ending_an_ended_exemption_is_refused_on_the_page(client, policy, hr, person, freeze):
    row = exemptions.grant(person, POLICY, policy.id, REASON, None, str(hr.id))
    exemptions.end(row, str(hr.id))
    freeze("2026-03-12T09:00:00+00:00")

    response = end_page(client, row)

    assert response.status_code == 400
    assert "This exemption was already ended on 10 March 2026." in response.get_data(as_text=True)
    (stored,) = rows(Exemption)
    assert stored.ended_at == dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
    assert len(rows(HREvent)) == 2


def test_ending_an_expired_exemption_is_refused(app, policy, hr, person, freeze):
    row = exemptions.grant(person, POLICY, policy.id, REASON, dt.date(2026, 3, 20), str(hr.id))
    freeze("2026-03-21T09:00:00+00:00")

    with pytest.raises(ExemptionError) as refused:
        exemptions.end(row, str(hr.id))

    assert str(refused.value) == (
        "This exemption expired after its last day, 20 March 2026; there is nothing to end."
    )
    assert rows(Exemption)[0].ended_at is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"until": ""}, "Give the last day the exemption covers, or tick &#39;No end date&#39;."),
        ({"open_ended": "y"}, "Give a last day or tick &#39;No end date&#39;, not both."),
        ({"until": "30/06/2026"}, "&#39;30/06/2026&#39; is not a date this form can read: "
                                  "write it like 9 June 2026 or 2026-06-09."),
        ({"requirement": ""}, "Choose the policy or course to exempt them from."),
        ({"reason": ""}, "Give the reason for the exemption: an auditor will ask."),
    ],
)  # fmt: skip
def test_the_form_explains_what_is_missing(client, policy, hr, person, fields, message):
    response = grant_page(client, person, policy, **fields)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and "Nothing was recorded" in page and message in page
    assert_nothing_recorded()


def test_every_problem_is_listed_at_once_linked_to_its_field_and_the_form_keeps_its_values(
    client, policy, hr, person
):
    response = grant_page(client, person, policy, requirement="", reason="", until="next week")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_summary_links(page) == [
        ("#smattest-requirement", "Choose the policy or course to exempt them from."),
        ("#smattest-reason", "Give the reason for the exemption: an auditor will ask."),
        ("#smattest-until", "The last day covered: 'next week' is not a date this form "
                            "can read: write it like 9 June 2026 or 2026-06-09."),
    ]  # fmt: skip
    assert 'name="until" value="next week"' in page
    assert (
        'id="smattest-reason" name="reason" rows="4" maxlength="2000" aria-invalid="true"' in page
    )
    assert_nothing_recorded()


@pytest.mark.parametrize("typed", ["30 June 2026", "June 30, 2026", "2026-06-30", "30 Jun 2026"])
def test_the_last_day_may_be_written_in_words_or_iso(client, policy, hr, person, typed):
    response = grant_page(client, person, policy, until=typed)

    assert response.status_code == 303
    assert rows(Exemption)[0].until == dt.date(2026, 6, 30)


def test_html_in_the_reason_renders_as_text(client, policy, hr, person):
    grant_page(client, person, policy, reason='<img src=x onerror="alert(1)">leave')

    page = client.get(f"/compliance/hr/people/{person.id}").get_data(as_text=True)
    assert "<img" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;leave" in page


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_posts_without_the_csrf_token_change_nothing(client, policy, hr, person):
    response = grant_page(client, person, policy)

    assert response.status_code == 400
    assert "This form has expired. Nothing was recorded" in response.get_data(as_text=True)
    assert_nothing_recorded()
    form = client.get(f"/compliance/hr/people/{person.id}/exemptions/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert grant_page(client, person, policy, csrf_token=token).status_code == 303
    (row,) = rows(Exemption)

    ended = end_page(client, row)

    assert ended.status_code == 400
    assert "This form has expired. Nothing was recorded" in ended.get_data(as_text=True)
    assert rows(Exemption)[0].ended_at is None


def test_an_employee_gets_403_and_a_visitor_is_sent_to_sign_in(client, policy, person, login_as):
    row = exemptions.grant(person, POLICY, policy.id, REASON, None, "cli")
    new = f"/compliance/hr/people/{person.id}/exemptions/new"
    assert client.get(new).headers["Location"].startswith("/login")
    login_as(name="Sam Ordinary", is_hr=False)

    assert client.get(new).status_code == 403
    assert grant_page(client, person, policy).status_code == 403
    assert client.post(f"/compliance/hr/exemptions/{row.id}/end").status_code == 403
    assert len(rows(Exemption)) == 1 and rows(Exemption)[0].ended_at is None


def test_unknown_people_and_exemptions_are_not_found(client, policy, hr):
    assert client.get("/compliance/hr/people/999999/exemptions/new").status_code == 404
    assert client.post("/compliance/hr/exemptions/999999/end").status_code == 404


@all_databases
def test_ten_simultaneous_grants_record_one_exemption(make_app, database_url):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 15, "max_overflow": 5})
    create_tables(app)
    with app.app_context():
        policy_id = publish("social-media", "Social Media Policy", "# P\n", "First.").policy_id
        hr_user = hostapp.User(name="Hana Okafor", email="hana@agency.example", is_hr=True)
        hostapp.db.session.add(hr_user)
        hostapp.db.session.add(Staff(external_id="roster-1", full_name="Dmitri Volkov"))
        hostapp.db.session.commit()
        hr_id = hr_user.id
        staff_id = hostapp.db.session.scalar(sa.select(Staff.id))
    clients = [app.test_client() for _ in range(10)]
    for c in clients:
        c.post(f"/login/{hr_id}")
    barrier = threading.Barrier(10)
    statuses = []

    def post(c):
        barrier.wait()
        try:
            response = c.post(
                f"/compliance/hr/people/{staff_id}/exemptions/new",
                data={"requirement": f"policy:{policy_id}", "reason": REASON, "open_ended": "y"},
            )
            statuses.append(response.status_code)
        except Exception as error:  # a lost thread must fail the test, with its reason
            statuses.append(repr(error))

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(statuses) == [303] + [400] * 9
    with app.app_context():
        assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Exemption)) == 1
        assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(HREvent)) == 1


def test_ending_early_says_when_the_person_will_be_due(client, policy, hr, person, freeze):
    """Someone who signed last year and is exempt now: ending says the rule's due date."""
    freeze("2026-03-10T10:00:00+00:00")
    attest(person, "social-media", 1, person.full_name)
    grant_page(client, person, policy, until="2026-12-31")
    (row,) = rows(Exemption)
    freeze("2026-05-04T09:00:00+00:00")

    form = client.get(f"/compliance/hr/exemptions/{row.id}/end").get_data(as_text=True)

    assert (
        "Ending it now: Dmitri Volkov will owe the Social Media Policy by 10 March 2027 "
        "(in 310 days), and reminders resume."
    ) in form
    assert status(person, policy) == compliance.EXEMPT  # the preview changed nothing


def test_one_grant_covers_several_requirements(client, policy, hr, person):
    course = course_in_force()

    response = grant_page(
        client, person, policy, requirement=[f"policy:{policy.id}", f"course:{course.id}"]
    )

    assert response.status_code == 303
    granted = rows(Exemption)
    assert [(r.requirement_kind, r.requirement_id) for r in granted] == [
        (POLICY, policy.id),
        (COURSE, course.id),
    ]
    assert {r.reason for r in granted} == {REASON}
    assert {r.until for r in granted} == {dt.date(2026, 6, 30)}
    assert [e.action for e in rows(HREvent)] == ["exemption.grant", "exemption.grant"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "Dmitri Volkov is exempt from the Social Media Policy and the Social Media Refresher "
        "until 30 June 2026."
    ) in page
    hostapp.db.session.expire_all()
    assert compliance.standing(person, COURSE, course.id).status == compliance.EXEMPT
    # Each is ended on its own.
    end_page(client, granted[1])
    assert status(person, policy) == compliance.EXEMPT
    hostapp.db.session.expire_all()
    assert compliance.standing(person, COURSE, course.id).status != compliance.EXEMPT


def test_a_grant_of_several_records_none_when_one_is_refused(client, policy, hr, person):
    course = course_in_force()
    grant_page(client, person, policy)
    head_before = hostapp.db.session.scalar(sa.text("SELECT last_seq FROM smattest_chain_head"))

    response = grant_page(
        client, person, policy, requirement=[f"course:{course.id}", f"policy:{policy.id}"]
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert (
        "Dmitri Volkov is already exempt from the Social Media Policy until 30 June 2026; "
        "end it first or leave it out. Nothing was recorded."
    ) in page
    assert [r.requirement_kind for r in rows(Exemption)] == [POLICY]  # the course not granted
    assert [e.action for e in rows(HREvent)] == ["exemption.grant"]
    hostapp.db.session.expire_all()
    assert (
        hostapp.db.session.scalar(sa.text("SELECT last_seq FROM smattest_chain_head"))
        == head_before
    )


def test_granting_with_no_requirement_ticked_is_refused(client, policy, hr, person):
    response = grant_page(client, person, policy, requirement=[])

    assert response.status_code == 400
    assert error_summary_links(response.get_data(as_text=True))[0] == (
        "#smattest-requirement",
        "Choose at least one policy or course to exempt them from.",
    )
    assert rows(Exemption) == []
