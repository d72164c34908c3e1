"""Reading a person's training completions: their list, a receipt by number, an attempt's."""

from __future__ import annotations

import sqlalchemy as sa

from .models import QuizAttempt, Staff, TrainingCompletion, in_chain
from .proxies import current_smattest


def completion_of(attempt: QuizAttempt) -> TrainingCompletion | None:
    """The training completion a passed ``attempt`` earned, or None."""
    return current_smattest.db.session.scalar(
        sa.select(TrainingCompletion).where(TrainingCompletion.quiz_attempt_id == attempt.id)
    )


def completion_receipt_for(staff: Staff, number: int) -> TrainingCompletion | None:
    """``staff``'s own training completion with receipt ``number`` (its chain position)."""
    return current_smattest.db.session.scalar(
        sa.select(TrainingCompletion).where(
            TrainingCompletion.chain_seq == number, TrainingCompletion.staff_id == staff.id
        )
    )


def completions_of(staff: Staff) -> list[TrainingCompletion]:
    """Every course ``staff`` completed, newest first."""
    return list(
        current_smattest.db.session.scalars(
            sa.select(TrainingCompletion)
            .where(TrainingCompletion.staff_id == staff.id, in_chain(TrainingCompletion.chain_seq))
            .order_by(TrainingCompletion.completed_at.desc())
        )
    )
