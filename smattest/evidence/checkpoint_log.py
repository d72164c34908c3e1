"""smattest's own checkpoint log, read by ``audit verify``: truncation and rewrites named.

Every ``audit checkpoint`` is logged in ``smattest_checkpoint``. ``audit verify``
compares the chain with that log: a logged checkpoint beyond the head means the
newest rows were cut off and the head moved back; one off the chain means a
rewrite. The log lives in the same database, so a DBA who empties it too is
caught only by checkpoints kept outside; a newest checkpoint older than two
days (or none at all over older evidence) is a warning.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..db import utcnow
from ..models import (
    Attestation,
    Checkpoint,
    Exemption,
    ExemptionEnd,
    IdentityLink,
    TrainingCompletion,
)
from ..proxies import current_smattest
from ..verify import utc_text

#: When each kind of evidence row was recorded.
_RECORDED_AT: dict[Any, Any] = {
    Attestation: Attestation.attested_at,
    TrainingCompletion: TrainingCompletion.completed_at,
    Exemption: Exemption.granted_at,
    ExemptionEnd: ExemptionEnd.ended_at,
    IdentityLink: IdentityLink.linked_at,
}
#: The newest logged checkpoint older than this is warned about (the scheduler takes one daily).
CHECKPOINT_AGE = dt.timedelta(days=2)


def logged() -> list[tuple[int, str, dt.datetime]]:
    """smattest's own checkpoint log: (position, hash, when), oldest first."""
    session = current_smattest.db.session
    rows = session.execute(
        sa.select(Checkpoint.position, Checkpoint.hash, Checkpoint.at).order_by(
            Checkpoint.at, Checkpoint.id
        )
    ).all()
    return [(position, digest, at) for position, digest, at in rows]


def problems(
    logged: list[tuple[int, str, dt.datetime]], found: dict[int, str], last_seq: int, walked: int
) -> list[str]:
    """Logged checkpoints the chain no longer reaches or passes through (truncation, rewrite)."""
    problems = []
    for position, digest, at in logged:
        name = (
            f"smattest's checkpoint log records position={position} hash={digest or '-'} "
            f"(taken {utc_text(at)})"
        )
        if position > last_seq:
            problems.append(
                f"{name}, beyond the chain's head at position {last_seq}: the newest evidence "
                "rows were removed and the head moved back."
            )
        elif position == 0 or position > walked:
            continue  # the empty chain; or the walk broke before it (named above)
        elif found[position] != digest:
            problems.append(
                f"{name}, but the chain's row at that position has hash {found[position]}: "
                "the chain was rewritten since that checkpoint."
            )
    return problems


def _first_recorded() -> dt.datetime | None:
    """When the row at chain position 1 was recorded (None for an empty chain)."""
    session = current_smattest.db.session
    for model, moment in _RECORDED_AT.items():
        found = session.scalar(sa.select(moment).where(model.chain_seq == 1))
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


def age_warnings(logged: list[tuple[int, str, dt.datetime]], last_seq: int) -> list[str]:
    now = utcnow()
    if not logged:
        first = _first_recorded() if last_seq else None
        if first is None or now - first <= CHECKPOINT_AGE:
            return []
        return [
            f"no checkpoint has been taken, and evidence has been recorded since "
            f"{utc_text(first)}: run 'flask smattest audit checkpoint' (the scheduler runs it "
            "daily) and keep the emailed line outside the database."
        ]
    newest = max(at for _, _, at in logged)
    if now - newest > CHECKPOINT_AGE:
        return [
            f"the newest checkpoint was taken {utc_text(newest)}, more than two days ago: "
            "rows recorded since are protected by nothing outside the database; run "
            "'flask smattest audit checkpoint' (is the scheduler running?)."
        ]
    return []
