"""Free text with markup shows as text on every page that shows it, walked from app.url_map."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from smattest import exemptions
from smattest.attest import attest_on_behalf
from smattest.models import POLICY, Staff
from smattest.publishing.policies import publish

from .. import hostapp
from .routes import fill, methods, smattest_rules

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def test_markup_in_names_departments_and_reasons_is_never_rendered_as_markup(
    app, client, login_as, freeze
):
    freeze("2026-03-02T09:00:00+00:00")
    version = publish("social-media", "Social Media Policy", "Be careful online.", "First.",
                      effective=dt.date(2026, 3, 1))  # fmt: skip
    login_as(name="Hana Hill", is_hr=True)
    client.get("/compliance/")
    victim = Staff(external_id="E9", full_name=f"Ann {SCRIPT}", email="ann@agency.example",
                   department=f"Dept {IMG}", manager_email="hana.hill1@agency.example",
                   hire_date=dt.date(2020, 1, 6))  # fmt: skip
    other = Staff(external_id="E8", full_name=f"Bo {IMG}", email="bo@agency.example",
                  department="Care", hire_date=dt.date(2020, 1, 6))  # fmt: skip
    hostapp.db.session.add_all([victim, other])
    hostapp.db.session.commit()
    attest_on_behalf(other, "social-media", f"Bo {IMG}", f"form {SCRIPT}", recorded_by="99")
    exemptions.grant(victim, POLICY, version.policy_id, f"leave {IMG}", None, "99")

    pages = {}
    for rule in smattest_rules(app):
        if "GET" not in methods(rule):
            continue
        url = fill(app, rule, victim.id if "staff_id" in rule.arguments else 1)
        response = client.get(url, query_string={"q": SCRIPT})
        if response.mimetype == "text/csv":  # data, not a page; sent with nosniff
            response.get_data()
            continue
        pages[url] = (response.status_code, response.get_data(as_text=True))
    person = client.get(f"/compliance/hr/people/{other.id}").get_data(as_text=True)
    pages["other"] = (200, person)

    shown = [url for url, (status, page) in pages.items() if "alert(1)" in page]
    assert len(shown) >= 3, sorted(pages)  # the people list, the person pages...
    for url, (status, page) in pages.items():
        assert status < 500, url
        assert SCRIPT not in page and "<img src=x" not in page, url
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 3
