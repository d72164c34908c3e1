"""A policy version in several languages: Lucía reads and signs the Spanish text, and the
evidence says so (issue 25, item 4)."""

from __future__ import annotations

import csv
import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import smattest.verify
from smattest.evidence import export as evidence_export
from smattest.models import (
    Announcement,
    Attestation,
    DueDate,
    HREvent,
    PolicyTranslation,
    Reminder,
    Staff,
)

from . import hostapp
from .conftest import all_databases

ENGLISH = "# Social media\n\nNever post anything that could identify a client.\n"
SPANISH = "# Redes sociales\n\nNunca publique nada que pueda identificar a un cliente.\n"
FRENCH = "# Réseaux sociaux\n\nNe publiez jamais rien qui puisse identifier un client.\n"
SPANISH_SHA = hashlib.sha256(SPANISH.encode()).hexdigest()
ENGLISH_SHA = hashlib.sha256(ENGLISH.encode()).hexdigest()


def sql(statement: str, **params) -> None:
    with hostapp.db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    hostapp.db.session.commit()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def publish(runner, tmp_path, *extra: str):
    english = write(tmp_path, "policy.md", ENGLISH)
    return runner.invoke(args=["smattest", "policy", "publish", "--slug", "social-media",
                               "--title", "Social Media Policy", "--file", str(english),
                               "--summary", "First version.", *extra])  # fmt: skip


@pytest.fixture
def bilingual(app, runner, freeze, tmp_path):
    """Version 1 published in English with its Spanish translation."""
    freeze("2026-03-02T09:00:00+00:00")
    spanish = write(tmp_path, "politica.md", SPANISH)
    result = publish(runner, tmp_path, "--translation", f"es={spanish}")
    assert result.exit_code == 0, result.output
    assert f"SHA-256 {SPANISH_SHA} (es translation)" in result.output
    return result


@pytest.fixture
def lucia(client, login_as, freeze):
    freeze("2026-03-02T10:00:00+00:00")
    user = login_as(name="Lucía Fernández", email="lucia@agency.example")
    client.get("/compliance/")
    return user


def form_values(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input id="(?:language|text_sha256|submission|version)" '
                           r'name="(\w+)" type="hidden" value="([^"]*)"', page))  # fmt: skip


def sign(client, values: dict[str, str], name: str = "Lucía Fernández", **headers):
    data = {**values, "signature": name, "agree": "y"}
    return client.post("/compliance/policies/social-media/attest", data=data, headers=headers)


def verify(runner):
    return runner.invoke(args=["smattest", "audit", "verify"])


def export_file(tmp_path: Path, name: str = "evidence.csv") -> Path:
    path = tmp_path / name
    path.write_text("".join(evidence_export.evidence_csv()), encoding="utf-8", newline="")
    return path


def offline(path: Path):
    return subprocess.run([sys.executable, smattest.verify.__file__, str(path)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@all_databases
@pytest.mark.tampers
def test_lucia_signs_the_spanish_text_and_an_edit_of_it_is_named_everywhere(
    bilingual, lucia, client, runner, tmp_path
):
    spanish_page = "/compliance/policies/social-media"
    page = client.get(spanish_page, headers={"Accept-Language": "es"}).get_data(as_text=True)
    values = form_values(page)

    assert '<div lang="es" dir="ltr">' in page
    assert "Nunca publique nada que pueda identificar a un cliente." in page
    assert "Never post anything" not in page
    assert 'hreflang="en"' in page and '<strong aria-current="page" lang="es">Español' in page
    assert values["language"] == "es" and values["text_sha256"] == SPANISH_SHA

    response = sign(client, values, **{"Accept-Language": "es"})

    assert response.status_code == 303
    (row,) = hostapp.db.session.scalars(sa.select(Attestation)).all()
    assert (row.language, row.text_sha256, row.format) == ("es", SPANISH_SHA, 6)
    receipt = client.get(response.headers["Location"], headers={"Accept-Language": "es"})
    shown = receipt.get_data(as_text=True)
    assert "Idioma del texto que firmó" in shown and "(es)" in shown and SPANISH_SHA in shown
    assert verify(runner).exit_code == 0
    rows = list(csv.DictReader(export_file(tmp_path).open(encoding="utf-8-sig", newline="")))
    signed = next(r for r in rows if r["kind"] == "attestation")
    translation = next(r for r in rows if r["kind"] == "translation")
    assert (signed["language"], signed["sha256"], signed["format"]) == ("es", SPANISH_SHA, "6")
    assert (translation["language"], translation["sha256"]) == ("es", SPANISH_SHA)
    assert translation["text"].replace("\r\n", "\n") == SPANISH
    clean = offline(tmp_path / "evidence.csv")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    sql("UPDATE smattest_policy_translation SET body_markdown = :text",
        text=SPANISH.replace("Nunca", "A veces"))  # fmt: skip

    result = verify(runner)
    assert result.exit_code == 1
    assert (
        "policy social-media version 1, es translation: its text no longer matches the "
        f"SHA-256 recorded when it was added ({SPANISH_SHA}" in result.output
    )
    assert "attestations recorded the text's SHA-256 as " + SPANISH_SHA in result.output
    position = translation["seq"]
    assert (
        f"translation #{translation['record_id']} at chain position {position} (policy "
        "social-media version 1, es) no longer matches its recorded hash" in result.output
    )
    tampered = offline(export_file(tmp_path, "tampered.csv"))
    assert tampered.returncode == 1
    assert f"(translation #{translation['record_id']} at position {position}): its contents " \
        "no longer match its record hash." in tampered.stdout  # fmt: skip


@pytest.mark.settings(SMATTEST_BASE_URL="http://localhost")
def test_the_receipt_mail_names_the_language_and_the_spanish_texts_hash(
    bilingual, lucia, client, runner, smtp_server
):
    page = client.get("/compliance/policies/social-media?lang=es").get_data(as_text=True)

    sign(client, form_values(page))
    sent = runner.invoke(args=["smattest", "mail", "send"])
    assert sent.exit_code == 0, sent.output

    (message,) = smtp_server.inbox.to("lucia@agency.example")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Language of the text you signed: Español (es)" in text
    assert SPANISH_SHA in text and ENGLISH_SHA not in text
    assert '<span lang="es">Español</span> (es)' in html and SPANISH_SHA in html


def test_the_reader_chooses_the_original_and_signs_it_in_english(bilingual, lucia, client):
    page = client.get(
        "/compliance/policies/social-media?lang=en", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    values = form_values(page)

    assert "Never post anything that could identify a client." in page
    assert "Nunca publique" not in page
    assert values["language"] == "en" and values["text_sha256"] == ENGLISH_SHA
    assert sign(client, values).status_code == 303
    (row,) = hostapp.db.session.scalars(sa.select(Attestation)).all()
    assert (row.language, row.text_sha256, row.format) == ("en", ENGLISH_SHA, 6)


def test_a_page_showing_another_text_than_the_one_stored_records_nothing(bilingual, lucia, client):
    values = form_values(client.get("/compliance/policies/social-media?lang=es").get_data(
        as_text=True))  # fmt: skip
    sql("UPDATE smattest_policy_translation SET body_markdown = 'Otro texto.'")

    response = sign(client, values)

    assert response.status_code == 400
    assert "The text of this policy is not the one your page showed." in response.get_data(
        as_text=True
    )
    assert hostapp.db.session.scalars(sa.select(Attestation)).all() == []
    sql("UPDATE smattest_policy_translation SET body_markdown = :text", text=SPANISH)


def test_a_version_without_translations_offers_no_choice(app, runner, freeze, tmp_path, lucia,
                                                         client):  # fmt: skip
    assert publish(runner, tmp_path).exit_code == 0

    page = client.get("/compliance/policies/social-media").get_data(as_text=True)

    assert "smattest-languages" not in page
    assert form_values(page)["language"] == "en"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("xx=politica.md", "'xx' is not a language code"),
        ("es=missing.md", "the es translation's file missing.md does not exist"),
        ("es", "--translation 'es' is not LANG=FILE"),
        ("en=politica.md", "the version's own text is in en (SMATTEST_DEFAULT_LOCALE)"),
        ("es=hidden.md", "The es translation (outside code) contains an invisible"),
        ("es=same.md", "the es translation is the same as the original text"),
    ],
)
def test_publishing_refuses_a_bad_translation_and_records_nothing(
    app, runner, freeze, tmp_path, monkeypatch, given, message
):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "politica.md", SPANISH)
    write(tmp_path, "hidden.md", SPANISH.replace("Nunca", "Nun\u202eca"))
    write(tmp_path, "same.md", ENGLISH)

    result = publish(runner, tmp_path, "--translation", given)

    assert result.exit_code == 1
    assert "Nothing published: " in result.output and message in result.output
    assert hostapp.db.session.scalars(sa.select(PolicyTranslation)).all() == []
    assert runner.invoke(args=["smattest", "policy", "list"]).output.count("social-media") == 0


def test_the_same_language_twice_is_refused(app, runner, freeze, tmp_path):
    spanish = write(tmp_path, "politica.md", SPANISH)

    result = publish(runner, tmp_path, "--translation", f"es={spanish}",
                     "--translation", f"ES={spanish}")  # fmt: skip

    assert result.exit_code == 1
    assert "the es translation is given twice" in result.output


@all_databases
def test_a_translation_added_later_changes_nothing_anyone_owes(
    app, runner, freeze, tmp_path, lucia, client
):
    assert publish(runner, tmp_path).exit_code == 0
    client.get("/compliance/")
    owed = hostapp.db.session.execute(sa.select(DueDate.staff_id, DueDate.due_on)).all()
    planned = (
        hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)),
        hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)),
    )
    french = write(tmp_path, "politique.md", FRENCH)
    spanish = write(tmp_path, "politica.md", SPANISH)
    translate = ["smattest", "policy", "translate", "--slug", "social-media", "--version", "1"]

    added = runner.invoke(args=[*translate, "--language", "fr", "--file", str(french)])
    runner.invoke(args=[*translate, "--language", "es", "--file", str(spanish)])
    again = runner.invoke(args=[*translate, "--language", "es", "--file", str(french)])

    assert added.exit_code == 0, added.output
    assert "Added the fr translation of social-media version 1." in added.output
    assert again.exit_code == 1
    assert "version 1 of social-media already has its es translation" in again.output
    hostapp.db.session.expire_all()
    assert hostapp.db.session.execute(sa.select(DueDate.staff_id, DueDate.due_on)).all() == owed
    assert (
        hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Reminder)),
        hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Announcement)),
    ) == planned
    rows = hostapp.db.session.scalars(
        sa.select(PolicyTranslation).order_by(PolicyTranslation.chain_seq)
    ).all()
    assert [(r.language, r.chain_seq, r.format) for r in rows] == [("fr", 1, 6), ("es", 2, 6)]
    assert [e.detail for e in hostapp.db.session.scalars(
        sa.select(HREvent).where(HREvent.action == "translation.add").order_by(HREvent.id))
    ][0].startswith("social-media version 1: fr (Français), SHA-256 ")  # fmt: skip
    assert verify(runner).exit_code == 0
    page = client.get("/compliance/policies/social-media", headers={"Accept-Language": "es"})
    assert "Nunca publique" in page.get_data(as_text=True)


@pytest.mark.tampers
def test_an_edit_of_a_translation_nobody_signed_is_named_at_its_chain_row(bilingual, runner):
    sql("UPDATE smattest_policy_translation SET text_sha256 = :sha, body_markdown = 'Otro.'",
        sha=hashlib.sha256(b"Otro.").hexdigest())  # fmt: skip

    result = verify(runner)

    assert result.exit_code == 1
    assert "translation #1 at chain position 1 (policy social-media version 1, es) no " \
        "longer matches its recorded hash" in result.output  # fmt: skip


def test_a_format_6_receipts_proof_verifies_offline(bilingual, lucia, client, runner):
    page = client.get("/compliance/policies/social-media?lang=es").get_data(as_text=True)
    sign(client, form_values(page))
    checkpoint = runner.invoke(args=["smattest", "audit", "checkpoint"])
    assert checkpoint.exit_code == 0, checkpoint.output
    staff = hostapp.db.session.scalar(sa.select(Staff))
    row = hostapp.db.session.scalar(sa.select(Attestation).where(Attestation.staff_id == staff.id))

    proof = client.get(f"/compliance/receipts/{row.chain_seq}/proof.json").get_json()

    assert proof["row"]["language"] == "es" and proof["row"]["sha256"] == SPANISH_SHA
    assert smattest.verify.check_proof(proof, checkpoint.output.splitlines()).startswith("OK")
    proof["row"]["language"] = "en"
    with pytest.raises(smattest.verify.ProofError, match="the row was changed"):
        smattest.verify.check_proof(proof, checkpoint.output.splitlines())
