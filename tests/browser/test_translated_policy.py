"""Lucía reads the policy in Spanish and signs the Spanish text (issue 25, item 4)."""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from playwright.sync_api import expect

from smattest.evidence.chain import chain_translations
from smattest.models import Attestation
from smattest.publishing.policies import publish
from smattest.publishing.translations import attach

from .. import hostapp
from .conftest import assert_accessible, path_for, sign_in_as

ENGLISH = "# Social media\n\nNever post anything that could identify a client.\n"
SPANISH = "# Redes sociales\n\nNunca publique nada que pueda identificar a un cliente.\n"


def test_lucia_chooses_spanish_reads_it_and_signs_the_spanish_text(
    page, live_server, app, make_user, freeze
):
    freeze("2026-03-02T14:30:00+00:00")
    publish("social-media", "Social Media Policy", ENGLISH, "First version.",
            effective=dt.date(2026, 3, 1),
            translate=lambda v: attach(v, {"es": SPANISH}, "cli", chain_translations))  # fmt: skip
    lucia = make_user(name="Lucía Fernández")
    sign_in_as(page, lucia.id)

    page.goto(path_for(live_server.app, "smattest.policy", slug="social-media"))
    expect(page.locator("article.smattest-policy")).to_contain_text("Never post anything")
    page.get_by_role("link", name="Español").click()
    page.wait_for_url("**/policies/social-media?lang=es")

    text = page.locator("article.smattest-policy")
    expect(text).to_contain_text("Nunca publique nada que pueda identificar a un cliente.")
    assert page.locator("div[lang=es] article.smattest-policy").count() == 1
    expect(page.locator("[aria-current=page]")).to_have_text("Español")
    assert_accessible(page)
    page.get_by_role("checkbox").check()
    page.get_by_role("textbox", name="Type your full name to sign").fill("Lucía Fernández")
    page.get_by_role("button", name="Sign version 1").click()
    page.wait_for_url("**/receipts/*")

    receipt = page.locator(".smattest-receipt").inner_text()
    spanish_sha = hashlib.sha256(SPANISH.encode()).hexdigest()
    assert "Language of the text you signed" in receipt and "Español (es)" in receipt
    assert spanish_sha in receipt
    assert_accessible(page)
    (row,) = hostapp.db.session.scalars(sa.select(Attestation)).all()
    assert (row.language, row.text_sha256, row.format) == ("es", spanish_sha, 6)
