"""smattest in the reader's language: who chooses it, and what happens without Flask-Babel."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import render_template_string
from flask_babel import Babel

from smattest.config import ConfigurationError
from smattest.models import Staff

from . import hostapp

ROOT = Path(__file__).resolve().parents[1]
INDEX = "/compliance/"


def page(client, **headers) -> str:
    response = client.get(INDEX, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_host_without_flask_babel_set_up_gets_spanish_from_accept_language(app, client, login_as):
    login_as(name="Lucía Pérez")
    text = page(client, **{"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert "<h1>Mi cumplimiento</h1>" in text
    assert '<html lang="es" dir="ltr">' in text
    assert "Todavía no ha firmado nada." in text
    assert "My compliance" not in text
    assert "babel" not in app.extensions  # smattest registered nothing of Flask-Babel's


def test_english_is_the_default_and_answers_a_language_smattest_does_not_have(client, login_as):
    login_as()
    assert "<h1>My compliance</h1>" in page(client)
    text = page(client, **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "<h1>My compliance</h1>" in text and '<html lang="en" dir="ltr">' in text


def test_the_hosts_own_locale_selector_wins(app, client, login_as):
    chosen = {"locale": "es"}
    Babel(app, locale_selector=lambda: chosen["locale"])
    login_as()
    assert "<h1>Mi cumplimiento</h1>" in page(client, **{"Accept-Language": "en"})
    chosen["locale"] = "en"
    assert "<h1>My compliance</h1>" in page(client, **{"Accept-Language": "es"})


def test_the_hosts_own_domain_stays_the_hosts(app, login_as):
    """A host template's ``_`` reads the host's catalog (``messages``), never smattest's."""
    Babel(app, locale_selector=lambda: "es")
    with app.test_request_context("/"):
        host = render_template_string("{{ _('My compliance') }}")
        ours = render_template_string("{{ _st('My compliance') }}")
    assert host == "My compliance"
    assert ours == "Mi cumplimiento"


def test_a_host_babel_without_a_selector_leaves_the_choice_to_smattest(app, client, login_as):
    Babel(app)
    login_as()
    assert "<h1>Mi cumplimiento</h1>" in page(client, **{"Accept-Language": "es"})


@pytest.mark.settings(SMATTEST_LOCALE_SELECTOR=lambda: "es")
def test_smattest_locale_selector_comes_before_the_person_and_the_browser(client, login_as):
    login_as()
    assert "<h1>Mi cumplimiento</h1>" in page(client, **{"Accept-Language": "en"})


@pytest.mark.settings(SMATTEST_LOCALE_SELECTOR=lambda: None)
def test_a_selector_answering_none_lets_smattest_choose(client, login_as):
    login_as()
    assert "<h1>Mi cumplimiento</h1>" in page(client, **{"Accept-Language": "es"})


@pytest.mark.settings(
    SMATTEST_USER_FIELDS={"email": "email", "full_name": "name", "language": "locale"}
)
def test_the_persons_language_comes_before_the_browser(client, login_as):
    login_as(name="Lucía Pérez", locale="es-MX")
    assert "<h1>Mi cumplimiento</h1>" in page(client, **{"Accept-Language": "en"})
    assert hostapp.db.session.scalar(sa.select(Staff.language)) == "es_MX"


@pytest.mark.settings(
    SMATTEST_USER_FIELDS={"email": "email", "full_name": "name", "language": "locale"}
)
def test_a_user_field_that_is_not_a_language_is_refused_clearly(app, client, login_as):
    login_as(locale="Spanish")
    with pytest.raises(Exception, match="language 'Spanish' is not a language tag"):
        client.get(INDEX)


@pytest.mark.settings(SMATTEST_DEFAULT_LOCALE="es")
def test_the_default_locale_answers_when_nothing_else_does(client, login_as):
    login_as()
    assert "<h1>Mi cumplimiento</h1>" in page(client)


def test_a_default_locale_that_is_not_a_language_stops_start_up(make_app):
    with pytest.raises(ConfigurationError, match="SMATTEST_DEFAULT_LOCALE = 'Spanish'"):
        make_app(SMATTEST_DEFAULT_LOCALE="Spanish")


def test_dates_are_written_in_the_readers_language(app):
    import datetime as dt

    from smattest import i18n
    from smattest.views.base import template_context

    names = template_context()
    with i18n.in_language("es"):
        assert names["smattest_date"](dt.date(2026, 5, 3)) == "3 de mayo de 2026"
        assert i18n.format_number(50000) == "50.000"
    with i18n.in_language("en"):
        assert names["smattest_date"](dt.date(2026, 5, 3)) == "3 May 2026"
        assert i18n.format_number(50000) == "50,000"


def test_right_to_left_languages_get_dir_rtl(app):
    from smattest import i18n

    assert i18n.direction("fa") == "rtl" and i18n.direction("ar_EG") == "rtl"
    assert i18n.direction("es") == "ltr"
    assert i18n.html_lang("es_MX") == "es-MX"


def test_the_roster_carries_each_persons_language(app, runner, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(
        "employee_id,email,full_name,language\n"
        "1,lucia@agency.example,Lucía Pérez,es-mx\n"
        "2,ada@agency.example,Ada Lovelace,\n"
    )
    result = runner.invoke(args=["smattest", "roster", "import", str(path)])
    assert result.exit_code == 0, result.output
    rows = hostapp.db.session.execute(sa.select(Staff.full_name, Staff.language))
    languages = {name: language for name, language in rows}
    assert languages == {"Lucía Pérez": "es_MX", "Ada Lovelace": None}


def test_a_roster_language_that_is_not_a_language_tag_is_refused(app, runner, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("employee_id,email,full_name,language\n1,l@agency.example,Lucía,Spanish\n")
    result = runner.invoke(args=["smattest", "roster", "import", str(path)])
    assert result.exit_code != 0
    assert "language 'Spanish' is not a language tag: write it as es, en or es-MX" in result.output
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 0


#: A host app in a fresh interpreter where importing Flask-Babel or Babel fails, as
#: when the ``babel`` extra is not installed.
WITHOUT_BABEL = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class NoBabel(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("flask_babel", "babel"):
                raise ImportError(f"No module named {name!r} (hidden by the test)")
            return None

    sys.meta_path.insert(0, NoBabel())
    sys.path.insert(0, sys.argv[1])
    from tests import hostapp
    from smattest.db import metadata
    from smattest import i18n

    app = hostapp.create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        hostapp.db.create_all()
        metadata.create_all(app.extensions["smattest"].engine)
        user = hostapp.User(name="Lucía Pérez", email="lucia@agency.example")
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        client = app.test_client()
        client.post(f"/login/{user.id}")
        response = client.get("/compliance/", headers={"Accept-Language": "es"})
        print(json.dumps({
            "status": response.status_code,
            "page": response.get_data(as_text=True),
            "installed": i18n.BABEL_INSTALLED,
            "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("babel", "flask_babel")),
        }))
    """
)


def test_without_flask_babel_everything_is_in_english_with_no_error():
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_BABEL, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["installed"] is False and result["loaded"] == []
    assert result["status"] == 200
    assert "<h1>My compliance</h1>" in result["page"]
    assert '<html lang="en" dir="ltr">' in result["page"]
    assert "You have not signed anything yet." in result["page"]


@pytest.mark.hr_on_roster
def test_hrs_pages_render_in_spanish(client, hr, policy):
    headers = {"Accept-Language": "es"}
    pages = {
        "/compliance/hr/": "Panel de cumplimiento",
        "/compliance/hr/people": "Filtrar y ordenar",
        "/compliance/hr/roster": "Las columnas",
        "/compliance/hr/exports": "Exportaciones para auditorías",
        "/compliance/hr/policies": "Nueva política",
        "/compliance/hr/reminders": "Recordatorios",
    }
    for url, spanish in pages.items():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        assert spanish in response.get_data(as_text=True), url
