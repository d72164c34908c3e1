"""Taking the refresher as a learner would: start an attempt, answer, pass."""

from smattest.models import CourseVersion, QuizAttempt
from smattest.training import questions_of

from . import hostapp


def start(client) -> tuple[int, str]:
    response = client.post("/compliance/courses/refresher/attempts")
    assert response.status_code == 303
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return attempt_id, client.get(response.headers["Location"]).get_data(as_text=True)


def answers_for(attempt_id: int, wrong: int = 0) -> dict[str, list[str]]:
    """Form data answering every question, the first ``wrong`` of them (in file order)
    wrongly, with the attempt's own option ids as a browser would send them."""
    hostapp.db.session.expire_all()
    attempt = hostapp.db.session.get(QuizAttempt, attempt_id)
    data = {}
    for shown in sorted(questions_of(attempt), key=lambda p: p.question.position):
        question = shown.question
        chosen = question.correct if question.position > wrong else [len(question.options) - 1]
        ids = {index: option_id for option_id, index in shown.options}
        data[f"q{question.id}"] = [ids[i] for i in chosen]
    return data


def complete(staff, when, freeze):
    """Pass the quiz as ``staff`` at ``when`` through the service."""
    from smattest.publishing.courses import get_course
    from smattest.training import start_attempt, submit

    freeze(when)
    attempt = start_attempt(staff, get_course("refresher"))
    version = hostapp.db.session.get(CourseVersion, attempt.course_version_id)
    return submit(staff, attempt.id, {q.id: q.correct for q in version.questions}).completion
