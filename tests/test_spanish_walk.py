"""Every page smattest serves, asked for in Spanish, in the states that bring out its
messages: people overdue, an exemption granted and ended, drafts refused (a hidden
character, a date in the past), a refused publish, forms sent empty, flash messages
after each action, a quiz failed. No English string of smattest's catalog on any of them.

The walk knows which pages it visited: a page of smattest's blueprint it never opened
fails the test, so a new page must be walked too. The CSV exports are machine-readable
by contract (docs/hr.md): their columns and codes are the same whatever the reader's
language.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa

from smattest.models import Policy, Reminder, Staff
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish

from . import hostapp
from .spanish import COURSE, POLICY, english_in, english_sentences

pytestmark = pytest.mark.hr_on_roster

PREFIX = "/compliance"
HR = f"{PREFIX}/hr"
SPANISH = "es-US,es;q=0.9,en;q=0.5"
#: Pages no reader reads as text: files and JSON proofs (their contract is their format).
MACHINE = re.compile(r"\.(csv|json)$")
RLO = "\u202e"


class Walk:
    """The test client as a Spanish reader's browser, remembering which pages it read."""

    def __init__(self, app, client) -> None:
        self.app, self.client = app, client
        self.read: set[str] = set()
        self.path = ""
        #: Each page read with English on it, and the English.
        self.english: list[tuple[str, list[str]]] = []
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = SPANISH

    def page(self, response, status: int | None = 200) -> str:
        html = response.get_data(as_text=True)
        if status is not None:
            assert response.status_code == status, (response.request.path, html[:3000])
        path = self.path = response.request.path
        adapter = self.app.url_map.bind("localhost")
        endpoint, _ = adapter.match(path, method=response.request.method)
        self.read.add(endpoint)
        assert 'lang="es"' in html, f"{path} is not marked Spanish"
        if english := english_in(html) + english_sentences(html):
            self.english.append((f"{response.request.method} {path}", english))
        return html

    def get(self, path: str, status: int = 200) -> str:
        return self.page(self.client.get(path, follow_redirects=True), status)

    def post(self, path: str, data: dict | None = None, status: int | None = 200, **kw) -> str:
        response = self.client.post(path, data=data or {}, follow_redirects=True, **kw)
        return self.page(response, status)

    def done(self, path: str, data: dict | None = None, **kw) -> str:
        """An action that succeeds: the page after it says so in a flash message."""
        page = self.post(path, data, **kw)
        assert 'class="smattest-flash smattest-flash-' in page, (path, page[-3000:])
        return page


def revision_in(html: str) -> str:
    return re.search(r'name="revision" type="hidden" value="([^"]*)"', html).group(1)


def outbox_rows(at: dt.datetime) -> None:
    """Reminders in every state HR's Reminders page lists: two stuck in 'sending' (a
    run died), one given up, one retrying, and mails sent (the log)."""
    session = hostapp.db.session
    policy = session.scalar(sa.select(Policy.id).where(Policy.slug == "redes-sociales"))
    hour = dt.timedelta(hours=1)
    common = {"requirement_kind": "policy", "requirement_id": policy,
              "cycle_due": dt.date(2026, 3, 31)}  # fmt: skip
    session.add_all([
        Reminder(staff_id=staff_id("Lucía Pérez"), stage="overdue-1", status="sending",
                 claimed_at=at - 2 * hour, claim_token="x", **common),
        Reminder(staff_id=staff_id("Jorge Ruiz"), stage="overdue-2", status="sending",
                 claimed_at=at - 3 * hour, claim_token="y", **common),
        Reminder(staff_id=staff_id("Ana Soto"), stage="escalate", status="failed", attempts=5,
                 last_error="Not sent: the mail server answered 550 no such user.",
                 claimed_at=at - 4 * hour, **common),
        Reminder(staff_id=staff_id("Ana Soto"), stage="overdue-1", attempts=1,
                 last_error="Not sent: 451 later.", next_attempt_at=at + hour, **common),
        Reminder(staff_id=staff_id("Ana Soto"), stage="before-7", status="sent",
                 recipient="ana@agency.example", sent_at=at - 40 * 24 * hour, **common),
        Reminder(staff_id=staff_id("Jorge Ruiz"), stage="escalate-2", status="sent",
                 recipient="marta@agency.example", sent_at=at - 5 * hour, **common),
    ])  # fmt: skip
    session.commit()


def staff_id(name: str) -> int:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalar(sa.select(Staff.id).where(Staff.full_name == name))


@pytest.fixture
def agency(app, client, freeze, hr, make_user, make_staff, login_as):
    """A Spanish policy and course; Lucía (an employee) whose manager is Marta; two more
    people on the staff list; HR (Hana). Two and a half months later, everyone is late."""
    freeze("2026-03-02T14:30:00+00:00")
    publish("redes-sociales", "Política de redes sociales", POLICY,
            "Primera versión de la política.", effective=dt.date(2026, 3, 1))  # fmt: skip
    import_course(COURSE)
    marta = make_user(name="Marta Gil", department="Protección infantil")
    lucia = make_user(name="Lucía Pérez", department="Protección infantil",
                      manager_email=marta.email)  # fmt: skip
    make_staff(2, full_name=lambda i: ["Jorge Ruiz", "Ana Soto"][i],
               department="Protección infantil", manager_email=marta.email)  # fmt: skip
    for user in (marta, lucia):
        login_as(user)
        client.get(f"{PREFIX}/")
    login_as(hr)
    freeze("2026-05-15T15:00:00+00:00")
    return {"lucia": lucia, "marta": marta, "hana": hr}


def test_every_page_in_every_state_is_in_spanish(app, client, agency, login_as, freeze):
    walk = Walk(app, client)
    lucia = staff_id("Lucía Pérez")
    jorge = staff_id("Jorge Ruiz")

    # HR: the overview pages, with everyone overdue.
    walk.get(f"{HR}/")
    walk.get(f"{HR}/people")
    walk.get(f"{HR}/people?status=overdue")
    bad = "status=nada&sort=nombre&page=cero&left=quiza&requirement=nada"
    page = walk.get(f"{HR}/people?{bad}", status=400)
    assert "El estado &#39;nada&#39; no es ninguno de estos" in page
    page = walk.get(f"{HR}/people?status=overdue")
    expected = int(re.search(r'name="expected" value="(\d+)"', page).group(1))
    data = {"expected": str(expected + 3), "confirm": "y"}
    walk.post(f"{HR}/people/nudge?status=overdue", data, status=409)
    walk.get(f"{HR}/people/{lucia}")
    walk.get(f"{HR}/policies")
    walk.get(f"{HR}/reminders")
    walk.get(f"{HR}/exports")
    walk.get(f"{HR}/exports/status.csv?as_of=2030-01-01", status=400)
    walk.get(f"{HR}/exports/status.csv?as_of=nada", status=400)
    walk.get(f"{HR}/identity")
    walk.get(f"{HR}/roster")
    walk.get(f"{HR}/evidence/import")
    walk.get(f"{HR}/evidence/past-versions")
    walk.get(f"{HR}/courses/{COURSE['slug']}/questions")
    walk.get(f"{HR}/policies/redes-sociales/audience")
    walk.get(f"{HR}/courses/{COURSE['slug']}/audience")

    # An exemption: the form sent empty, then granted (a flash), then ended.
    form = walk.get(f"{HR}/people/{jorge}/exemptions/new")
    walk.post(f"{HR}/people/{jorge}/exemptions/new", status=400)
    (requirement,) = re.findall(r'value="(policy:\d+)"', form)
    data = {"requirement": requirement, "reason": f"Baja{RLO} médica.", "until": "2026-06-30"}
    page = walk.post(f"{HR}/people/{jorge}/exemptions/new", data, status=400)
    assert "U+202E" in page
    data["reason"] = "Baja médica."
    page = walk.post(f"{HR}/people/{jorge}/exemptions/new", data)
    (end,) = re.findall(rf'href="({HR}/exemptions/\d+/end)"', page)
    walk.get(end)
    walk.post(end, status=400)
    walk.post(end, {"reason": "Volvió antes de lo previsto.", "confirm": "y"})

    # A paper form on someone's behalf: sent empty, then with a hidden character.
    walk.get(f"{HR}/people/{lucia}/attest")
    walk.post(f"{HR}/people/{lucia}/attest", status=400)
    walk.get(f"{HR}/people/{lucia}/relink")
    walk.post(f"{HR}/people/{lucia}/relink", {"new_id": f"99{RLO}1", "reason": "Renumeración."},
              status=400)  # fmt: skip

    # Files with problems: the roster, the paper era, a past version.
    bad_roster = "employee_id,email,full_name\n1001,ada@agency.example,Ada\u200bLovelace\n"
    walk.post(f"{HR}/roster", {"roster": (io.BytesIO(bad_roster.encode()), "personal.csv")},
              status=400, content_type="multipart/form-data")  # fmt: skip
    paper = "employee_id,kind,slug,version,done_on,source\n"
    paper += f"{lucia},policy,redes-sociales,1,2026-03-01,caja{RLO} 12\n"
    walk.post(f"{HR}/evidence/import", {"evidence": (io.BytesIO(paper.encode()), "papel.csv")},
              status=400, content_type="multipart/form-data")  # fmt: skip
    visits = io.BytesIO(b"# Visitas\n")
    past = {"slug": "visitas", "title": f"Visitas{RLO} domiciliarias", "effective": "2025-01-01",
            "source": "Archivo de RR. HH.", "body": (visits, "visitas.md")}  # fmt: skip
    walk.post(f"{HR}/evidence/past-versions/policy", past, status=400,
              content_type="multipart/form-data")  # fmt: skip
    course = {"effective": "2025-01-01", "source": "Archivo de RR. HH.",
              "course": (io.BytesIO(b'{"slug": "Mal"}'), "curso.json")}  # fmt: skip
    walk.post(f"{HR}/evidence/past-versions/course", course, status=400,
              content_type="multipart/form-data")  # fmt: skip

    # Drafts: a hidden character refused, a draft saved, its pages, a publish refused,
    # then published (a flash on the policies page).
    new = f"{HR}/drafts/new?policy=redes-sociales"
    walk.get(new)
    body = POLICY + "\n## Mensajes\n\nNo conteste por su cuenta personal.\n"
    draft = {"body": body, "summary": f"Mensajes{RLO} privados.", "change": "material",
             "effective_date": ""}  # fmt: skip
    page = walk.post(new, draft, status=400)
    assert "U+202E" in page
    draft["summary"] = "Mensajes privados."
    walk.post(new, draft)
    draft_page = walk.path
    assert re.fullmatch(rf"{HR}/drafts/\d+", draft_page)
    walk.get(f"{draft_page}/diff")
    preview = walk.get(f"{draft_page}/preview")
    past = {**draft, "effective_date": "2026-05-01", "revision": revision_in(walk.get(draft_page))}
    walk.post(draft_page, past)
    preview = walk.get(f"{draft_page}/preview")
    page = walk.post(f"{draft_page}/publish", {"revision": revision_in(preview)}, status=400)
    assert "2026-05-01" in page
    walk.post(draft_page, {**draft, "revision": revision_in(walk.get(draft_page))})
    preview = walk.get(f"{draft_page}/preview")
    walk.post(f"{draft_page}/publish", {"revision": revision_in(preview)})
    new_policy = {"slug": "telefono", "title": "Uso del teléfono", "body": "# Teléfono\n",
                  "summary": "", "change": "material", "effective_date": ""}  # fmt: skip
    walk.post(f"{HR}/drafts/new", new_policy)
    telefono = walk.path
    preview = walk.get(f"{telefono}/preview")
    walk.post(f"{telefono}/approve", {"revision": revision_in(preview)}, status=None)
    months = {"revision": revision_in(preview), "every_months": "500"}
    walk.post(f"{telefono}/publish", months, status=400)
    walk.post(f"{telefono}/publish", {**months, "every_months": "12"}, status=400)
    walk.post(f"{telefono}/discard", {"revision": revision_in(preview)})

    # Lifecycle refusals and confirmations.
    walk.post(f"{HR}/policies/redes-sociales/audience", {"who": "some"}, status=400)
    walk.post(f"{HR}/policies/redes-sociales/retire", {"from": "2026-03-01", "reason": "Ya no."})
    walk.post(f"{HR}/policies/redes-sociales/review", {})
    walk.post(f"{HR}/policies/redes-sociales/withdrawals", {"number": "9", "reason": "Error."})
    walk.post(f"{HR}/people/nudge", {}, status=400)
    walk.post(f"{HR}/reminders/bulk", {}, status=400)
    outbox_rows(freeze("2026-05-15T15:00:00+00:00"))
    page = walk.get(f"{HR}/reminders")
    resolve = re.findall(rf'action="({HR}/reminders/reminder/\d+/resolve)"', page)
    assert len(resolve) == 2
    bulk = {"group": "stuck", "expected": "3", "confirm": "y", "action": "release"}
    walk.post(f"{HR}/reminders/bulk", bulk, status=409)
    walk.post(resolve[0], {"action": "mark_sent"})
    walk.post(resolve[1], {"action": "release"})
    page = walk.post(resolve[1], {"action": "release"}, status=409)
    assert "ya no está atascado (su estado es pendiente de envío)" in page
    walk.post(f"{HR}/reminders/bulk", {**bulk, "group": "given_up", "expected": "1"})
    walk.get(f"{HR}/reminders?kind=nadie", status=400)
    walk.get(f"{HR}/people/{staff_id('Ana Soto')}")
    walk.get(f"{HR}/people/{staff_id('Jorge Ruiz')}")

    # The manager's team.
    login_as(agency["marta"])
    walk.get(f"{PREFIX}/team")
    walk.get(f"{PREFIX}/team?status=nada&direct=quiza", status=400)
    walk.get(f"{PREFIX}/team/people/{lucia}")

    # The employee: late, a signature refused twice, signed, the course failed.
    login_as(agency["lucia"])
    page = walk.get(f"{PREFIX}/")
    walk.get(f"{PREFIX}/policies/")
    walk.get(f"{PREFIX}/policies/redes-sociales/versions/1")
    walk.get(f"{PREFIX}/policies/redes-sociales/changes")
    page = walk.get(f"{PREFIX}/policies/redes-sociales")
    refused = walk.post(f"{PREFIX}/policies/redes-sociales/attest", status=400)
    assert "Este campo es obligatorio." in refused  # WTForms' own message, from its catalog
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1)
    walk.post(f"{PREFIX}/policies/redes-sociales/attest",
              {"version": "x", "agree": "y", "signature": "Lucía Pérez"}, status=None)  # fmt: skip
    sign = {"version": version, "agree": "y", "signature": f"Lucía{RLO} Pérez"}
    page = walk.post(f"{PREFIX}/policies/redes-sociales/attest", sign, status=400)
    assert "U+202E" in page
    sign["signature"] = "Lucía Pérez"
    walk.post(f"{PREFIX}/policies/redes-sociales/attest", sign)
    walk.get(f"{PREFIX}/courses/{COURSE['slug']}")
    page = walk.post(f"{PREFIX}/courses/{COURSE['slug']}/attempts")
    attempt = walk.path
    walk.post(attempt, status=None)
    walk.post(attempt, {"q999999": "zz"}, status=None)
    answers = dict(re.findall(r'type="radio" id="[^"]*" name="([^"]+)" value="([^"]+)"', page))
    assert len(answers) == len(COURSE["questions"])
    walk.post(attempt, answers)
    walk.get(f"{PREFIX}/")

    blueprint = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("smattest.")
        and rule.endpoint != "smattest.static"
        and "GET" in (rule.methods or ())
        and not MACHINE.search(rule.rule)
    }
    assert walk.english == [], "\n".join(f"{p}: {e}" for p, e in walk.english)
    assert sorted(blueprint - walk.read) == []


def test_the_checks_see_english_that_no_catalog_holds():
    page = '<div lang="es"><p>Firmó el 3 de mayo.</p>\n<p>The file has a problem.</p>\n%s</div>'
    assert english_sentences(page % "") == ["The file has a problem."]
    assert english_sentences(page % '<td lang="en">Exempt from the policy</td>') == [
        "The file has a problem."
    ]
    assert english_in(page % "<p>Nothing was imported</p>") == ["Nothing was imported"]
    assert english_in(page % '<p lang="en">Nothing was imported</p>') == []


@pytest.mark.parametrize("export", ["status", "evidence", "questions", "trend"])
def test_the_csv_exports_are_the_same_in_any_language(app, client, agency, export):
    """The exports are machine-readable by contract: the same columns and codes in Spanish."""
    english = client.get(f"{HR}/exports/{export}.csv", headers={"Accept-Language": "en"})
    spanish = client.get(f"{HR}/exports/{export}.csv", headers={"Accept-Language": SPANISH})
    assert english.status_code == spanish.status_code == 200
    assert spanish.get_data() == english.get_data()
    assert english.get_data().count(b"\n") >= 1


def hidden_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to ``action``."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, re.S).group(0)
    fields = {}
    for tag in re.findall(r'<input[^>]*type="hidden"[^>]*>', form):
        name = re.search(r'name="([^"]*)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        fields[name] = value.group(1).replace("&#34;", '"').replace("&amp;", "&") if value else ""
    return fields


def test_every_confirmation_is_in_spanish(app, client, agency, login_as, make_user):
    """HR's actions done: each page after it, with its flash message, in Spanish."""
    walk = Walk(app, client)
    done = walk.done
    jorge, lucia = staff_id("Jorge Ruiz"), staff_id("Lucía Pérez")

    roster = "employee_id,email,full_name,department\n"
    roster += "2001,rosa@agency.example,Rosa Díaz,Protección infantil\n"
    upload = {"roster": (io.BytesIO(roster.encode()), "personal.csv"), "partial": "y"}
    page = walk.post(f"{HR}/roster", upload, content_type="multipart/form-data")
    page = done(f"{HR}/roster/confirm", hidden_fields(page, f"{HR}/roster/confirm"))
    assert "Rosa Díaz" in walk.get(f"{HR}/people")

    text = io.BytesIO(b"# Visitas domiciliarias\n\nAvise siempre antes de ir.\n")
    past = {"slug": "visitas", "title": "Visitas domiciliarias", "summary": "Versión en papel.",
            "effective": "2025-01-06", "source": "Manual del personal 2025",
            "text": (text, "visitas.md")}  # fmt: skip
    done(f"{HR}/evidence/past-versions/policy", past, content_type="multipart/form-data")
    paper = "employee_id,kind,slug,version,done_on,source\n"
    paper += "roster-1000000,policy,visitas,1,2025-02-03,caja 12\n"
    upload = {"evidence": (io.BytesIO(paper.encode()), "papel.csv")}
    page = walk.post(f"{HR}/evidence/import", upload, content_type="multipart/form-data")
    confirm = f"{HR}/evidence/import/confirm"
    done(confirm, hidden_fields(page, confirm))

    form = walk.get(f"{HR}/people/{jorge}/attest")
    (policy,) = re.findall(r'<option value="([^"]+)"[^>]*>Política de redes sociales', form)
    done(f"{HR}/people/{jorge}/attest", {"policy": policy, "signature": "Jorge Ruiz",
              "signed_on": "2026-05-14", "reason": "Firmó el formulario en papel."})  # fmt: skip
    done(f"{HR}/people/{lucia}/relink", {"new_id": "rrhh-77", "reason": "Nuevo sistema."})

    audience = f"{HR}/policies/redes-sociales/audience"
    done(audience, {"who": "some", "department": "Protección infantil"})
    done(f"{HR}/policies/redes-sociales/review",
              {"owner_email": "marta.gil@agency.example", "review_on": "2026-11-02"})  # fmt: skip
    done(f"{HR}/policies/visitas/retire", {"from": "2026-06-01", "reason": "Se fusiona."})
    walk.post(f"{HR}/policies/redes-sociales/withdrawals", {"number": "1", "reason": "Error."},
              status=None)  # fmt: skip

    page = walk.get(f"{HR}/people?status=overdue")
    nudge = f"{HR}/people/nudge?status=overdue"
    done(nudge, {"expected": re.search(r'name="expected" value="(\d+)"', page).group(1),
                      "confirm": "y"})  # fmt: skip

    new = {"slug": "telefono", "title": "Uso del teléfono", "body": "# Teléfono\n",
           "summary": "Primera versión.", "change": "material", "effective_date": ""}  # fmt: skip
    walk.post(f"{HR}/drafts/new", new)
    draft = walk.path
    login_as(make_user(name="Rosa Díaz", is_hr=True))
    preview = walk.get(f"{draft}/preview")
    done(f"{draft}/approve", {"revision": revision_in(preview), "comment": "De acuerdo."})
    preview = walk.get(f"{draft}/preview")
    done(f"{draft}/discard", {"revision": revision_in(preview)})

    assert walk.english == [], "\n".join(f"{p}: {e}" for p, e in walk.english)


@pytest.mark.settings(SMATTEST_DEFAULT_LOCALE="es")
def test_publishings_and_course_files_refusals_stay_english_on_the_cli(app, runner, tmp_path):
    """The refusals HR reads in Spanish are IT's English on the command line."""
    policy = tmp_path / "politica.md"
    policy.write_text("# Política\n", encoding="utf-8")
    refused = runner.invoke(args=["smattest", "policy", "publish", "--slug", "Mal Nombre",
                                  "--title", "Política", "--file", str(policy),
                                  "--summary", f"Primera{RLO} versión."])  # fmt: skip
    assert refused.exit_code != 0
    assert "slug 'Mal Nombre' is not valid: use lower-case letters" in refused.output
    refused = runner.invoke(args=["smattest", "policy", "publish", "--slug", "politica",
                                  "--title", "Política", "--file", str(policy),
                                  "--summary", f"Primera{RLO} versión."])  # fmt: skip
    assert "The change summary contains an invisible or direction-changing character" in (
        refused.output
    )
    course = tmp_path / "curso.json"
    course.write_text('{"slug": "curso", "title": "", "sections": [], "questions": []}')
    refused = runner.invoke(args=["smattest", "course", "import", str(course)])
    assert refused.exit_code != 0
    assert "title: must be non-empty text" in refused.output
    assert "sections: must be a list with at least one section" in refused.output
