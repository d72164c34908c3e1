"""People by name on the dashboard's clock, and their signatures at a given moment."""

import sqlalchemy as sa

from smattest.attest import attest
from smattest.models import Staff

from . import hostapp

#: The dashboard tests' clock: Sunday 1 March 2026, 09:00 UTC.
NOW = "2026-03-01T09:00:00+00:00"


def staff_named(name: str) -> Staff:
    return hostapp.db.session.scalar(sa.select(Staff).where(Staff.full_name == name))


def sign(name: str, when: str, freeze) -> None:
    freeze(when)
    attest(staff_named(name), "social-media", 1, name)
    freeze(NOW)
