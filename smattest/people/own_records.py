"""Reading a person's own evidence: their attestations and training completions with
what a page shows of each (one statement each), a completion's receipt, an attempt's."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..models import (
    Attestation,
    CourseVersion,
    PolicyVersion,
    QuizAttempt,
    Staff,
    TrainingCompletion,
    in_chain,
)
from ..proxies import current_smattest


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
            .options(joinedload(TrainingCompletion.course_version).joinedload(CourseVersion.course))
        )
    )


def receipts_of(staff: Staff) -> list[Attestation]:
    """Every attestation ``staff`` made or that was made for them, newest first, with
    the version and policy each was for."""
    version = joinedload(Attestation.policy_version)
    return list(
        current_smattest.db.session.scalars(
            sa.select(Attestation)
            .where(Attestation.staff_id == staff.id, in_chain(Attestation.chain_seq))
            .order_by(Attestation.attested_at.desc())
            .options(
                version.joinedload(PolicyVersion.policy),
                version.joinedload(PolicyVersion.withdrawal),
            )
        ).unique()
    )


def receipt_for(staff: Staff, number: int) -> Attestation | None:
    """``staff``'s own attestation with receipt ``number`` (its place in the evidence
    chain, which numbers attestations and completions alike), or None: someone else's
    is not theirs to see."""
    return current_smattest.db.session.scalar(
        sa.select(Attestation).where(
            Attestation.chain_seq == number,
            Attestation.staff_id == staff.id,
            in_chain(Attestation.chain_seq),
        )
    )
