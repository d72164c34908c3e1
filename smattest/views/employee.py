"""Pages an employee sees: what they owe, and their own receipts."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from flask import Response, abort, g, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

import smattest.evidence.checkpoints as checkpoints
import smattest.evidence.proofs as proofs
import smattest.rule.compliance as compliance

from ..models import POLICY, PolicyVersion
from ..people.own_records import (
    completion_receipt_for,
    completions_of,
    receipt_for,
    receipts_of,
)
from ..people.staff import is_hr, is_manager
from ..proxies import current_smattest
from ..publishing.lifecycle import upcoming_for
from .access import login_required
from .base import blueprint, current_staff


@blueprint.get("/")
@login_required
def index() -> ResponseReturnValue:
    """'My compliance': everything the signed-in person owes, most urgent first."""
    staff = current_staff()
    standings = compliance.person_standings(staff)
    return render_template(
        "smattest/index.html",
        staff=staff,
        is_manager=is_manager(staff),
        is_hr=is_hr(current_user),
        standings=standings,
        summaries=new_version_summaries(standings),
        upcoming=upcoming_for(staff) if staff.active else [],
        receipts=receipts_of(staff),
        completions=completions_of(staff),
    )


def new_version_summaries(standings: Sequence[compliance.Standing]) -> dict[int, str]:
    """The one-line summary of each policy version after the first that the person owes,
    by policy id: the card says what is new before they open the policy."""
    owed = [
        (s.requirement.id, s.requirement.current_number)
        for s in standings
        if s.requirement.kind == POLICY
        and s.requirement.current_number > 1
        and s.status in (compliance.DUE_SOON, compliance.OVERDUE)
    ]
    if not owed:
        return {}
    rows = current_smattest.db.session.execute(
        sa.select(PolicyVersion.policy_id, PolicyVersion.summary).where(
            sa.or_(
                *(
                    sa.and_(PolicyVersion.policy_id == policy_id, PolicyVersion.number == number)
                    for policy_id, number in owed
                )
            )
        )
    )
    return {policy_id: summary for policy_id, summary in rows if summary}


@blueprint.get("/receipts/<int:number>")
@login_required
def receipt(number: int) -> ResponseReturnValue:
    """Receipt ``number`` of the signed-in person's own attestation or training
    completion (one numbering for both: the evidence chain's); anyone else's is not
    found. It says where the emailed copy went and what the person owes next.

    Reached right after a signature committed, it is the page most likely to
    meet a connection the database dropped meanwhile (a failover, a restart):
    its read is tried once more, on a fresh connection, before the 503 page,
    which then says the signature is recorded (:mod:`smattest.views.faults`).
    """
    try:
        return _receipt_page(number)
    except (sa.exc.OperationalError, sa.exc.InterfaceError):
        try:
            current_smattest.db.session.rollback()
        except (sa.exc.OperationalError, sa.exc.InterfaceError):
            pass  # the connection is invalidated either way; the next read takes a new one
        g.pop("smattest_staff", None)
        return _receipt_page(number)


def _receipt_page(number: int) -> ResponseReturnValue:
    staff = current_staff()
    attestation = receipt_for(staff, number)
    completion = None if attestation is not None else completion_receipt_for(staff, number)
    if attestation is None and completion is None:
        abort(404)
    owed = [
        s
        for s in compliance.person_standings(staff)
        if s.status in (compliance.OVERDUE, compliance.DUE_SOON)
    ]
    covered = proofs.newest_checkpoint(number)
    return render_template(
        "smattest/receipt.html",
        number=number,
        proof_ready=covered is not None,
        attestation=attestation,
        completion=completion,
        staff=staff,
        next_owed=owed[0] if owed else None,
    )


@blueprint.get("/receipts/<int:number>/proof.json")
@login_required
def receipt_proof(number: int) -> ResponseReturnValue:
    """Receipt ``number``'s inclusion proof: the person's own row, its leaf and the audit
    path to the newest checkpoint's Merkle root, checkable offline with
    ``python -m smattest.verify proof.json --checkpoint LINE``. Only the person, and HR,
    may fetch it; for anyone else it is not found. 409 with the reason when no
    checkpoint covers the receipt yet, or the chain no longer matches it."""
    owner = None if is_hr(current_user) else current_staff().id
    try:
        document = proofs.receipt_proof(number, staff_id=owner, line=checkpoints.line_of)
    except LookupError:
        abort(404)
    except proofs.ProofUnavailable as error:
        return Response(
            json.dumps({"error": str(error)}) + "\n", status=409, mimetype="application/json"
        )
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="smattest-receipt-{number}-proof.json"'
        },
    )
