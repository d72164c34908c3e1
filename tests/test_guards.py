"""Guards HR expects: nobody in HR exempts themselves; a quiz submitted after the person
became inactive records nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from smattest.models import Exemption, QuizAttempt, Staff, TrainingCompletion
from smattest.publishing.courses import import_course

from . import hostapp
from .content import SMALL_COURSE as COURSE
from .exemption_helpers import grant_page
from .html import text_of
from .training_helpers import answers_for, start

#: As in test_exemptions.py: HR has a staff row; the policy was published on 10 March.
pytestmark = [
    pytest.mark.hr_on_roster,
    pytest.mark.policy(now="2026-03-10T09:00:00+00:00", text="# Policy\n\nBe careful.\n"),
]


def count(model) -> int:
    return hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_hr_cannot_grant_themselves_an_exemption(client, policy, hr):
    me = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(hr.id)))

    response = grant_page(client, me, policy)

    assert response.status_code == 400
    assert "You cannot grant yourself an exemption: another HR person must do it." in text_of(
        response.get_data(as_text=True)
    )
    assert count(Exemption) == 0


def test_another_hr_person_can_grant_it(client, policy, hr, login_as):
    me = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(hr.id)))
    login_as(name="Ines Moreau", is_hr=True)

    response = grant_page(client, me, policy)

    assert response.status_code == 303
    assert count(Exemption) == 1


def test_a_quiz_submitted_after_the_person_became_inactive_records_nothing(
    app, client, login_as, freeze
):
    freeze("2026-03-02T09:00:00+00:00")
    import_course(COURSE)
    user = login_as(name="Ana Diaz")
    attempt_id, _ = start(client)
    ana = hostapp.db.session.scalar(sa.select(Staff).where(Staff.external_id == str(user.id)))
    ana.active = False  # the roster marked her as a leaver while the quiz was open
    hostapp.db.session.commit()

    response = client.post(
        f"/compliance/courses/refresher/attempts/{attempt_id}", data=answers_for(attempt_id)
    )

    assert "Your compliance record is now inactive, so this quiz was not recorded." in text_of(
        response.get_data(as_text=True)
    )
    assert count(TrainingCompletion) == 0
    hostapp.db.session.expire_all()
    assert hostapp.db.session.get(QuizAttempt, attempt_id).submitted_at is None
