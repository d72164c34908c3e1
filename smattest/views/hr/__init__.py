"""HR's pages: importing this package registers each page module's routes.

Every route here is behind :func:`smattest.views.access.hr_required`.
"""

from . import (  # noqa: F401  (importing a page module registers its routes)
    audiences,
    courses,
    dashboard,
    drafts,
    exports,
    identity,
    paper_era,
    past_versions,
    people,
    person,
    policies,
    reminders,
    roster,
)
