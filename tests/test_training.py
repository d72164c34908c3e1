"""The refresher course: import, quiz, pass, fail, retry, replay, due dates."""

import copy
import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from smattest.evidence import audit
from smattest.evidence import chain as evidence
from smattest.models import CourseVersion, QuizAttempt, Staff, TrainingCompletion
from smattest.publishing.courses import CourseFileError, import_course
from smattest.rule import compliance
from smattest.signals import training_completed

from . import hostapp
from .conftest import all_databases
from .html import error_summary_links
from .training_helpers import answers_for, complete, start

COURSE = {
    "slug": "refresher",
    "title": "Social Media Refresher",
    "pass_mark": 80,
    "sections": [{"title": "Why it matters", "body": "Clients **trust** us."}],
    "questions": [
        {
            "id": f"q{n}",
            "kind": "single",
            "prompt": f"Scenario {n}: what do you do?",
            "options": [
                {"text": f"Right {n}", "correct": True},
                {"text": f"Wrong {n}"},
                {"text": f"Also wrong {n}"},
            ],  # fmt: skip
            "explanation": f"Because of rule {n}.",
        }
        for n in range(1, 5)
    ]
    + [
        {
            "id": "q5",
            "kind": "multiple",
            "prompt": "Which are safe? Choose all that apply.",
            "options": [
                {"text": "Agency channel", "correct": True},
                {"text": "Tell your supervisor", "correct": True},
                {"text": "Reply from your personal account"},
            ],  # fmt: skip
            "explanation": "Move it to agency channels and tell your supervisor.",
        }
    ],
}


def course_file(**changes):
    data = copy.deepcopy(COURSE)
    data.update(changes)
    return data


@pytest.fixture
def learner(app, client, login_as, freeze):
    freeze("2026-06-01T09:00:00+00:00")
    import_course(course_file())
    user = login_as(name="Kofi Mensah", hire_date=dt.date(2018, 1, 8))
    client.get("/compliance/")
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))


def completions():
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(TrainingCompletion)).all()


def test_course_page_shows_sections_and_starts_a_quiz(client, learner):
    page = client.get("/compliance/courses/refresher").get_data(as_text=True)

    assert "Why it matters" in page and "Clients <strong>trust</strong> us." in page
    assert "answer 5 questions. You pass with 80% or more" in page
    attempt_id, quiz = start(client)
    assert all(f"Scenario {n}: what do you do?" in quiz for n in range(1, 5))
    # The prompt says "Choose all that apply." already: no second hint.
    assert quiz.count("all that apply") == 1 and 'type="checkbox"' in quiz


def test_each_attempt_shows_questions_and_options_in_its_own_order(client, learner):
    orders = set()
    for _ in range(6):
        attempt_id, quiz = start(client)
        orders.add(tuple(re.findall(r"Scenario (\d)|(Right|Wrong|Also wrong) \d", quiz)))
        client.post(f"/compliance/courses/refresher/attempts/{attempt_id}",
                    data=answers_for(attempt_id))  # fmt: skip

    assert len(orders) > 1


@all_databases
def test_a_pass_records_a_completion_in_the_evidence_chain(client, learner):
    attempt_id, _ = start(client)

    response = client.post(f"/compliance/courses/refresher/attempts/{attempt_id}",
                           data=answers_for(attempt_id, wrong=1))  # fmt: skip

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You passed with 80% (the pass mark is 80%)." in page
    (completion,) = completions()
    assert (completion.staff_id, completion.quiz_attempt_id, completion.score) == (
        learner.id, attempt_id, 80
    )  # fmt: skip
    assert completion.chain_seq == 1 and completion.record_hash == evidence.record_hash(completion)
    assert audit.verify().ok
    attempt = hostapp.db.session.get(QuizAttempt, attempt_id)
    assert (attempt.passed, attempt.score, len(attempt.answers)) == (True, 80, 5)


@all_databases
def test_my_compliance_shows_the_next_due_date_a_year_later(client, learner):
    page = client.get("/compliance/").get_data(as_text=True)
    assert "Take the Social Media Refresher" in page and "Due 1 July 2026." in page
    attempt_id, _ = start(client)
    client.post(
        f"/compliance/courses/refresher/attempts/{attempt_id}", data=answers_for(attempt_id)
    )

    page = client.get("/compliance/").get_data(as_text=True)

    assert "Current" in page and "Due 1 June 2027." in page
    assert "Social Media Refresher: completed 1 June 2026, 09:00 UTC with 100%." in page


def test_a_fail_names_the_wrong_questions_and_what_to_reread_but_never_the_answers(client, learner):
    attempt_id, _ = start(client)

    response = client.post(f"/compliance/courses/refresher/attempts/{attempt_id}",
                           data=answers_for(attempt_id, wrong=2))  # fmt: skip
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert "You scored 60%; the pass mark is 80%" in page
    assert "3 of 5 answers were right." in page
    wrong_part, right_part = page.split("Questions you got right")
    assert wrong_part.count("Not right.") == 2
    assert "Scenario 1: what do you do?" in wrong_part and "Because of rule 1." in wrong_part
    assert "Scenario 2: what do you do?" in wrong_part
    assert 'Re-read <a href="/compliance/courses/refresher">the course</a>.' in wrong_part
    assert "Right 1" not in page and "Right 2" not in page  # never the answer key
    assert "Wrong 1" not in page  # nor the wrong pick: with three options it narrows it down
    assert "<li>Right 3</li>" in right_part  # their own right answers, one item each
    assert right_part.index("Try again") > right_part.index("Which are safe?")  # at the end
    assert completions() == []

    retry_id, _ = start(client)
    assert retry_id != attempt_id
    client.post(f"/compliance/courses/refresher/attempts/{retry_id}", data=answers_for(retry_id))
    assert [c.quiz_attempt_id for c in completions()] == [retry_id]


def test_a_pass_shows_every_answer_and_explanation(client, learner):
    attempt_id, _ = start(client)
    client.post(f"/compliance/courses/refresher/attempts/{attempt_id}",
                data=answers_for(attempt_id, wrong=1))  # fmt: skip

    page = client.get(f"/compliance/courses/refresher/attempts/{attempt_id}").get_data(as_text=True)

    assert "You passed with 80% (the pass mark is 80%)." in page
    assert "Not quite." in page and "The right answer:" in page and "<li>Right 1</li>" in page
    assert "<li>Agency channel</li><li>Tell your supervisor</li>" in page  # one item each
    assert "Because of rule 1." in page


def test_a_second_submit_of_the_same_attempt_is_refused(client, learner):
    attempt_id, _ = start(client)
    url = f"/compliance/courses/refresher/attempts/{attempt_id}"
    client.post(url, data=answers_for(attempt_id))

    replay = client.post(url, data=answers_for(attempt_id))

    assert replay.status_code == 400
    assert "This attempt was already submitted. Start a new attempt to try again." in (
        replay.get_data(as_text=True)
    )
    assert len(completions()) == 1


def test_answers_to_questions_not_in_the_attempt_are_refused(client, learner):
    attempt_id, _ = start(client)
    data = answers_for(attempt_id)
    data["q99999"] = ["0"]

    response = client.post(f"/compliance/courses/refresher/attempts/{attempt_id}", data=data)

    assert response.status_code == 400
    assert "The answers do not match the questions of this attempt." in response.get_data(
        as_text=True
    )
    assert completions() == []
    assert hostapp.db.session.get(QuizAttempt, attempt_id).submitted_at is None


def test_every_question_must_be_answered(client, learner):
    attempt_id, _ = start(client)
    data = answers_for(attempt_id)
    data.pop(next(iter(data)))

    response = client.post(f"/compliance/courses/refresher/attempts/{attempt_id}", data=data)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    (question_id,) = [int(k[1:]) for k in answers_for(attempt_id) if k not in data]
    (link,) = error_summary_links(page)
    assert link[0].startswith(f"#q{question_id}-")
    assert re.match(r"Question \d is not answered: Scenario 1: what do you do\?", link[1])
    assert f'id="q{question_id}-error">Answer this question.</p>' in page
    assert page.count(" checked>") == 5  # the answers given are kept (two on the last)


def test_another_persons_attempt_is_not_found(client, learner, login_as):
    attempt_id, _ = start(client)
    login_as(name="Someone Else")

    assert client.get(f"/compliance/courses/refresher/attempts/{attempt_id}").status_code == 404


def test_training_completed_is_sent_after_commit(app, client, learner):
    seen = []
    with training_completed.connected_to(lambda s, completion: seen.append(completion.score), app):
        attempt_id, _ = start(client)
        client.post(f"/compliance/courses/refresher/attempts/{attempt_id}",
                    data=answers_for(attempt_id))  # fmt: skip

    assert seen == [100]


def course_standing(staff, day):
    return next(
        s for s in compliance.person_standings(staff, day) if s.requirement.kind == "course"
    )


def test_due_dates_cross_the_year_end(learner, freeze):
    complete(learner, "2026-12-20T10:00:00+00:00", freeze)

    assert course_standing(learner, dt.date(2026, 12, 20)).due_date == dt.date(2027, 12, 20)
    assert course_standing(learner, dt.date(2027, 12, 21)).status == "overdue"


def test_due_dates_from_a_leap_day(learner, freeze):
    complete(learner, "2028-02-29T10:00:00+00:00", freeze)

    assert course_standing(learner, dt.date(2028, 2, 29)).due_date == dt.date(2029, 2, 28)


def test_new_hires_are_due_new_hire_days_after_hire(app, make_user, freeze):
    freeze("2026-01-05T09:00:00+00:00")
    import_course(course_file())
    user = make_user(name="New Person", hire_date=dt.date(2026, 12, 15))
    staff = Staff(external_id=str(user.id), full_name=user.name, hire_date=user.hire_date)
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()

    found = course_standing(staff, dt.date(2026, 12, 15))

    assert (found.status, found.due_date) == ("due_soon", dt.date(2027, 1, 14))


def test_reimporting_a_changed_course_adds_a_version_and_old_completions_count(
    client, learner, freeze, runner, tmp_path
):
    complete(learner, "2026-06-02T10:00:00+00:00", freeze)
    path = tmp_path / "course.json"
    path.write_text(json.dumps(course_file(pass_mark=90)), encoding="utf-8")

    result = runner.invoke(args=["smattest", "course", "import", str(path)])
    again = runner.invoke(args=["smattest", "course", "import", str(path)])

    assert result.output == (
        "Imported refresher version 2: 1 section, 5 questions, pass mark 90%.\n"
    )
    assert "refresher version 2 is unchanged" in again.output
    assert [v.number for v in hostapp.db.session.scalars(sa.select(CourseVersion))] == [1, 2]
    found = course_standing(learner, dt.date(2026, 7, 1))
    assert (found.status, found.due_date) == ("current", dt.date(2027, 6, 2))


def broken(mutate):
    data = course_file()
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            broken(lambda d: d["questions"][2]["options"][0].pop("correct")),
            "questions[3] (id 'q3'): no option is marked correct (\"correct\": true)",
        ),
        (
            broken(lambda d: d["questions"].append(dict(d["questions"][0], id="again"))),
            "questions[6] (id 'again'): duplicate question: the same prompt as questions[1]",
        ),
        (
            broken(lambda d: d["questions"].append(dict(d["questions"][1], prompt="New?"))),
            "questions[6] (id 'q2'): duplicate question: the same id as questions[2]",
        ),
        (course_file(pass_mark=0), "pass_mark: 0 is not a whole number from 1 to 100"),
        (course_file(pass_mark=101), "pass_mark: 101 is not a whole number from 1 to 100"),
        (course_file(duration="1h"), "course: unknown field 'duration'"),
        (
            broken(lambda d: d["questions"][0]["options"][1].update(weight=2)),
            "questions[1] (id 'q1').options[2]: unknown field 'weight'",
        ),
        (
            broken(lambda d: d["questions"][3]["options"][1].update(correct=True)),
            "questions[4] (id 'q4'): a 'single' question has 2 correct options; it needs 1",
        ),
        (course_file(policy="no-such-policy"), "policy: no policy with slug 'no-such-policy'"),
    ],  # fmt: skip
)
def test_each_import_error_is_named_with_where_it_is_and_nothing_imported(app, data, problem):
    with pytest.raises(CourseFileError) as caught:
        import_course(data)

    assert problem in caught.value.problems
    assert hostapp.db.session.scalars(sa.select(CourseVersion)).all() == []


def test_cli_lists_every_problem_and_imports_nothing(runner, tmp_path, app):
    data = course_file(pass_mark=150, colour="blue")
    data["questions"][0]["options"][0]["correct"] = False
    path = tmp_path / "course.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    result = runner.invoke(args=["smattest", "course", "import", str(path)])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Nothing imported: {path} has 3 problems:",
        "  - course: unknown field 'colour'",
        "  - pass_mark: 150 is not a whole number from 1 to 100",
        "  - questions[1] (id 'q1'): no option is marked correct (\"correct\": true)",
    ]
    assert hostapp.db.session.scalars(sa.select(CourseVersion)).all() == []


def test_cli_reports_where_the_json_is_broken(runner, tmp_path, app):
    path = tmp_path / "course.json"
    path.write_text('{\n  "slug": "x",\n  "title": "X",,\n}', encoding="utf-8")

    result = runner.invoke(args=["smattest", "course", "import", str(path)])

    assert result.exit_code == 1
    assert "line 3, column 16: not valid JSON (Expecting property name" in result.output


def test_a_course_done_does_not_show_as_the_policy_with_the_same_id(client, learner, freeze):
    """Policy 1 and course 1 are different requirements: each page shows its own status."""
    from smattest.publishing.policies import publish

    publish("social-media", "Social Media Policy", "Be careful.", "First.")
    complete(learner, "2026-06-02T10:00:00+00:00", freeze)

    policy_page = client.get("/compliance/policies/social-media").get_data(as_text=True)
    policies_page = client.get("/compliance/policies/").get_data(as_text=True)

    assert "You are current on this policy" not in policy_page
    assert "Due soon" in policy_page and "Due soon" in policies_page
    assert "Current" not in policies_page


def test_course_list_has_a_header_and_says_how_the_quiz_is_taken(runner, learner):
    result = runner.invoke(args=["smattest", "course", "list"])

    header, row, note = result.output.splitlines()
    assert header.split()[:3] == ["SLUG", "TITLE", "IN"]
    assert row.split("  ")[0] == "refresher"
    assert "version 1 since 2026-06-01" in row and "5 of 5 questions" in row
    assert "80%" in row and "12 months" in row
    assert note == "A course has no scheduled versions: an import is in force at once."
