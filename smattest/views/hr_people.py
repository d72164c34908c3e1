"""HR's person page: full history and status, exemptions, attestation on someone's behalf."""

from __future__ import annotations

from flask import abort
from markupsafe import escape

from ..models import Staff
from ..proxies import current_smattest
from . import blueprint
from .access import hr_required


@blueprint.route("/hr/people/<int:staff_id>")
@hr_required
def hr_person(staff_id: int):
    """One person's header, status and full history (the full page is on its way)."""
    staff = current_smattest.db.session.get(Staff, staff_id)
    if staff is None:
        abort(404)
    return f"<h1>{escape(staff.full_name)}</h1>"
