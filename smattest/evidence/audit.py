"""``audit verify``: every evidence row accounted for, every link, hash and signed text.

What :func:`verify` checks, in one fresh transaction:

- **Coverage.** Every row of every evidence table holds a position from 1 to
  the head, and each position is held by exactly one row. A row outside
  (NULL, zero, negative, past the head) or a second row at a taken position
  is named by table, id and position: such a row was added outside smattest.
- **The chain.** Positions 1..head in order: no gap, each row links to the
  one before (``prev_hash``) and matches its own ``record_hash``; the last
  row is the head.
- **The signed texts** (:mod:`smattest.evidence.texts`). The SHA-256 of
  every policy version's text is recomputed and compared with what the
  version and every attestation of it recorded; the same for every course
  version's content and its completions.
  The HTML stored beside each text and course section is rendered again from
  its Markdown and compared: pages never serve the stored copy, but an edited
  one is named.
- **Exemptions.** The end shown on each exemption is its chained end.
- **Past versions.** Every version marked as in force before smattest
  (``historical_source``) has its record in the chain, whose hash covers the
  version as its table holds it now (source, who recorded it and when, its
  effective date, its text): an edit to any of them is named at that record.
- **The checkpoint log.** Every checkpoint smattest logged (``audit
  checkpoint``) still lies on the chain: one beyond the head means the newest
  rows were cut off and the head moved back. A newest checkpoint older than
  two days is a warning.

Rows outside the chain count for nothing anywhere in smattest
(:func:`smattest.models.in_chain`), so a forged row changes nobody's status
while verify names it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..models import (
    ChainHead,
    ChainPosition,
    CourseVersion,
    Exemption,
    ExemptionEnd,
    PolicyTranslation,
    PolicyVersion,
    VersionRecord,
)
from ..proxies import current_smattest
from . import checkpoint_log, texts
from .chain import CHAINED, KIND_NAMES, Evidence, record_hash
from .proofs import root_problems

#: Evidence rows read from the database at a time.
BATCH = 1000
#: Rows outside the chain named per table before the rest are only counted.
NAMED = 20


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: OK with the count and head, or every problem."""

    ok: bool
    rows: int
    head_hash: str
    #: The first break in the walk along positions 1..head ("" when the walk is whole).
    problem: str = ""
    #: Everything else wrong: rows outside the chain, altered texts, missed checkpoints.
    problems: tuple[str, ...] = field(default=())
    #: What does not fail the check but should be acted on (an old newest checkpoint).
    warnings: tuple[str, ...] = field(default=())


def _name(row: Evidence) -> str:
    return f"{KIND_NAMES[type(row)]} #{row.id} at chain position {row.chain_seq}"


def _altered(row: Evidence) -> str:
    """What to say of a row whose contents no longer match its hash."""
    if isinstance(row, PolicyTranslation):
        version = current_smattest.db.session.get(PolicyVersion, row.policy_version_id)
        what = f"policy {version.policy.slug} version {version.number}" if version else "?"
        return (
            f"{_name(row)} ({what}, {row.language}) no longer matches its recorded hash: the "
            "translation's text, its language, or when or by whom it was added was altered."
        )
    if not isinstance(row, VersionRecord):
        return f"{_name(row)} was altered: its contents no longer match its recorded hash."
    if row.policy_version_id is not None:
        version = current_smattest.db.session.get(PolicyVersion, row.policy_version_id)
        what = f"policy {version.policy.slug} version {version.number}" if version else "?"
    else:
        course = current_smattest.db.session.get(CourseVersion, row.course_version_id or 0)
        what = f"course {course.course.slug} version {course.number}" if course else "?"
    return (
        f"{_name(row)} ({what}) no longer matches its recorded hash: the past version's "
        "source, when or by whom it was recorded, its effective date or its text was "
        "altered."
    )


def outside_rows() -> list[str]:
    """Every evidence row whose position is not in 1..head, or is taken twice."""
    session = current_smattest.db.session
    found: list[str] = []
    # The head as this statement sees it: a row appended concurrently comes
    # with its head in the same commit, so it is never taken for a forgery.
    head = sa.select(ChainHead.last_seq).where(ChainHead.id == 1).scalar_subquery()
    for model in CHAINED:
        outside = sa.or_(model.chain_seq.is_(None), model.chain_seq < 1, model.chain_seq > head)
        count = session.scalar(sa.select(sa.func.count()).select_from(model).where(outside))
        rows = session.execute(
            sa.select(model.id, model.chain_seq, head.label("head"))
            .where(outside)
            .order_by(model.id)
            .limit(NAMED)
        ).all()
        for row_id, seq, now_head in rows:
            where = "no chain position" if seq is None else f"chain position {seq}"
            if seq is not None and seq > now_head:
                why = f"past the chain's head at position {now_head}"
            else:
                why = f"outside the chain's positions 1..{now_head}"
            found.append(
                f"{KIND_NAMES[model]} #{row_id} ({model.__tablename__}) has {where}, {why}: "
                "an evidence row was added outside smattest, and it counts for nothing."
            )
        if count and count > NAMED:
            found.append(f"... and {count - NAMED} more {KIND_NAMES[model]} rows outside it.")
    for model in CHAINED:
        unowned = sa.and_(
            model.chain_seq >= 1,
            model.chain_seq <= head,
            ~sa.exists()
            .where(ChainPosition.seq == model.chain_seq, ChainPosition.tbl == model.__tablename__)
            .correlate_except(ChainPosition),
        )
        for row_id, seq, owner in session.execute(
            sa.select(model.id, model.chain_seq, ChainPosition.tbl)
            .outerjoin(ChainPosition, ChainPosition.seq == model.chain_seq)
            .where(unowned)
            .order_by(model.id)
            .limit(NAMED)
        ):
            held = f"belongs to {owner}" if owner else "is in no one's name"
            found.append(
                f"{KIND_NAMES[model]} #{row_id} ({model.__tablename__}) claims chain position "
                f"{seq}, which {held} in smattest_chain_position: it was added outside "
                "smattest with the database's checks off, and it counts for nothing."
            )
    positions = sa.union_all(
        *(
            sa.select(sa.literal(model.__tablename__).label("tbl"), model.id, model.chain_seq)
            for model in CHAINED
        )
    ).subquery()
    taken_twice = (
        sa.select(positions.c.chain_seq)
        .group_by(positions.c.chain_seq)
        .having(sa.func.count() > 1)
        .subquery()
    )
    shared = session.execute(
        sa.select(positions.c.tbl, positions.c.id, positions.c.chain_seq)
        .where(positions.c.chain_seq.in_(sa.select(taken_twice.c.chain_seq)))
        .order_by(positions.c.chain_seq, positions.c.tbl, positions.c.id)
        .limit(NAMED * 2)
    ).all()
    by_seq: dict[int, list[str]] = defaultdict(list)
    for table, row_id, seq in shared:
        by_seq[seq].append(f"{table} #{row_id}")
    for seq, holders in by_seq.items():
        found.append(
            f"chain position {seq} is held by {len(holders)} rows ({', '.join(holders)}): "
            "all but one were added outside smattest."
        )
    return found


def _chain(last_seq: int) -> Iterator[list[Evidence]]:
    """The rows at each position 1..``last_seq`` in order, a batch at a time.

    Yields one list per position held (normally of one row; more when a row
    was forged at a taken position). Memory stays flat for any chain.
    """
    session = current_smattest.db.session
    after = 0
    while True:
        positions = sa.union_all(
            *(
                sa.select(model.chain_seq.label("seq")).where(
                    model.chain_seq > after, model.chain_seq <= last_seq
                )
                for model in CHAINED
            )
        ).subquery()
        seqs = session.scalars(
            sa.select(positions.c.seq).distinct().order_by(positions.c.seq).limit(BATCH)
        ).all()
        if not seqs:
            return
        rows: list[Evidence] = []
        for model in CHAINED:
            # populate_existing: verify what the database holds now, never a
            # copy the session loaded earlier.
            rows += session.scalars(
                sa.select(model)
                .where(model.chain_seq.in_(seqs))
                .execution_options(populate_existing=True)
            )
        grouped: dict[int | None, list[Evidence]] = defaultdict(list)
        for row in rows:
            grouped[row.chain_seq].append(row)
        for seq in seqs:
            yield grouped[seq]
        after = seqs[-1]
        for row in rows:
            session.expunge(row)


def _walk(last_seq: int, last_hash: str, wanted: dict[int, str]) -> tuple[int, str, str]:
    """Follow positions 1..head: (good rows, hash reached, first problem or "").

    Fills ``wanted`` (position -> hash, for checkpoints) with the hash of the
    good row found at each of its positions.
    """
    expected_seq, previous_hash, count = 1, "", 0
    for held in _chain(last_seq):
        # At a position taken twice, the row that links and hashes is the chain's;
        # the others are named by outside_rows.
        row = next(
            (r for r in held if r.prev_hash == previous_hash and record_hash(r) == r.record_hash),
            held[0],
        )
        if row.chain_seq != expected_seq:
            return (
                count,
                previous_hash,
                (
                    f"chain position {expected_seq} is missing (the next row is {_name(row)}): "
                    "an evidence row was removed."
                ),
            )
        if row.prev_hash != previous_hash:
            return (
                count,
                previous_hash,
                (
                    f"{_name(row)} does not link to the row before it: a row was inserted, "
                    "or the one before it was altered."
                ),
            )
        if record_hash(row) != row.record_hash:
            return (
                count,
                previous_hash,
                _altered(row),
            )
        if row.chain_seq in wanted:
            wanted[row.chain_seq] = row.record_hash
        expected_seq, previous_hash, count = expected_seq + 1, row.record_hash, count + 1
    if (count, previous_hash) != (last_seq, last_hash):
        return (
            count,
            previous_hash,
            (
                f"the chain ends at position {count} but its head records {last_seq}: "
                "the newest evidence rows were removed, or the head was altered."
            ),
        )
    return count, previous_hash, ""


def _exemption_problems() -> list[str]:
    """Exemption ends not bound to their grant, and grants whose repeated end is not the chain's.

    Each end names its grant twice: by row id (``exemption_id``, hashed since
    format 2) and by chain position (``grant_seq``, with the grant's hash since
    format 4). The grant at that position must be that row, about the same person
    and requirement, with that hash: a renumbered, swapped or revived grant is named.
    """
    session = current_smattest.db.session
    grant = aliased(Exemption)
    ends = session.execute(
        sa.select(ExemptionEnd.id, ExemptionEnd.chain_seq, ExemptionEnd.format,
                  ExemptionEnd.exemption_id, ExemptionEnd.grant_seq, ExemptionEnd.grant_hash,
                  ExemptionEnd.staff_id, ExemptionEnd.requirement_kind,
                  ExemptionEnd.requirement_id, grant.id, grant.staff_id,
                  grant.requirement_kind, grant.requirement_id, grant.record_hash)
        .outerjoin(grant, grant.chain_seq == ExemptionEnd.grant_seq)
        .order_by(ExemptionEnd.chain_seq)
    ).all()  # fmt: skip
    found = []
    for (end_id, seq, row_format, named, grant_seq, grant_hash, staff_id, kind, requirement,
         held_by, grant_staff, grant_kind, grant_requirement, held_hash) in ends:  # fmt: skip
        name = f"exemption end #{end_id} at chain position {seq}"
        if held_by is None:
            found.append(
                f"{name} ends the grant at chain position {grant_seq}, but no exemption holds "
                "that position: the grant was moved or removed."
            )
        elif held_by != named:
            found.append(
                f"{name} ends exemption #{named}, but the grant at chain position {grant_seq} "
                f"is exemption #{held_by}: the exemption was renumbered or swapped."
            )
        elif (grant_staff, grant_kind, grant_requirement) != (staff_id, kind, requirement):
            found.append(
                f"{name} is about staff #{staff_id} and {kind} #{requirement}, but the grant it "
                f"ends (exemption #{held_by}) is about staff #{grant_staff} and {grant_kind} "
                f"#{grant_requirement}: the exemption was altered."
            )
        elif (row_format or 1) >= 4 and grant_hash != held_hash:
            found.append(
                f"{name} recorded the grant's hash as {grant_hash}, but exemption #{held_by} "
                f"now has {held_hash}: the grant was altered or replaced."
            )
    chained = aliased(ExemptionEnd)
    rows = session.execute(
        sa.select(Exemption.id, Exemption.ended_at, Exemption.ended_by,
                  chained.ended_at, chained.ended_by)
        .outerjoin(chained, chained.grant_seq == Exemption.chain_seq)
        .where(Exemption.chain_seq.is_not(None))
    ).all()  # fmt: skip
    return found + [
        f"exemption #{exemption_id}: its end on record ({ended_at or 'not ended'}, "
        f"{ended_by or '-'}) differs from the chained end ({chained_at or 'not ended'}, "
        f"{chained_by or '-'}): the exemption row was edited."
        for exemption_id, ended_at, ended_by, chained_at, chained_by in rows
        if (ended_at, ended_by) != (chained_at, chained_by)
    ]


def _checkpoint_problems(
    checkpoints: list[tuple[int, str]], found: dict[int, str], last_seq: int, walked: int
) -> list[str]:
    problems = []
    for position, digest in sorted(set(checkpoints)):
        name = f"checkpoint position={position} hash={digest}"
        if position > last_seq:
            problems.append(
                f"{name}: the chain now ends at position {last_seq}, before it: "
                "evidence was removed, or the chain rewritten, since the checkpoint."
            )
        elif position > walked:
            problems.append(f"{name}: the chain breaks before reaching it (see above).")
        elif found[position] != digest:
            problems.append(
                f"{name}: the chain's row at that position now has hash "
                f"{found[position]}: the chain was rewritten since the checkpoint."
            )
    return problems


def verify(
    checkpoints: list[tuple[int, str]] | None = None, roots: list[tuple[int, str]] | None = None
) -> Verification:
    """Check every evidence row, the chain from 1 to the head, and every signed text.

    ``checkpoints`` (position, hash) pairs, from checkpoint lines or receipts,
    must each still be on the chain: a chain rewritten after a checkpoint was
    taken fails here even when it is whole in itself. ``roots`` (position, Merkle
    root) pairs, from v2 checkpoint lines, and the roots in smattest's own
    checkpoint log must each still be the root of the chain's first rows.

    The head is read first: rows appended while a long walk runs are left
    for the next check (they are past the head this walk read, so run verify
    when no one is signing, or expect them to be named until the next run).
    """
    session = current_smattest.db.session
    # A fresh transaction: verify what the database holds now, not an older
    # snapshot this session may still be reading (MariaDB's repeatable read).
    session.commit()
    head = session.get(ChainHead, 1, populate_existing=True)
    if head is None:
        return Verification(False, 0, "", "smattest_chain_head has no row: the head was removed.")
    last_seq, last_hash = head.last_seq, head.last_hash
    problems = outside_rows()
    checkpoints = checkpoints or []
    logged = checkpoint_log.logged()
    wanted: dict[int, str] = {position: "" for position, _ in checkpoints}
    wanted.update({position: "" for position, _, _ in logged})
    count, reached, problem = _walk(last_seq, last_hash, wanted)
    problems += texts.problems() + _exemption_problems()
    problems += _checkpoint_problems(checkpoints, wanted, last_seq, count)
    problems += checkpoint_log.problems(logged, wanted, last_seq, count)
    problems += root_problems(roots or [], count)
    warnings = checkpoint_log.age_warnings(logged, last_seq)
    session.commit()
    ok = not problem and not problems
    return Verification(ok, count, reached, problem, tuple(problems), tuple(warnings))
