"""The question bank's weak spots: per question, times shown and answered wrong, worst first."""

import copy
import csv
import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from smattest.models import HREvent, QuizAttempt, Staff
from smattest.publishing.courses import import_course
from smattest.training import questions_of, start_attempt, submit

from . import hostapp
from .conftest import all_databases
from .html import text_of

HR = "/compliance/hr"

COURSE = {
    "slug": "refresher",
    "title": "Social Media Refresher",
    "pass_mark": 60,
    "sections": [
        {"title": "Friend requests", "body": "Decline them."},
        {"title": "Photos at work", "body": "Never of clients."},
    ],
    "questions": [
        {"id": "friend", "kind": "single", "section": 1, "explanation": "Boundaries.",
         "prompt": "A client sends you a friend request. What do you do?",
         "options": [{"text": "Decline it", "correct": True}, {"text": "Accept it"},
                     {"text": "Ignore it for a month"}]},
        {"id": "photo", "kind": "single", "section": 2, "explanation": "Privacy.",
         "prompt": "May you post a photo of the office party?",
         "options": [{"text": "Only without clients in it", "correct": True},
                     {"text": "Yes, any photo"}]},
        {"id": "safe", "kind": "multiple", "explanation": "Agency channels.",
         "prompt": "Which are safe? Choose all that apply.",
         "options": [{"text": "Agency channel", "correct": True},
                     {"text": "Tell your supervisor", "correct": True},
                     {"text": "Reply from your personal account"}]},
    ],
}  # fmt: skip

FRIEND, PHOTO, SAFE = "friend", "photo", "safe"


def person(n: int) -> Staff:
    staff = Staff(external_id=f"e{n}", email=f"p{n}@agency.example", full_name=f"Person {n}",
                  hire_date=dt.date(2020, 1, 6), active=True)  # fmt: skip
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    return staff


def take(staff: Staff, course, wrong: set[str] = frozenset(), skip: set[str] = frozenset()):
    """One attempt: the questions named in ``wrong`` answered wrongly (a wrong option, or
    for the multiple-choice one only one of its two right options), those in ``skip`` not
    answered, the rest right; submitted."""
    attempt = start_attempt(staff, course)
    answers = {}
    for shown in questions_of(attempt):
        q = shown.question
        key = {COURSE["questions"][n]["prompt"]: COURSE["questions"][n]["id"] for n in range(3)}
        name = key.get(q.prompt, q.prompt)
        if name in skip:
            continue
        if name in wrong:
            answers[q.id] = q.correct[:1] if q.kind == "multiple" else [len(q.options) - 1]
        else:
            answers[q.id] = list(q.correct)
    return submit(staff, attempt.id, answers)


@pytest.fixture
def attempts(app, freeze):
    """A scripted series: four people take version 1, one leaves an attempt unsubmitted,
    then the course is re-imported and one person takes version 2."""
    freeze("2026-06-01T09:00:00+00:00")
    version = import_course(copy.deepcopy(COURSE)).version
    course = version.course
    take(person(1), course)  # all right
    take(person(2), course, wrong={FRIEND, SAFE})
    take(person(3), course, wrong={FRIEND}, skip={SAFE})
    take(person(4), course, wrong={PHOTO, FRIEND})
    start_attempt(person(5), course)  # never submitted: not counted
    changed = copy.deepcopy(COURSE)
    changed["questions"][1]["prompt"] = "May you post a photo from the office party?"
    import_course(changed)
    take(person(6), course, wrong={FRIEND, SAFE})
    return course


def table_rows(html: str) -> list[list[str]]:
    """The cells' text of each body row of the questions table."""
    body = re.search(r'<table class="smattest-table smattest-questions">.*?<tbody>(.*?)</tbody>',
                     html, re.S).group(1)  # fmt: skip
    return [
        [
            " ".join(text_of(cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def read_csv(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@all_databases
def test_questions_csv_counts_match_the_scripted_attempts(client, login_as, attempts):
    login_as(name="Hana Okafor", is_hr=True)

    response = client.get(f"{HR}/exports/questions.csv")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="smattest-questions.csv"'
    )
    rows = read_csv(response)
    got = [(r["version"], r["question_number"], r["shown"], r["wrong"], r["share_wrong"],
            r["section"]) for r in rows]  # fmt: skip
    assert got == [
        # version 1: friend 3 wrong of 4, safe 2 of 4 (one partly right, one unanswered),
        # photo 1 of 4; worst first
        ("1", "1", "4", "3", "0.7500", "Friend requests"),
        ("1", "3", "4", "2", "0.5000", ""),
        ("1", "2", "4", "1", "0.2500", "Photos at work"),
        # version 2: one attempt, two wrong (a tie at 100% keeps the course's order)
        ("2", "1", "1", "1", "1.0000", "Friend requests"),
        ("2", "3", "1", "1", "1.0000", ""),
        ("2", "2", "1", "0", "0.0000", "Photos at work"),
    ]
    assert {r["course"] for r in rows} == {"refresher"}
    assert rows[0]["question"] == "A client sends you a friend request. What do you do?"
    assert rows[0]["section_number"] == "1" and rows[1]["section_number"] == ""
    # The database holds five submitted attempts and one open one; the file counted the five.
    hostapp.db.session.expire_all()
    submitted = hostapp.db.session.scalar(
        sa.select(sa.func.count()).where(QuizAttempt.submitted_at.is_not(None))
    )
    assert submitted == 5
    assert hostapp.db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 6
    assert hostapp.db.session.scalars(sa.select(HREvent.action)).all() == ["export.questions"]


def test_the_course_page_lists_the_newest_versions_questions_worst_first(
    client, login_as, attempts
):
    login_as(name="Hana Okafor", is_hr=True)

    html = client.get(f"{HR}/courses/refresher/questions").get_data(as_text=True)

    assert "Version 2 of the course" in html and "1 quiz attempt submitted" in html
    rows = table_rows(html)
    assert rows[0][0].startswith("1. A client sends you a friend request")
    assert rows[0][1:] == ["1. Friend requests", "1", "1", "100%"]
    assert rows[2][1:] == ["2. Photos at work", "1", "0", "0%"]

    html = client.get(f"{HR}/courses/refresher/questions?version=1").get_data(as_text=True)
    rows = table_rows(html)
    assert "4 quiz attempts submitted" in html
    assert [r[1:] for r in rows] == [
        ["1. Friend requests", "4", "3", "75%"],
        ["—", "4", "2", "50%"],
        ["2. Photos at work", "4", "1", "25%"],
    ]


def test_an_unknown_course_or_version_is_not_found(client, login_as, attempts):
    login_as(name="Hana Okafor", is_hr=True)
    assert client.get(f"{HR}/courses/nope/questions").status_code == 404
    assert client.get(f"{HR}/courses/refresher/questions?version=9").status_code == 404
    assert client.get(f"{HR}/courses/refresher/questions?version=x").status_code == 404


def test_employees_cannot_see_the_question_counts(client, login_as, attempts):
    login_as(name="Kofi Mensah")
    assert client.get(f"{HR}/courses/refresher/questions").status_code == 403
    assert client.get(f"{HR}/exports/questions.csv").status_code == 403
