"""Pages an employee sees: what they owe, and their own receipts."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import compliance
from ..attest import receipt_for, receipts_of
from ..lifecycle import upcoming_for
from ..staff import is_hr, is_manager
from ..timeutil import to_local
from ..training import completions_of
from .access import login_required
from .base import blueprint, current_staff


@blueprint.get("/")
@login_required
def index() -> ResponseReturnValue:
    """'My compliance': everything the signed-in person owes, most urgent first."""
    staff = current_staff()
    return render_template(
        "smattest/index.html",
        staff=staff,
        is_manager=is_manager(staff),
        is_hr=is_hr(current_user),
        standings=compliance.standing_of(staff),
        upcoming=upcoming_for(staff) if staff.active else [],
        receipts=receipts_of(staff),
        completions=completions_of(staff),
    )


@blueprint.get("/receipts/<int:attestation_id>")
@login_required
def receipt(attestation_id: int) -> ResponseReturnValue:
    """A receipt of the signed-in person's own attestation; anyone else's is not found."""
    attestation = receipt_for(current_staff(), attestation_id)
    if attestation is None:
        abort(404)
    return render_template(
        "smattest/receipt.html",
        attestation=attestation,
        version=attestation.policy_version,
        signed_at=to_local(attestation.attested_at),
    )
