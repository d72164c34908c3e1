"""The quiz tests understanding: draws per attempt balanced by topic, option ids that mean
nothing outside their attempt, and a daily limit on failed attempts that says when it reopens."""

import copy
import datetime as dt
import re
from collections import Counter

import pytest
import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import QuizAttempt, Staff, TrainingCompletion
from smattest.publishing.courses import CourseFileError, import_course
from smattest.publishing.policies import publish
from smattest.training import questions_of

from . import hostapp
from .conftest import all_databases
from .training_helpers import answers_for

TOPICS = ["boundaries", "confidentiality", "incidents", "looking-up"]

#: 12 questions in 4 topics, 3 each; 4 asked per attempt; 2 failed attempts a day.
COURSE = {
    "slug": "drawn",
    "title": "Drawn Refresher",
    "questions_per_attempt": 4,
    "max_attempts": 2,
    "sections": [{"title": topic.title(), "body": f"About {topic}."} for topic in TOPICS],
    "questions": [
        {
            "id": f"q{n}",
            "kind": "single",
            "prompt": f"Case {n}: what do you do?",
            "topic": TOPICS[n % 4],
            "section": n % 4 + 1,
            "options": [
                {"text": f"Right {n}", "correct": True},
                {"text": f"Wrong {n}"},
                {"text": f"Other {n}"},
            ],  # fmt: skip
            "explanation": f"Think about who could be identified in case {n}.",
        }
        for n in range(12)
    ],
}


@pytest.fixture
def learner(app, client, login_as, freeze):
    freeze("2026-06-01T09:00:00+00:00")
    import_course(copy.deepcopy(COURSE))
    user = login_as(name="Kofi Mensah", hire_date=dt.date(2018, 1, 8))
    client.get("/compliance/")
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))


def start(client):
    response = client.post("/compliance/courses/drawn/attempts")
    return response


def started(client) -> tuple[QuizAttempt, str]:
    response = start(client)
    assert response.status_code == 303, response.get_data(as_text=True)
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return hostapp.db.session.get(QuizAttempt, attempt_id), page


def submit(client, attempt, data):
    return client.post(f"/compliance/courses/drawn/attempts/{attempt.id}", data=data)


def fail(client, attempt):
    data = answers_for(attempt.id, wrong=99)
    assert submit(client, attempt, data).status_code == 303


def test_an_attempt_asks_questions_per_attempt_one_from_each_topic(client, learner):
    attempt, page = started(client)

    shown = questions_of(attempt)
    assert len(shown) == 4 and page.count("<fieldset") == 4
    assert "Question 4 of 4." in page
    assert Counter(p.question.topic for p in shown) == dict.fromkeys(TOPICS, 1)


def test_the_course_page_says_how_many_questions_and_attempts(client, learner):
    page = client.get("/compliance/courses/drawn").get_data(as_text=True)

    assert "then answer 4 questions. You pass with 80% or more." in page
    assert "up to 2 times a day, with questions drawn afresh each time." in page


def test_two_attempts_draw_different_questions(client, learner):
    draws = set()
    for _ in range(8):
        attempt, _ = started(client)
        draws.add(frozenset(p.question.id for p in questions_of(attempt)))
        assert submit(client, attempt, answers_for(attempt.id)).status_code == 303  # a pass

    assert len(draws) > 1


def test_option_values_are_opaque_ids_not_positions(client, learner):
    attempt, page = started(client)

    values = re.findall(r'name="q\d+" value="([^"]+)"', page)
    assert len(values) == 12 and len(set(values)) == 12
    assert not any(value.isdigit() for value in values)


def test_answers_by_position_are_refused(client, learner):
    attempt, _ = started(client)
    by_position = {f"q{p.question.id}": [str(p.question.correct[0])] for p in questions_of(attempt)}

    response = submit(client, attempt, by_position)

    assert response.status_code == 400
    assert "The answers do not match the questions of this attempt." in response.get_data(
        as_text=True
    )
    assert hostapp.db.session.get(QuizAttempt, attempt.id).submitted_at is None


def test_a_submission_built_from_another_attempt_is_refused(client, learner):
    first, _ = started(client)
    first_answers = answers_for(first.id)
    fail(client, first)
    second, _ = started(client)
    # The same questions may come up again; the ids of the first attempt mean nothing now.
    replay = {f"q{p.question.id}": first_answers.get(f"q{p.question.id}", ["0"])
              for p in questions_of(second)}  # fmt: skip

    response = submit(client, second, replay)

    assert response.status_code == 400
    assert hostapp.db.session.scalars(sa.select(TrainingCompletion)).all() == []


def test_starting_again_returns_to_the_attempt_already_open(client, learner):
    first, _ = started(client)
    again, _ = started(client)

    assert again.id == first.id
    page = client.get("/compliance/courses/drawn").get_data(as_text=True)
    assert "Continue the quiz" in page and "Start the quiz" not in page


@all_databases
def test_after_max_attempts_failures_the_next_start_is_refused_until_tomorrow(
    client, learner, freeze
):
    for _ in range(2):
        attempt, _ = started(client)
        fail(client, attempt)

    response = start(client)

    assert response.status_code == 303
    assert response.headers["Location"] == "/compliance/courses/drawn#smattest-quiz"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    message = ("You have used today&#39;s 2 attempts at this quiz. The next attempt opens at "
               "00:00 on 2 June 2026. Until then, re-read the sections named in your last "
               "result. If you are stuck, ask HR.")  # fmt: skip
    assert page.count(message) == 2  # the refusal, and where the start button was
    assert "Start the quiz" not in page
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt)) == 2
    failed = client.get(f"/compliance/courses/drawn/attempts/{attempt.id}").get_data(as_text=True)
    assert message in failed and ">Try again</button>" not in failed

    freeze("2026-06-02T00:00:00+00:00")
    assert start(client).headers["Location"].startswith("/compliance/courses/drawn/attempts/")


@pytest.mark.settings(SMATTEST_TIMEZONE="America/Chicago",
                      SMATTEST_HELP_CONTACT="the HR team (hr@agency.example)")  # fmt: skip
def test_the_day_is_the_agencys_and_the_contact_is_configurable(client, learner, freeze):
    freeze("2026-06-02T04:00:00+00:00")  # 23:00 on 1 June in Chicago
    for _ in range(2):
        attempt, _ = started(client)
        fail(client, attempt)

    page = client.get("/compliance/courses/drawn").get_data(as_text=True)

    assert "The next attempt opens at 00:00 on 2 June 2026." in page
    assert "If you are stuck, ask the HR team (hr@agency.example)." in page


def test_a_failed_attempt_names_the_section_to_reread(client, learner):
    attempt, _ = started(client)
    fail(client, attempt)

    page = client.get(f"/compliance/courses/drawn/attempts/{attempt.id}").get_data(as_text=True)

    for shown in questions_of(attempt):
        n = shown.question.section
        assert (f'Re-read <a href="/compliance/courses/drawn#section-{n}">section {n}, '
                f"{TOPICS[n - 1].title()}</a>.") in page  # fmt: skip
        assert f"Right {shown.question.position - 1}" not in page
    assert "You have 1 attempt left today." in page


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"questions_per_attempt": 13},
         "questions_per_attempt: 13 is not a whole number from 1 to 12 (the number of questions)"),
        ({"questions_per_attempt": 0},
         "questions_per_attempt: 0 is not a whole number from 1 to 12 (the number of questions)"),
        ({"max_attempts": 0}, "max_attempts: 0 is not a whole number from 1 to 20"),
        ({"max_attempts": "3"}, "max_attempts: '3' is not a whole number from 1 to 20"),
    ],
)  # fmt: skip
def test_bad_draw_settings_are_named(app, change, problem):
    with pytest.raises(CourseFileError) as raised:
        import_course(dict(copy.deepcopy(COURSE), **change))

    assert raised.value.problems == [problem]


def test_bad_topic_and_section_are_named(app):
    data = copy.deepcopy(COURSE)
    data["questions"][0]["section"] = 5
    data["questions"][1]["topic"] = " "

    with pytest.raises(CourseFileError) as raised:
        import_course(data)

    assert raised.value.problems == [
        "questions[1] (id 'q0').section: 5 is not a section number from 1 to 4",
        "questions[2] (id 'q1').topic: must be non-empty text of at most 80 characters",
    ]


def test_hr_sees_who_is_stuck_on_the_person_page_and_in_the_people_table(client, learner, login_as):
    for _ in range(2):
        attempt, _ = started(client)
        fail(client, attempt)
    login_as(name="Dana Whitfield", is_hr=True)
    client.get("/compliance/")  # on the roster too, and not stuck

    person = client.get(f"/compliance/hr/people/{learner.id}").get_data(as_text=True)
    people = client.get("/compliance/hr/people").get_data(as_text=True)

    assert ("Stuck: failed the quiz 2 times today; the next attempt opens "
            "2 June 2026, 00:00 UTC") in person  # fmt: skip
    row = people[people.index("Kofi Mensah") :].split("</tr>")[0]
    assert "Quiz locked today: used every attempt" in row
    dana = people[people.index("Dana Whitfield") :].split("</tr>")[0]
    assert "Quiz locked" not in dana


def test_no_on_behalf_button_on_ones_own_page(client, learner, login_as):
    hr = login_as(name="Dana Whitfield", is_hr=True)
    client.get("/compliance/")
    own = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(hr.id)))

    mine = client.get(f"/compliance/hr/people/{own.id}").get_data(as_text=True)
    theirs = client.get(f"/compliance/hr/people/{learner.id}").get_data(as_text=True)

    assert "Record an attestation on their behalf" not in mine
    assert "Record an attestation on their behalf" in theirs


@pytest.mark.settings(SMATTEST_BASE_URL="http://localhost")
def test_passing_emails_a_receipt_numbered_like_the_signatures(
    smtp_server, client, runner, learner, freeze
):
    publish("social-media", "Social Media Policy", "# Policy\n\nBe careful.\n", "First.",
            effective=dt.date(2026, 5, 1))  # fmt: skip
    signed = attest(learner, "social-media", 1, "Kofi Mensah").attestation
    attempt, _ = started(client)

    response = submit(client, attempt, answers_for(attempt.id))

    completion = hostapp.db.session.scalar(sa.select(TrainingCompletion))
    assert (signed.chain_seq, completion.chain_seq, completion.id) == (1, 2, 1)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="/compliance/receipts/2">Your receipt, number 2</a>' in result
    receipt = client.get("/compliance/receipts/2").get_data(as_text=True)
    assert "<h1>Receipt number 2</h1>" in receipt
    assert "<dt>Training</dt><dd>Drawn Refresher</dd>" in receipt
    assert "<dt>Score</dt><dd>100% (pass mark 80%)</dd>" in receipt
    assert completion.content_sha256 in receipt
    assert f"A copy of this receipt was emailed to {learner.email}." in receipt
    assert "<h1>Receipt number 1</h1>" in client.get("/compliance/receipts/1").get_data(
        as_text=True
    )
    # Planned in the outbox with the completion; the mail job sends it.
    assert smtp_server.inbox.messages == []
    sent = runner.invoke(args=["smattest", "mail", "send"])
    assert sent.exit_code == 0, sent.output
    (signature_receipt, message) = smtp_server.inbox.to(learner.email)
    assert signature_receipt["Subject"].startswith("Receipt: you signed")
    assert message["Subject"] == "Receipt: you completed the Drawn Refresher"
    text = message.get_body(("plain",)).get_content()
    assert "Receipt number: 2" in text and completion.content_sha256 in text
    assert "http://localhost/compliance/receipts/2" in text


def test_the_receipt_links_to_what_is_still_owed(client, learner):
    publish("social-media", "Social Media Policy", "# Policy\n\nBe careful.\n", "First.",
            effective=dt.date(2026, 5, 1))  # fmt: skip
    attempt, _ = started(client)
    submit(client, attempt, answers_for(attempt.id))

    receipt = client.get("/compliance/receipts/1").get_data(as_text=True)

    assert "Still owed: the Social Media Policy, which was due 31 May 2026." in receipt
    assert 'href="/compliance/policies/social-media">Read and sign the Social Media Policy</a>' in (
        receipt
    )
