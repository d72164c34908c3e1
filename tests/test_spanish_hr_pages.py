"""HR's pages asked for in Spanish: no English string of smattest's catalog left on them,
including the sentences with values in the middle and the refusals the services give.

The browser walk (tests/browser/test_spanish.py) covers the employee's pages and the
dashboard; these are HR's other pages, read through the test client as HR's browser
would ask for them (``Accept-Language: es``).
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from .spanish import COURSE, POLICY, english_in, english_sentences

pytestmark = pytest.mark.hr_on_roster

HR = "/compliance/hr"


@pytest.fixture
def spanish(app, client, freeze, hr, make_staff):
    """A Spanish policy and course, one more person on the staff list, HR reading in Spanish."""
    freeze("2026-03-02T14:30:00+00:00")
    publish("redes-sociales", "Política de redes sociales", POLICY,
            "Primera versión de la política.", effective=dt.date(2026, 3, 1))  # fmt: skip
    import_course(COURSE)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-US,es;q=0.9,en;q=0.5"
    (person,) = make_staff(1, full_name="Lucía Pérez", department="Protección infantil")
    return person


def in_spanish(response, status: int = 200) -> str:
    """The page, after checking it is in Spanish with no English string of the catalog."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert re.search(r'class="smattest-page[^"]*"[^>]* lang="es"|lang="es"', html)
    assert english_in(html) == [], f"{response.request.path} still shows English"
    assert english_sentences(html) == [], f"{response.request.path} still shows English"
    return html


def test_hrs_people_person_and_forms_are_in_spanish(client, spanish, hr):
    person = spanish
    assert "Lucía Pérez" in in_spanish(client.get(f"{HR}/people"))
    in_spanish(client.get(f"{HR}/people/{person}"))
    in_spanish(client.get(f"{HR}/people/{person}/relink"))
    assert "Conceder una exención" in in_spanish(client.get(f"{HR}/people/{person}/exemptions/new"))
    page = in_spanish(client.get(f"{HR}/people/{person}/attest"))
    assert "Registrar una certificación en nombre de Lucía Pérez" in page


def test_hrs_own_record_refuses_an_on_behalf_signature_in_spanish(client, spanish, hr):
    own = client.get("/compliance/hr/people").get_data(as_text=True)
    (staff_id,) = re.findall(r'href="/compliance/hr/people/(\d+)">Hana Okafor<', own)
    page = in_spanish(client.get(f"{HR}/people/{staff_id}/attest"))
    assert "no puede registrar su propia certificación por esta vía." in page


def test_the_paper_era_pages_are_in_spanish(client, spanish):
    in_spanish(client.get(f"{HR}/evidence/import"))
    header = "employee_id,kind,slug,version,done_on,source\n"
    upload = {"evidence": (io.BytesIO(header.encode()), "papel.csv")}
    page = in_spanish(
        client.post(f"{HR}/evidence/import", data=upload, content_type="multipart/form-data"),
        status=400,
    )
    assert "No se puede importar nada: 1 problema en papel.csv" in page
    assert "El archivo no tiene filas debajo del encabezado: no hay nada que importar." in page
    bad = header + "nadie,policy,redes-sociales,1,2026-03-01,caja 12\n"
    bad += "roster-1000000,policy,redes-sociales,1,2026-03-09,caja 12\n"
    upload = {"evidence": (io.BytesIO(bad.encode()), "papel.csv")}
    page = in_spanish(
        client.post(f"{HR}/evidence/import", data=upload, content_type="multipart/form-data"),
        status=400,
    )
    assert "línea 2: nadie en la lista de personal tiene el identificador de empleado" in page
    assert "línea 3: done_on 2026-03-09 es una fecha futura." in page
    good = header + "roster-1000000,policy,redes-sociales,1,2026-03-01,caja 12\n"
    upload = {"evidence": (io.BytesIO(good.encode()), "papel.csv")}
    page = in_spanish(
        client.post(f"{HR}/evidence/import", data=upload, content_type="multipart/form-data")
    )
    assert "Importar 1 registro" in page


@pytest.mark.parametrize(
    "path",
    [
        "/exports",
        "/roster",
        "/identity",
        "/evidence/past-versions",
        "/policies",
        "/courses/repaso-redes/questions",
        "/reminders",
        "/policies/redes-sociales/audience",
    ],
)
def test_hrs_other_pages_are_in_spanish(client, spanish, path):
    in_spanish(client.get(HR + path))


def test_a_draft_its_comparison_and_its_preview_are_in_spanish(client, spanish):
    page = in_spanish(client.get(f"{HR}/drafts/new?policy=redes-sociales"))
    assert "Empezó como el texto de la versión 1." in page
    body = POLICY + "\n## Mensajes\n\nNo conteste por su cuenta personal.\n"
    saved = client.post(
        f"{HR}/drafts/new?policy=redes-sociales",
        data={
            "body": body,
            "summary": "Mensajes privados.",
            "change": "material",
            "effective_date": "",
        },  # fmt: skip
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)
    draft = saved.headers["Location"].rstrip("/").split("/")[-1]
    in_spanish(client.get(f"{HR}/drafts/{draft}"))
    page = in_spanish(client.get(f"{HR}/drafts/{draft}/diff"))
    assert "Qué cambió de la versión 1 al borrador de la versión 2" in page
    in_spanish(client.get(f"{HR}/drafts/{draft}/preview"))


def test_the_exemption_services_refusals_are_in_spanish(client, spanish):
    person = spanish
    page = in_spanish(
        client.post(f"{HR}/people/{person}/exemptions/new", data={"until": ""}), status=400
    )
    assert "Elija al menos una política o un curso del que eximir a esta persona." in page
    assert "Indique el motivo de la exención: una auditoría lo preguntará." in page
    own = client.get(f"{HR}/people").get_data(as_text=True)
    (hana,) = re.findall(r'href="/compliance/hr/people/(\d+)">Hana Okafor<', own)
    form = client.get(f"{HR}/people/{hana}/exemptions/new").get_data(as_text=True)
    (requirement,) = re.findall(r'value="(policy:\d+)"', form)
    data = {"requirement": requirement, "reason": "Baja por maternidad.", "open_ended": "y"}
    page = in_spanish(client.post(f"{HR}/people/{hana}/exemptions/new", data=data), status=400)
    assert "No puede concederse una exención a usted: debe hacerlo otra persona" in page
    data["open_ended"], data["until"] = "", "2026-06-30"
    response = client.post(f"{HR}/people/{person}/exemptions/new", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    page = client.get(f"{HR}/people/{person}").get_data(as_text=True)
    # HR's action log shows each action's detail as it was recorded, in English, marked so.
    assert (
        '<td lang="en">Exempt from the Política de redes sociales until 30 June 2026: Baja' in page
    )
    assert english_in(page) == []
    assert english_in(page.replace('<td lang="en">', "<td>")) == ["Exempt from"]
    assert (
        "Se eximió a Lucía Pérez de Política de redes sociales hasta el 30 de junio de 2026."
        in page
    )


@pytest.mark.settings(SMATTEST_DEFAULT_LOCALE="es")
def test_the_cli_stays_english_whatever_the_default_language(app, runner, tmp_path):
    """The services' refusals go through smattest's domain; the CLI (IT's) prints English."""
    broken = tmp_path / "papel.csv"
    broken.write_text("employee_id,kind,slug,version,done_on,source\n", encoding="utf-8")
    refused = runner.invoke(args=["smattest", "evidence", "import", str(broken)])
    assert refused.exit_code == 1
    assert "The file has no rows below its header: nothing to import." in refused.output
    with app.test_request_context():
        from smattest.i18n import gettext

        assert gettext("Nothing was imported") == "No se importó nada"


def test_the_roster_files_problems_are_in_spanish(client, spanish):
    data = "employee_id,email,full_name,hire_date\n"
    data += "1001,ada@agency.example,Ada Lovelace,el lunes\n"
    data += "1001,no-es-un-correo,Ada Lovelace,2024-03-18\n"
    response = client.post(
        f"{HR}/roster",
        data={"roster": (io.BytesIO(data.encode()), "personal.csv")},
        content_type="multipart/form-data",
    )
    page = in_spanish(response, status=400)
    assert "No se puede importar nada: 3 problemas en personal.csv" in page
    assert "línea 2: hire_date &#39;el lunes&#39; no es una fecha" in page
    assert "línea 3: email &#39;no-es-un-correo&#39; no es una dirección de correo" in page
    assert "línea 3: employee_id &#39;1001&#39; repetido, también en la línea 2" in page
    header = "employee_id,email,nombre\n"
    response = client.post(
        f"{HR}/roster",
        data={"roster": (io.BytesIO(header.encode()), "personal.csv")},
        content_type="multipart/form-data",
    )
    page = in_spanish(response, status=400)
    assert "línea 1: columna desconocida &#39;nombre&#39;: las columnas son" in page
    assert "línea 1: falta la columna &#39;full_name&#39; (obligatorias:" in page


def test_the_draft_services_refusals_are_in_spanish(client, spanish):
    data = {"slug": "Mal Nombre", "title": "Uso del teléfono", "body": POLICY,
            "summary": "Primera versión.", "change": "material", "effective_date": ""}  # fmt: skip
    page = in_spanish(client.post(f"{HR}/drafts/new", data=data), status=400)
    assert "La dirección &#39;Mal Nombre&#39; no es válida" in page
    data["slug"] = "redes-sociales"
    page = in_spanish(client.post(f"{HR}/drafts/new", data=data), status=400)
    assert "Ya existe una política con la dirección &#39;redes-sociales&#39;" in page
    data["slug"] = "telefono"
    saved = client.post(f"{HR}/drafts/new", data=data)
    assert saved.status_code == 303, saved.get_data(as_text=True)
    draft = saved.headers["Location"].rstrip("/").split("/")[-1]
    preview = client.get(f"{HR}/drafts/{draft}/preview").get_data(as_text=True)
    revision = re.search(r'name="revision" type="hidden" value="([^"]*)"', preview).group(1)
    approved = client.post(f"{HR}/drafts/{draft}/approve", data={"revision": revision})
    page = in_spanish(approved, status=approved.status_code)
    assert "Usted escribió este borrador" in page


def test_a_draft_saved_by_someone_else_meanwhile_is_refused_in_spanish(client, spanish):
    data = {"body": POLICY + "\nUna línea más.\n", "summary": "Una línea más.",
            "change": "material", "effective_date": ""}  # fmt: skip
    saved = client.post(f"{HR}/drafts/new?policy=redes-sociales", data=data)
    draft = saved.headers["Location"].rstrip("/").split("/")[-1]
    edit = client.get(f"{HR}/drafts/{draft}").get_data(as_text=True)
    seen = re.search(r'name="revision" type="hidden" value="([^"]*)"', edit).group(1)
    first = client.post(f"{HR}/drafts/{draft}", data={**data, "revision": seen, "summary": "A"})
    assert first.status_code == 303, first.get_data(as_text=True)
    again = client.post(f"{HR}/drafts/{draft}", data={**data, "revision": seen, "summary": "B"})
    page = in_spanish(again, status=again.status_code)
    assert "Hana Okafor guardó este borrador a las 14:30 UTC del 2 de marzo de 2026" in page
    assert "después de que usted lo abriera. No se guardó nada." in page


def test_a_date_hr_types_that_cannot_be_read_is_refused_in_spanish(client, spanish):
    person = spanish
    data = {"requirement": "", "reason": "Baja.", "until": "el lunes que viene"}
    form = client.get(f"{HR}/people/{person}/exemptions/new").get_data(as_text=True)
    (data["requirement"],) = re.findall(r'value="(policy:\d+)"', form)
    page = in_spanish(client.post(f"{HR}/people/{person}/exemptions/new", data=data), status=400)
    assert (
        "El último día cubierto: &#39;el lunes que viene&#39; no es una fecha que este "
        "formulario pueda leer: escriba la fecha como 1 de junio de 2026 o 2026-06-01."
    ) in page


def test_the_audience_and_lifecycle_refusals_are_in_spanish(client, spanish):
    audience = f"{HR}/policies/redes-sociales/audience"
    page = in_spanish(client.post(audience, data={"who": "some"}), status=400)
    assert "Elija al menos un departamento o grupo, o elija a todo el personal." in page
    page = in_spanish(client.post(audience, data={"who": "some", "department": "Nadie"}), 400)
    assert "Departamento desconocido &#39;Nadie&#39;; los departamentos son:" in page
    retired = client.post(
        f"{HR}/policies/redes-sociales/retire", data={"from": "2026-03-01", "reason": "Ya no."}
    )
    page = in_spanish(client.get(retired.headers["Location"]))
    assert "No se retiró: 2026-03-01 ya pasó: una política se retira desde hoy" in page


def test_a_relink_hr_cannot_make_is_refused_in_spanish(client, spanish):
    person = spanish
    data = {"new_id": "roster-1000000", "reason": ""}
    page = in_spanish(client.post(f"{HR}/people/{person}/relink", data=data), status=400)
    assert "Indique el motivo del cambio" in page
    assert "el nuevo son el mismo, &#39;roster-1000000&#39;." in page


def test_a_draft_date_the_form_cannot_read_is_refused_in_spanish(client, spanish):
    data = {"body": POLICY + "\nOtra línea.\n", "summary": "Otra línea.",
            "change": "material", "effective_date": "pasado mañana"}  # fmt: skip
    page = in_spanish(client.post(f"{HR}/drafts/new?policy=redes-sociales", data=data), 400)
    assert "Escriba la fecha de entrada en vigor como 1 de junio de 2026 o 2026-06-01." in page
