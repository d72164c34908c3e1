"""Who may open what: walks every route smattest registers, so a new one cannot slip by.

A route under ``<prefix>/hr`` must carry ``hr_required``; ``<prefix>/team``
``manager_required``. Every smattest page sends anonymous visitors to the
host's sign-in page; HR pages answer 403 to a signed-in employee, manager
pages to a signed-in person with no direct reports.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

PREFIX = "/compliance"


def _smattest_rules(app) -> list[Rule]:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("smattest.") and rule.endpoint != "smattest.static"
    ]


def _url(rule: Rule) -> str:
    """The rule's path with a made-up value for each variable part."""
    values = {}
    for name, converter in rule._converters.items():
        if hasattr(converter, "items"):  # any(a, b): one of its choices
            values[name] = sorted(converter.items)[0]
        elif "int" in type(converter).__name__.lower():
            values[name] = 1
        else:
            values[name] = "x"
    return rule.build(values, append_unknown=False)[1]


def _methods(rule: Rule) -> list[str]:
    return sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))


def _level(app, rule: Rule) -> str | None:
    return getattr(app.view_functions[rule.endpoint], "smattest_access", None)


def test_every_hr_route_carries_the_hr_check(app):
    hr_rules = [r for r in _smattest_rules(app) if r.rule.startswith(f"{PREFIX}/hr")]
    assert len(hr_rules) >= 10, "HR pages are missing from the URL map"
    unchecked = [r.rule for r in hr_rules if _level(app, r) != "hr"]
    assert unchecked == [], f"HR routes without hr_required: {unchecked}"


def test_routes_with_the_hr_check_live_under_hr(app):
    misplaced = [
        r.rule
        for r in _smattest_rules(app)
        if _level(app, r) == "hr" and not r.rule.startswith(f"{PREFIX}/hr")
    ]
    assert misplaced == []


def test_every_team_route_carries_the_manager_check(app):
    team_rules = [r for r in _smattest_rules(app) if r.rule.startswith(f"{PREFIX}/team")]
    assert team_rules, "the manager's team page is missing from the URL map"
    assert [r.rule for r in team_rules if _level(app, r) != "manager"] == []


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(app, client):
    for rule in _smattest_rules(app):
        for method in _methods(rule):
            response = client.open(_url(rule), method=method)
            assert response.status_code == 302, (method, rule.rule, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, rule.rule)


@pytest.fixture
def employee(login_as):
    """A signed-in employee who is neither HR nor anyone's manager."""
    return login_as(name="Sam Ordinary", is_hr=False)


def test_hr_pages_answer_403_to_an_employee(app, client, employee):
    hr_rules = [r for r in _smattest_rules(app) if _level(app, r) == "hr"]
    for rule in hr_rules:
        for method in _methods(rule):
            response = client.open(_url(rule), method=method)
            assert response.status_code == 403, (method, rule.rule, response.status_code)


def test_manager_pages_answer_403_to_someone_without_reports(app, client, employee):
    for rule in [r for r in _smattest_rules(app) if _level(app, r) == "manager"]:
        for method in _methods(rule):
            assert client.open(_url(rule), method=method).status_code == 403, rule.rule


def test_a_manager_who_is_not_hr_still_gets_403_from_hr_pages(
    app, client, make_user, make_staff, login_as
):
    boss = make_user(name="Morgan Lead")
    make_staff(1, manager_email=boss.email)
    login_as(boss)
    assert client.get(f"{PREFIX}/team").status_code == 200
    assert client.get(f"{PREFIX}/hr/").status_code == 403


def test_my_compliance_links_managers_to_their_team_and_hr_to_the_dashboard(
    app, client, make_user, make_staff, login_as
):
    employee = login_as(name="Sam Ordinary")
    page = client.get(f"{PREFIX}/").get_data(as_text=True)
    assert "Your team" not in page and "HR dashboard" not in page

    make_staff(1, manager_email=employee.email)
    page = client.get(f"{PREFIX}/").get_data(as_text=True)
    assert f'href="{PREFIX}/team"' in page and "HR dashboard" not in page

    login_as(name="Hana Resources", is_hr=True)
    page = client.get(f"{PREFIX}/").get_data(as_text=True)
    assert f'href="{PREFIX}/hr/"' in page and "Your team" not in page
