"""Nobody records evidence about themselves.

An HR person may record a paper form, grant or end an exemption, import the
paper era or link a record to a new id — for anyone but themselves. Who "they"
are is judged by their lasting id (``SMATTEST_USER_ID``) against every id a
record has ever held, from the chained id changes: relinking one's own record
to another id, acting on it and relinking it back does not get round the
rule, because the record once held the actor's id. The command line, run by IT
on the server, records the actor it is given and is not judged.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..models import IdentityLink, Staff
from ..proxies import current_smattest

#: What every refusal ends with.
ANOTHER = "another HR person must do it. Nothing was recorded."


def own_records(actor: str) -> set[int]:
    """The staff rows that are, or ever were, under ``actor``'s id (normally one or none)."""
    session = current_smattest.db.session
    actor = str(actor)
    found = set(session.scalars(sa.select(Staff.id).where(Staff.external_id == actor)))
    found |= set(
        session.scalars(
            sa.select(IdentityLink.staff_id).where(
                sa.or_(IdentityLink.old_external_id == actor, IdentityLink.new_external_id == actor)
            )
        )
    )
    return found


def is_own(actor: str, staff_id: int) -> bool:
    """Whether the record ``staff_id`` is ``actor``'s own, now or under an earlier id."""
    return staff_id in own_records(actor)
