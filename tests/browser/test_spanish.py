"""An employee and HR whose browser asks for Spanish: every page of the walk is in Spanish
(no English string of smattest's catalog left on it) and still passes axe-core.

The policy and the course are written in Spanish here, so that every word on the pages
is either the agency's Spanish content or smattest's translation; the check reads each
page's text against the English source strings of smattest's catalog.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from smattest.models import Attestation, TrainingCompletion
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from .. import hostapp
from ..spanish import COURSE, PHRASES, POLICY, WORDS, english_sentences_of
from .conftest import PHONE, assert_accessible, path_for, sign_in_as

#: The page's text and its title, each label element's text on its own (to catch a
#: one-word English heading or button), as the reader sees them; text an element marks
#: as English (what was recorded in English) is left out.
_TEXTS = """() => ({
  text: document.title + "\\n" + document.body.innerText,
  labels: [...document.querySelectorAll(
    "h1, h2, h3, th, dt, button, label, legend, a, option, caption, summary")]
    .map(e => e.innerText.trim()),
})"""


def assert_in_spanish(page) -> None:
    """No English string of smattest's catalog on the page, and the page says it is Spanish."""
    shown = page.evaluate(_TEXTS)
    english = sorted(p for p in PHRASES if p in shown["text"])
    english += sorted({w for w in WORDS for label in shown["labels"] if label == w})
    english += english_sentences_of(shown["text"])
    assert english == [], f"{page.url} still shows English: {english[:10]}"
    assert page.locator(".smattest-page").first.get_attribute("lang") == "es"


@pytest.fixture
def spanish_page(browser, live_server):
    """A phone-sized page whose browser asks for Spanish first, as a Spanish Chromium does."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        locale="es-US",
        extra_http_headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"},
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def agency(app, make_user, freeze):
    """A Spanish policy and course, Lucía (an employee) and Hana (HR)."""
    freeze("2026-03-02T14:30:00+00:00")
    publish("redes-sociales", "Política de redes sociales", POLICY,
            "Primera versión de la política.", effective=dt.date(2026, 3, 1))  # fmt: skip
    import_course(COURSE)
    lucia = make_user(name="Lucía Pérez", department="Protección infantil")
    hana = make_user(name="Hana Reyes", department="Recursos Humanos", is_hr=True)
    return lucia, hana


def answer(page, right: bool) -> None:
    for fieldset in page.locator("fieldset").all():
        legend = fieldset.locator("legend").inner_text()
        question = next(q for q in COURSE["questions"] if q["prompt"] in legend)
        option = next(o for o in question["options"] if bool(o.get("correct")) == right)
        fieldset.get_by_label(option["text"], exact=True).check()


def test_an_employee_and_hr_walk_smattest_in_spanish(spanish_page, live_server, agency):
    page, app = spanish_page, live_server.app
    lucia, hana = agency
    sign_in_as(page, lucia.id)

    page.goto(path_for(app, "smattest.index"))
    expect(page.locator("h1")).to_have_text("Mi cumplimiento")
    assert "Vence el 31 de marzo de 2026." in page.locator("main").inner_text()
    assert_in_spanish(page)
    assert_accessible(page)

    page.get_by_role("link", name="Leer y firmar la versión 1").click()
    page.wait_for_url("**/policies/redes-sociales")
    expect(page.get_by_role("heading", name="Firmar la versión 1")).to_be_visible()
    assert_in_spanish(page)
    assert_accessible(page)

    # Nothing filled in: the error summary and the field's message, in Spanish.
    page.get_by_role("button", name="Firmar la versión 1").click()
    expect(page.locator("#smattest-error-summary")).to_contain_text("No se registró nada")
    expect(page.locator("#smattest-error-summary")).to_contain_text(
        "Marque la casilla para confirmar que leyó y comprendió la política."
    )
    assert_in_spanish(page)
    assert_accessible(page)

    page.get_by_role(
        "checkbox",
        name="He leído y comprendido la versión 1 de Política de redes sociales y me "
        "comprometo a cumplirla.",
    ).check()
    page.get_by_role("textbox", name="Escriba su nombre completo para firmar").fill("Lucía Pérez")
    page.get_by_role("button", name="Firmar la versión 1").click()
    page.wait_for_url("**/receipts/*")
    assert page.get_by_role("status").inner_text() == (
        "Gracias. Su firma quedó registrada; este es su comprobante. "
        "Le enviamos una copia a su correo electrónico."
    )
    receipt = page.locator(".smattest-receipt").inner_text()
    assert "2 de marzo de 2026, 14:30 UTC" in receipt and "Lucía Pérez" in receipt
    assert_in_spanish(page)
    assert_accessible(page)

    page.goto(path_for(app, "smattest.course", slug=COURSE["slug"]))
    assert "Se aprueba con un 100 % o más." in page.locator("main").inner_text()
    assert_in_spanish(page)
    assert_accessible(page)
    page.get_by_role("button", name="Empezar la prueba").click()
    page.wait_for_url("**/attempts/*")
    assert_in_spanish(page)
    assert_accessible(page)

    answer(page, right=False)
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_function("document.title.startsWith('Resultado')")
    body = page.locator("main").inner_text()
    assert "Obtuvo un 0 %; la nota mínima es 100 %" in body
    assert "Acertó 0 de 2 respuestas." in body
    assert_in_spanish(page)
    assert_accessible(page)

    page.get_by_role("button", name="Volver a intentarlo").click()
    page.wait_for_url("**/attempts/*")
    answer(page, right=True)
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_function("document.title.startsWith('Resultado')")
    assert page.get_by_role("status").inner_text() == (
        "Aprobó. Su capacitación quedó registrada. "
        "Le enviamos una copia del comprobante a su correo electrónico."
    )
    assert "Aprobó con un 100 %" in page.locator(".smattest-receipt").inner_text()
    assert_in_spanish(page)
    assert_accessible(page)

    page.goto(path_for(app, "smattest.index"))
    assert_in_spanish(page)
    assert_accessible(page)

    sign_in_as(page, hana.id)
    page.goto(path_for(app, "smattest.hr_dashboard"))
    expect(page.locator("h1")).to_have_text("Panel de cumplimiento")
    main = page.locator("main").inner_text()
    assert "1 persona activa al 2 de marzo de 2026." in main
    assert_in_spanish(page)
    assert_accessible(page)

    session = hostapp.db.session
    session.rollback()
    (attestation,) = session.scalars(sa.select(Attestation)).all()
    assert attestation.signature == "Lucía Pérez"
    assert session.scalar(sa.select(sa.func.count()).select_from(TrainingCompletion)) == 1


def test_the_english_check_sees_an_english_page(browser, live_server, agency):
    """The walk's check can fail: the same page asked for in English is caught."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, extra_http_headers={"Accept-Language": "en"}
    )
    page = context.new_page()
    lucia, _ = agency
    sign_in_as(page, lucia.id)
    page.goto(path_for(live_server.app, "smattest.index"))
    with pytest.raises(AssertionError, match="still shows English: .*What you owe"):
        assert_in_spanish(page)
    context.close()
