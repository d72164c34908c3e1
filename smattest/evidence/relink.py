"""Linking a person's record to a new id: one person stays one record, provably.

When the id a host signs a person in by changes (an HR system renumbers staff,
the intranet switches id scheme), HR links the new id to the existing record:
the person keeps every piece of evidence, because evidence points at the
record, not at the id. Each change is itself evidence in the hash chain
(:class:`~smattest.models.IdentityLink`: who, when, why, old id and new id),
so ``audit verify`` accounts for it. A batch is all or nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import smattest.evidence.chain as evidence
import smattest.text as text

from ..db import utcnow
from ..i18n import gettext
from ..models import (
    Attestation,
    Exemption,
    HREvent,
    IdentityLink,
    QuizAttempt,
    Reminder,
    Staff,
    TrainingCompletion,
    UnlinkedSignIn,
)
from ..people.identity import MAX_ID
from ..proxies import current_smattest
from ..signals import identity_linked
from ..state import current_app_object
from .own import own_records

#: The longest reason kept for a change of id.
MAX_REASON = 2000
#: Ids looked up per query.
CHUNK = 500


class RelinkError(ValueError):
    """The change of id cannot be made; ``problems`` names each, with its line in a file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)


@dataclass(frozen=True)
class Change:
    """One old id to one new id, and where it was asked for (``line 3``, or '')."""

    old_id: str
    new_id: str
    where: str = ""


def read_map(data: bytes) -> list[Change]:
    """The changes in a CSV file with the columns ``old_id`` and ``new_id``.

    Raises :class:`RelinkError` listing every problem with its line; checks
    against the database are :func:`relink`'s.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RelinkError([f"The file is not UTF-8 text (byte {error.start})."]) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in ("old_id", "new_id") if name not in header]
    if missing:
        raise RelinkError([
            f"The header must name the columns old_id and new_id; it has "
            f"{', '.join(header) or 'no columns'} (missing: {', '.join(missing)})."
        ])  # fmt: skip
    reader.fieldnames = header
    changes, problems = [], []
    for row in reader:
        line = f"line {reader.line_num}"
        values = [(row.get(name) or "").strip() for name in ("old_id", "new_id")]
        if not any(values) and None not in row:
            continue  # a line of empty cells
        if None in row:
            problems.append(f"{line}: more values than the header has columns.")
            continue
        changes.append(Change(values[0], values[1], line))
    if not changes and not problems:
        problems.append("The file has no changes: one line per person, old_id,new_id.")
    if problems:
        raise RelinkError(problems)
    return changes


def relink(
    changes: Sequence[Change], reason: str, recorded_by: str, *, judged: bool = True
) -> list[IdentityLink]:
    """Move each person from their old id to the new one, all of them or none.

    Each change must name the id of a person on record and an id nobody
    else holds; a new id held by a record with nothing recorded (a duplicate
    a roster import or a visit created) is folded into the person's record,
    which takes that record's roster fields. Every change is appended to the
    evidence chain in one transaction; refused sign-ins under the new ids are
    cleared. Unless ``judged`` is False (the command line, run by IT), a change
    of the HR person's own record, or to their own id, is refused: nobody
    relinks themselves. Raises :class:`RelinkError`, changing nothing, listing
    every problem.
    """
    reason = (reason or "").strip()
    shape = _check_shape(changes, reason)
    session = current_smattest.db.session
    head = evidence.lock_chain()
    try:
        # An id no database can hold is a problem above, never a query (PostgreSQL: NUL).
        well_formed = [
            c for c in changes
            if c.old_id and c.new_id and not text.unstorable(c.old_id + c.new_id)
        ]  # fmt: skip
        by_id = _staff_by_external_id([c.old_id for c in well_formed] +
                                      [c.new_id for c in well_formed])  # fmt: skip
        duplicates, problems = _check_records(well_formed, by_id)
        if judged:
            problems += _own_problems(well_formed, by_id, recorded_by)
        if shape or problems:
            raise RelinkError(_in_line_order(shape + problems))
        taken = {d.external_id: _roster_fields(d) for d in duplicates}
        if duplicates:
            session.execute(
                sa.delete(UnlinkedSignIn).where(
                    UnlinkedSignIn.staff_id.in_([d.id for d in duplicates])
                )
            )
        for duplicate in duplicates:
            session.delete(duplicate)
        session.flush()
        now, links = utcnow(), []
        for change in changes:
            staff = by_id[change.old_id]
            for field, value in taken.get(change.new_id, {}).items():
                setattr(staff, field, value)
            staff.external_id = change.new_id
            link = IdentityLink(
                staff_id=staff.id,
                old_external_id=change.old_id,
                new_external_id=change.new_id,
                reason=reason,
                recorded_by=recorded_by[:MAX_ID],
                linked_at=now,
            )
            evidence.link(head, link)
            links.append(link)
        new_ids = [c.new_id for c in changes]
        for start in range(0, len(new_ids), CHUNK):
            session.execute(
                sa.delete(UnlinkedSignIn).where(
                    UnlinkedSignIn.external_id.in_(new_ids[start : start + CHUNK])
                )
            )
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise RelinkError(
            [
                "The change could not be saved: another change to these records was saved at "
                f"the same moment, or a record still points at one being folded away "
                f"({error.orig}). Nothing was changed."
            ]
        ) from None
    except BaseException:
        session.rollback()
        raise
    identity_linked.send(current_app_object(), links=links)
    return links


def _own_problems(changes: Sequence[Change], by_id: dict[str, Staff], actor: str) -> list[str]:
    """Changes of the actor's own record, or to the actor's own id: nobody relinks themselves."""
    own = own_records(actor)
    problems = []
    for change in changes:
        record = by_id.get(change.old_id)
        holder = by_id.get(change.new_id)
        if record is not None and record.id in own:
            problems.append(
                _at(
                    change,
                    gettext(
                        "the record %(id)s is your own: another HR person must do it. Nothing was "
                        "recorded.",
                        id=repr(change.old_id),
                    ),
                )
            )
        elif change.new_id == str(actor) or (holder is not None and holder.id in own):
            problems.append(
                _at(
                    change,
                    gettext(
                        "the id %(id)s is your own: another HR person must do it. "
                        "Nothing was recorded.",
                        id=repr(change.new_id),
                    ),
                )
            )
    return problems


def _at(change: Change, problem: str) -> str:
    """A problem with where its change is (a file's ``line 4``), if it is anywhere."""
    if not change.where:
        return problem
    return gettext("%(where)s: %(problem)s", where=change.where, problem=problem)


def _in_line_order(problems: list[str]) -> list[str]:
    """Problems of a file sorted by line (``line 12: ...``), the others first."""

    def line(problem: str) -> int:
        head = problem.split(":", 1)[0]
        return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0

    return sorted(problems, key=line)


def _check_shape(changes: Sequence[Change], reason: str) -> list[str]:
    problems = []
    if not reason:
        problems.append(
            gettext('Give the reason for the change, e.g. "HR system renumbered staff".')
        )
    elif len(reason) > MAX_REASON:
        problems.append(
            gettext(
                "The reason is %(length)s characters; keep it to %(most)s.",
                length=len(reason),
                most=MAX_REASON,
            )
        )
    elif hidden := text.problem(gettext("The reason"), reason, multiline=True):
        problems.append(hidden)
    if not changes:
        problems.append(gettext("There is no change to make."))
    first_old: dict[str, str] = {}
    first_new: dict[str, str] = {}
    for change in changes:
        at = f"{change.where}: " if change.where else ""
        if not change.old_id or not change.new_id:
            problems.append(_at(change, gettext("give both the old id and the new id.")))
            continue
        for value in (change.old_id, change.new_id):
            if len(value) > MAX_ID:
                too_long = gettext(
                    "the id %(id)s... is longer than %(most)s characters.",
                    id=repr(value[:20]),
                    most=MAX_ID,
                )
                problems.append(_at(change, too_long))
        if hidden := text.id_problem(gettext("the new id"), change.new_id):
            problems.append(_at(change, hidden))
        elif text.unstorable(change.old_id):
            problems.append(
                _at(change, text.id_problem(gettext("the old id"), change.old_id) or "")
            )
        if change.old_id == change.new_id:
            problems.append(
                _at(
                    change,
                    gettext("the old and the new id are the same, %(id)s.", id=repr(change.old_id)),
                )
            )
        if change.old_id in first_old:
            problems.append(
                f"{at}{change.old_id!r} is already changed on {first_old[change.old_id]}."
            )
        if change.new_id in first_new:
            problems.append(
                f"{at}{change.new_id!r} is already given on {first_new[change.new_id]}."
            )
        first_old.setdefault(change.old_id, change.where or "an earlier change")
        first_new.setdefault(change.new_id, change.where or "an earlier change")
    for change in changes:
        if change.new_id in first_old and change.new_id != change.old_id:
            at = f"{change.where}: " if change.where else ""
            problems.append(
                f"{at}the new id {change.new_id!r} is also an old id here "
                f"({first_old[change.new_id]}): make such chains or swaps in two steps."
            )
    return problems


def _staff_by_external_id(ids: list[str]) -> dict[str, Staff]:
    session = current_smattest.db.session
    found: dict[str, Staff] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        for staff in session.scalars(
            sa.select(Staff).where(Staff.external_id.in_(unique[start : start + CHUNK]))
        ):
            found[staff.external_id] = staff
    return found


def _check_records(
    changes: Sequence[Change], by_id: dict[str, Staff]
) -> tuple[list[Staff], list[str]]:
    """Records to fold away (new ids held by empty duplicates), and every problem."""
    problems, duplicates = [], []
    missing = [c for c in changes if c.old_id not in by_id]
    earlier = _earlier_links([c.old_id for c in missing])
    for change in missing:
        done = earlier.get(change.old_id)
        if done is not None:
            problems.append(
                _at(
                    change,
                    gettext(
                        "%(old)s was already changed to %(new)s on %(day)s; nobody holds it now.",
                        old=repr(change.old_id),
                        new=repr(done.new_external_id),
                        day=f"{done.linked_at:%Y-%m-%d}",
                    ),
                )
            )
        else:
            problems.append(
                _at(change, gettext("nobody on record has the id %(id)s.", id=repr(change.old_id)))
            )
    held = [by_id[c.new_id] for c in changes if c.new_id in by_id]
    recorded = _with_records([s.id for s in held])
    for change in changes:
        holder = by_id.get(change.new_id)
        if holder is None or change.old_id not in by_id:
            continue
        if holder.id in recorded:
            problems.append(
                _at(
                    change,
                    gettext(
                        "the id %(id)s belongs to %(name)s, whose record holds evidence or "
                        "history of its own: two records cannot be merged, because evidence "
                        "never moves. Give another id.",
                        id=repr(change.new_id),
                        name=holder.full_name,
                    ),
                )
            )
        else:
            duplicates.append(holder)
    return duplicates, problems


def _earlier_links(old_ids: list[str]) -> dict[str, IdentityLink]:
    session = current_smattest.db.session
    found: dict[str, IdentityLink] = {}
    for start in range(0, len(old_ids), CHUNK):
        for link in session.scalars(
            sa.select(IdentityLink)
            .where(IdentityLink.old_external_id.in_(old_ids[start : start + CHUNK]))
            .order_by(IdentityLink.chain_seq)
        ):
            found[link.old_external_id] = link
    return found


def _with_records(staff_ids: list[int]) -> set[int]:
    """Which of these records anything points at: evidence, attempts, exemptions, mails, HR acts."""
    if not staff_ids:
        return set()
    session = current_smattest.db.session
    found: set[int] = set()
    for model in (
        Attestation,
        TrainingCompletion,
        QuizAttempt,
        Exemption,
        Reminder,
        HREvent,
    ):
        column = model.__table__.c.staff_id
        found |= set(session.scalars(sa.select(column).where(column.in_(staff_ids)).distinct()))
    return found


def _roster_fields(duplicate: Staff) -> dict[str, object]:
    """What the person's record takes from a newer empty duplicate (the roster's fields)."""
    fields: dict[str, object] = {
        field: getattr(duplicate, field)
        for field in ("email", "full_name", "department", "manager_email", "hire_date")
        if getattr(duplicate, field) is not None
    }
    if fields.get("full_name") in (duplicate.email, duplicate.external_id):
        del fields["full_name"]  # a placeholder, not a name
    fields["active"] = duplicate.active
    return fields
