"""smattest's pages: importing this package registers every route on one blueprint.

It only assembles; the blueprint and the request helpers live in
:mod:`smattest.views.base`, which the page modules import.
"""

from . import (  # noqa: F401  (importing a page module registers its routes)
    course_pages,
    employee,
    faults,
    hr_audiences,
    hr_dashboard,
    hr_drafts,
    hr_exports,
    hr_identity,
    hr_paper_era,
    hr_people,
    hr_policies,
    hr_reminders,
    hr_roster,
    policy_pages,
    security,
    team,
)
from .base import blueprint, current_staff, template_context

__all__ = ["blueprint", "current_staff", "template_context"]
