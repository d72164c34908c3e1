"""Pages an employee sees: what they owe, and their own receipts."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from . import blueprint, current_staff


@blueprint.get("/")
@login_required
def index():
    """'My compliance': everything the signed-in person owes, most urgent first."""
    return render_template("smattest/index.html", staff=current_staff())
