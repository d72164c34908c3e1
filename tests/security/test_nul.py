"""A NUL (or another character no database holds) anywhere smattest reads: a 400, never a 500.

Walked from ``app.url_map`` on PostgreSQL, which refuses NUL with a driver
error: every route, with NUL in each part of its address, in each query value
and form field smattest reads, and in the User-Agent it stores with a
signature. A new route is covered without editing this file.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from ..conftest import all_databases
from .routes import fill, methods, smattest_rules
from .test_csrf_and_ids import snapshot

#: Every query value smattest's pages read (filters, paging, comparisons, drafts).
QUERY = ("as_of", "from", "kind", "new_id", "page", "policy", "to", "version", "requirement",
         "status", "q", "sort", "direct", "department", "manager", "group", "left")  # fmt: skip
#: Every form field smattest's forms have, and one they do not.
FORM = ("action", "agree", "body", "change", "comment", "confirm", "every_months", "expected",
        "filename", "group", "new_id", "open_ended", "partial", "plan", "policy", "reason",
        "revision", "signature", "slug", "submission", "summary", "title", "until", "version",
        "requirement", "effective_date", "roster", "evidence", "sha256", "unknown")  # fmt: skip
NUL = "a\x00b"
REFUSED = "A character that cannot be kept"


def nul_in_each_path_part(app, rule) -> list[str]:
    urls = []
    for name in rule.arguments:
        if isinstance(rule._converters[name], (IntegerConverter, AnyConverter)):
            continue  # a number or a listed word cannot hold one: the route does not match (404)
        values: dict[str, object] = {}
        for other in rule.arguments:
            converter = rule._converters[other]
            if isinstance(converter, IntegerConverter):
                values[other] = 1
            elif isinstance(converter, AnyConverter):
                values[other] = sorted(converter.items)[0]
            else:
                values[other] = NUL if other == name else "social-media"
        urls.append(app.url_map.bind("localhost").build(rule.endpoint, values))
    return urls


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_nul_in_every_parameter_of_every_route_is_a_400_page_and_records_nothing(
    app,
    client,
    world,
):
    before = snapshot(app)
    answers: dict[str, int] = {}
    wrong: list[str] = []

    def check(label: str, response, refused: bool = True) -> None:
        page = response.get_data(as_text=True)
        answers[label] = response.status_code
        if response.status_code >= 500 or (
            refused and (response.status_code != 400 or REFUSED not in page)
        ):
            wrong.append(f"{label}: {response.status_code} {page[:200]!r}")

    for rule in smattest_rules(app):
        for method in methods(rule):
            url = fill(app, rule)
            send = client.get if method == "GET" else client.post
            for bad in nul_in_each_path_part(app, rule):
                check(f"{method} {bad!r}", send(bad))
            if method == "GET":
                for name in QUERY:
                    check(f"GET {url}?{name}=NUL", client.get(url, query_string={name: NUL}))
            else:
                for name in FORM:
                    check(f"POST {url} {name}=NUL", client.post(url, data={name: NUL}))
            check(f"{method} {url} User-Agent", send(url, headers={"User-Agent": "Moz\x00illa"}))

    assert wrong == []
    assert len(answers) > 500
    assert snapshot(app) == before


@all_databases
@pytest.mark.parametrize(
    ("url", "data", "where"),
    [
        ("/compliance/policies/%00", None, "The address (its slug) contains U+0000"),
        ("/compliance/courses/a%00b", None, "The address (its slug) contains U+0000"),
        ("/compliance/team?q=%00", None, "The address&#39;s &#39;q&#39; value contains U+0000"),
        ("/compliance/hr/people?department=x%00", None,
         "The address&#39;s &#39;department&#39; value contains U+0000 NULL at character 2"),
        ("/compliance/hr/drafts/new?policy=%00", None, "The address&#39;s &#39;policy&#39; value"),
        ("/compliance/policies/social-media/attest",
         {"version": "1", "agree": "y", "signature": "Hana\x00 Hill"},
         "The form&#39;s field &#39;signature&#39; contains U+0000 NULL at character 5"),
    ],
)  # fmt: skip
def test_the_refusal_says_where_the_character_was(app, client, world, url, data, where):
    before = snapshot(app)

    response = client.post(url, data=data) if data else client.get(url)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert where in page
    assert "Nothing was read and nothing was recorded." in page
    assert snapshot(app) == before


@all_databases
def test_signing_with_a_nul_in_the_user_agent_is_refused_and_records_nothing(app, client, world):
    before = snapshot(app)

    response = client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Hana Hill"},
        headers={"User-Agent": "Moz\x00illa"},
    )

    assert response.status_code == 400
    assert "Your browser&#39;s User-Agent header contains U+0000" in response.get_data(as_text=True)
    assert snapshot(app) == before
