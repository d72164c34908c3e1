"""The mails tests/test_mail_languages.py does not read in Spanish: the escalation to a
manager, the course receipt, the review reminder to a policy's owner and HR's weekly
summary. Each recipient whose roster language is ``es`` (HR's shared address: the
agency's default language) gets subject and body with no English string of smattest's
catalog and no English sentence, sent by the scheduler over SMTP.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from smattest.models import Course
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.scheduler import Scheduler, jobs_for
from smattest.training import start_attempt, submit

from . import hostapp
from .reminder_helpers import BASE_URL, person
from .spanish import COURSE, POLICY, english_in, english_sentences

SPANISH = {"language": "es"}


def run_the_scheduler(app, freeze, moment: str) -> None:
    now = freeze(moment)
    Scheduler(app, jobs_for(app)).run_pending(now)


def in_spanish(message) -> str:
    """The mail's plain text, after checking subject, text and HTML have no English."""
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()
    subject = str(message["Subject"])
    assert re.search(r'<(html|div) lang="es"', html), subject
    for part in (subject, text, html):
        assert english_in(part) == [], (subject, english_in(part))
        assert english_sentences(part) == [], (subject, english_sentences(part))
    return text


@pytest.fixture
def agency(app, freeze):
    """The Spanish policy in force since January; Lucía (late) and Marta, her manager,
    both reading Spanish."""
    freeze("2026-01-05T09:00:00+00:00")
    publish("redes-sociales", "Política de redes sociales", POLICY,
            "Primera versión de la política.", effective=dt.date(2026, 1, 5))  # fmt: skip
    marta = person("Marta Gil", department="Protección infantil", **SPANISH)
    lucia = person("Lucía Pérez", department="Protección infantil", email="lucia@agency.example",
                   manager_email=marta.email, **SPANISH)  # fmt: skip
    return lucia, marta


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL, SMATTEST_ESCALATE_AFTER_DAYS=1)
def test_a_manager_told_of_a_late_person_reads_it_in_spanish(app, smtp_server, freeze, agency):
    lucia, marta = agency
    run_the_scheduler(app, freeze, "2026-03-02T08:00:00+00:00")

    (digest,) = [m for m in smtp_server.inbox.to(marta.email) if "equipo" in m["Subject"]]
    text = in_spanish(digest)
    assert "Lucía Pérez" in text and "Política de redes sociales" in text
    (reminder,) = smtp_server.inbox.to(lucia.email)
    in_spanish(reminder)


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_course_receipt_is_in_the_trainees_language(app, smtp_server, freeze, agency):
    lucia, _ = agency
    freeze("2026-03-02T09:00:00+00:00")
    import_course(COURSE)
    course = hostapp.db.session.scalar(sa.select(Course).where(Course.slug == COURSE["slug"]))
    attempt = start_attempt(lucia, course)
    answers = {q.id: list(q.correct) for q in course.versions[-1].questions}
    assert submit(lucia, attempt.id, answers).completion is not None
    run_the_scheduler(app, freeze, "2026-03-02T10:00:00+00:00")

    (receipt,) = [m for m in smtp_server.inbox.to(lucia.email) if "Repaso" in m["Subject"]]
    text = in_spanish(receipt)
    assert "Repaso de redes sociales" in text and "2 de marzo de 2026" in text


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_policy_owner_is_reminded_of_the_review_in_spanish(
    app, client, login_as, smtp_server, freeze, agency
):
    _, marta = agency
    login_as(name="Hana Reyes", is_hr=True)
    response = client.post(
        "/compliance/hr/policies/redes-sociales/review",
        data={"owner_email": marta.email, "review_on": "2026-06-01"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    run_the_scheduler(app, freeze, "2026-05-04T08:00:00+00:00")  # a Monday

    (notice,) = [m for m in smtp_server.inbox.to(marta.email) if "revisión" in m["Subject"].lower()]
    assert "1 de junio de 2026" in in_spanish(notice)


@pytest.mark.settings(
    SMATTEST_BASE_URL=BASE_URL, SMATTEST_HR_EMAILS=["rrhh@agency.example"],
    SMATTEST_DEFAULT_LOCALE="es",
)  # fmt: skip
def test_hrs_weekly_summary_is_in_the_agencys_default_language(app, smtp_server, freeze, agency):
    run_the_scheduler(app, freeze, "2026-03-02T08:00:00+00:00")

    (summary,) = smtp_server.inbox.to("rrhh@agency.example")
    assert "Política de redes sociales" in in_spanish(summary)
