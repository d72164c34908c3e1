"""Mail in the recipient's language: the scheduler writes each person's reminder, receipt
and announcement in their roster language, over a real SMTP server, whatever language the
process that planned it (a signing, HR's publishing, the daily run) was in."""

from __future__ import annotations

import datetime as dt

import pytest

from smattest.attest import attest
from smattest.publishing.policies import publish
from smattest.scheduler import Scheduler, jobs_for

from .reminder_helpers import BASE_URL, POLICY_TEXT, person, social_media_policy


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def run_the_scheduler(app, freeze, moment: str) -> None:
    """What ``flask smattest scheduler`` does at ``moment``: every job due then, once."""
    now = freeze(moment)
    Scheduler(app, jobs_for(app)).run_pending(now)


@pytest.fixture
def people(app, freeze, runner, tmp_path):
    """Lucía reads Spanish (her roster says so), Ann has no language; both owe the policy."""
    social_media_policy(freeze, effective=dt.date(2025, 1, 6))
    lucia = person("Lucía Pérez", email="lucia@agency.example")
    ann = person("Ann Obi")
    roster = tmp_path / "languages.csv"
    roster.write_text(
        "employee_id,email,full_name,language\n"
        "roster-lucía,lucia@agency.example,Lucía Pérez,es\n"
        "roster-ann,ann@agency.example,Ann Obi,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["smattest", "roster", "import", str(roster), "--partial"])
    assert result.exit_code == 0, result.output
    assert (lucia.language, ann.language) == ("es", None)
    return lucia, ann


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_the_scheduler_reminds_each_person_in_their_roster_language(
    app, smtp_server, freeze, people
):
    run_the_scheduler(app, freeze, "2026-03-02T08:00:00+00:00")  # a Monday

    (to_lucia,) = smtp_server.inbox.to("lucia@agency.example")
    assert to_lucia["Subject"] == "Vencido: Social Media Policy vencía el 5 de febrero de 2025"
    text = text_of(to_lucia)
    assert text.startswith("Hola, Lucía Pérez:\n\nTiene una tarea de cumplimiento pendiente:")
    assert "* Social Media Policy: firmar la política." in text
    assert "VENCIDO: vencía el 5 de febrero de 2025 (hace 390 días)." in text
    assert "Este es un recordatorio automático." in text
    assert '<html lang="es" dir="ltr">' in html_of(to_lucia)
    for english in ("Hello", "Overdue", "Sign the policy", "This is an automatic reminder"):
        assert english not in text

    (to_ann,) = smtp_server.inbox.to("ann@agency.example")
    assert to_ann["Subject"] == "Overdue: Social Media Policy was due on 5 February 2025"
    assert text_of(to_ann).startswith("Hello Ann Obi,")


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_the_mail_job_writes_each_receipt_in_the_signers_language(app, smtp_server, freeze, people):
    lucia, ann = people
    freeze("2026-03-02T09:00:00+00:00")
    attest(lucia, "social-media", 1, "Lucía Pérez")
    attest(ann, "social-media", 1, "Ann Obi")
    run_the_scheduler(app, freeze, "2026-03-02T10:00:00+00:00")

    (to_lucia,) = smtp_server.inbox.to("lucia@agency.example")
    assert to_lucia["Subject"] == "Comprobante: firmó Social Media Policy, versión 1"
    text = text_of(to_lucia)
    assert "Este es su comprobante por firmar una política." in text
    assert (
        "Política:  Social Media Policy\nVersión:   1\nFirmado:   2 de marzo de 2026, 09:00 UTC"
        in text
    )
    assert "Guarde este correo: muestra exactamente qué texto firmó y cuándo." in text

    (to_ann,) = smtp_server.inbox.to("ann@agency.example")
    assert to_ann["Subject"] == "Receipt: you signed Social Media Policy, version 1"
    assert "Policy:   Social Media Policy\nVersion:  1\nSigned:   2 March 2026" in text_of(to_ann)


@pytest.mark.settings(SMATTEST_BASE_URL=BASE_URL)
def test_a_new_version_is_announced_in_each_persons_language(app, smtp_server, freeze, people):
    freeze("2026-02-20T09:00:00+00:00")
    publish("social-media", "Social Media Policy", POLICY_TEXT + "Never post photos.\n",
            "Adds a rule on photos.", effective=dt.date(2026, 3, 9))  # fmt: skip
    run_the_scheduler(app, freeze, "2026-03-09T08:00:00+00:00")

    (to_lucia,) = smtp_server.inbox.to("lucia@agency.example")
    assert to_lucia["Subject"] == "Nueva versión de Social Media Policy: fírmela, por favor"
    text = text_of(to_lucia)
    assert (
        "La versión 2 de Social Media Policy entró en vigor el 9 de marzo de 2026: "
        "Adds a rule on photos." in text
    )
    assert "Está vencida: vencía el" in text
    assert "Este correo se envía una sola vez" in text
    (to_ann,) = smtp_server.inbox.to("ann@agency.example")
    assert to_ann["Subject"] == "New version of the Social Media Policy: please sign it"
