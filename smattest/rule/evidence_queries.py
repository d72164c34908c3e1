"""Which evidence counts for a requirement, per person: latest evidence and covering exemptions.

The two queries :mod:`smattest.rule.compliance` joins to the roster to apply the
rule. Only rows inside the hash chain count (a row forged outside it changes
nobody's status).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from ..models import (
    COURSE,
    Attestation,
    CourseVersion,
    Exemption,
    ExemptionEnd,
    PolicyVersion,
    TrainingCompletion,
    in_chain,
)
from .requirements import Requirement


def last_done_query(
    requirement: Requirement, until: dt.datetime, staff_ids: Sequence[int] | None = None
) -> sa.Select[int, dt.datetime, dt.datetime, int]:
    """Per person, the evidence that counts for ``requirement``: see :class:`Record`.

    With ``staff_ids`` the people are chosen inside the grouped query, so its
    cost follows their own evidence, not the table's size: SQLite materialises
    a grouped subquery whole before joining, and would otherwise scan every
    person's evidence to answer for one.
    """
    if requirement.kind == COURSE:
        person, moment = TrainingCompletion.staff_id, TrainingCompletion.completed_at
        done = sa.func.max(moment)
        query = (
            sa.select(person.label("staff_id"), done.label("done_at"), done.label("last_at"),
                      sa.func.max(CourseVersion.number).label("last_number"))
            .join(CourseVersion, CourseVersion.id == TrainingCompletion.course_version_id)
            .where(CourseVersion.course_id == requirement.id)
        )  # fmt: skip
    else:
        person, moment = Attestation.staff_id, Attestation.attested_at
        on_basis = sa.case((PolicyVersion.number >= requirement.basis_number, moment))
        query = (
            sa.select(person.label("staff_id"), sa.func.max(on_basis).label("done_at"),
                      sa.func.max(moment).label("last_at"),
                      sa.func.max(PolicyVersion.number).label("last_number"))
            .join(PolicyVersion, PolicyVersion.id == Attestation.policy_version_id)
            .where(PolicyVersion.policy_id == requirement.id)
        )  # fmt: skip
    # Only evidence inside the chain counts (a row forged outside it changes nothing).
    position = TrainingCompletion.chain_seq if requirement.kind == COURSE else Attestation.chain_seq
    query = query.where(moment <= until, in_chain(position)).group_by(person)
    return query if staff_ids is None else query.where(person.in_(staff_ids))


def exemptions_query(
    requirement: Requirement,
    day: dt.date,
    until: dt.datetime,
    staff_ids: Sequence[int] | None = None,
) -> sa.Select[int, dt.date | None]:
    """Per person, the exemptions covering ``day`` for ``requirement``.

    Only chained grants count, and only chained ends end them. An end names the
    grant it ends by the grant's chain position (hashed since format 4), not by
    the grant's row id, which nothing hashes: renumbering a grant revives nothing.
    """
    ended = sa.exists().where(
        ExemptionEnd.grant_seq == Exemption.chain_seq,
        ExemptionEnd.ended_at <= until,
        in_chain(ExemptionEnd.chain_seq),
    )
    query = sa.select(Exemption.staff_id, Exemption.until).where(
        Exemption.requirement_kind == requirement.kind,
        Exemption.requirement_id == requirement.id,
        Exemption.granted_at <= until,
        in_chain(Exemption.chain_seq),
        ~ended,
        sa.or_(Exemption.until.is_(None), Exemption.until >= day),
    )
    if staff_ids is not None:
        query = query.where(Exemption.staff_id.in_(staff_ids))
    return query
