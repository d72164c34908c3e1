"""smattest's pages: importing this package registers every route on one blueprint.

It only assembles; the blueprint and the request helpers live in
:mod:`smattest.views.base`, which the page modules import.
"""

from . import (  # noqa: F401  (importing a page module registers its routes)
    course_pages,
    employee,
    faults,
    hr,
    policy_pages,
    security,
    team,
)
from .base import TEMPLATE_GLOBALS, blueprint, current_staff, person_language, template_context

__all__ = ["TEMPLATE_GLOBALS", "blueprint", "current_staff", "person_language", "template_context"]
