"""HR's dashboard and people table: the numbers HR sees, filters, order, pages, and cost."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from smattest.attest import attest
from smattest.models import POLICY, Exemption, Staff
from smattest.publishing.courses import import_course

from . import hostapp
from .conftest import all_databases
from .dashboard_helpers import NOW, sign, staff_named
from .evidence_helpers import chain_exemptions
from .html import Elements, Page, page_of

#: The social media policy, in force since 1 January: everyone not signed was due 31 January.
pytestmark = pytest.mark.policy(
    now=NOW, text="Be careful online.", summary="First.", effective=dt.date(2026, 1, 1)
)


def exempt(name: str, policy_id: int, until: dt.date | None = dt.date(2026, 6, 30)) -> None:
    chain_exemptions(
        Exemption(staff_id=staff_named(name).id, requirement_kind=POLICY, requirement_id=policy_id,
                  reason="Long-term leave", until=until, granted_by="hr")
    )  # fmt: skip


@pytest.fixture
def roster(policy, make_staff, freeze):
    """Seven active people in two departments and none, plus one who left.

    Adult Services: Ann (signed: current), Bo and Cy (overdue), Di (exempt);
    Child Protection: Ed (hired 20 February: due soon), Flo (signed: current);
    no department: Gus (overdue). Hal left (inactive).
    """
    people = [
        ("Ann Archer", "Adult Services", dt.date(2019, 5, 1)),
        ("Bo Brandt", "Adult Services", dt.date(2019, 5, 1)),
        ("Cy Cole", "Adult Services", dt.date(2019, 5, 1)),
        ("Di Dunn", "Adult Services", dt.date(2019, 5, 1)),
        ("Ed Eze", "Child Protection", dt.date(2026, 2, 20)),
        ("Flo Frey", "Child Protection", dt.date(2019, 5, 1)),
        ("Gus Gray", None, dt.date(2019, 5, 1)),
    ]
    make_staff(
        len(people),
        full_name=lambda i: people[i][0],
        department=lambda i: people[i][1],
        hire_date=lambda i: people[i][2],
        manager_email=lambda i: "mara@agency.example" if i < 4 else "nils@agency.example",
    )
    make_staff(1, full_name="Hal Hart", department="Adult Services", active=False)
    sign("Ann Archer", "2026-02-15T10:00:00+00:00", freeze)
    sign("Flo Frey", "2026-02-16T10:00:00+00:00", freeze)
    exempt("Di Dunn", policy.id)
    return people


@all_databases
def test_dashboard_shows_counts_and_shares_per_requirement(client, hr, roster):
    page = page_of(client.get("/compliance/hr/"))

    counts = page.by_class["smattest-count"]
    assert counts == ["3 Overdue 43%", "1 Due soon 14%", "2 Current 29%", "1 Exempt 14%"]
    assert "7 active people, as of 1 March 2026." in " ".join(page.by_class["smattest-lead"])


@all_databases
def test_dashboard_chart_has_a_bar_per_department_and_the_same_numbers_in_a_table(
    client, hr, roster
):
    html = client.get("/compliance/hr/").get_data(as_text=True)
    page = Page(html)

    # Per bar: its label, then per segment a tooltip and the count drawn inside.
    assert page.by_class["smattest-chart-bar"] == [
        "Adult Services (4 people) Adult Services: 2 overdue (50%) 2 "
        "Adult Services: 1 current (25%) 1 Adult Services: 1 exempt (25%) 1",
        "Child Protection (2 people) Child Protection: 1 due soon (50%) 1 "
        "Child Protection: 1 current (50%) 1",
        "No department (1 person) No department: 1 overdue (100%) 1",
    ]
    assert page.table("Social Media Policy: people by department") == [
        ["Department", "People", "Overdue", "Due soon", "Current", "Exempt"],
        ["Adult Services", "4", "2 (50%)", "0", "1 (25%)", "1 (25%)"],
        ["Child Protection", "2", "0", "1 (50%)", "1 (50%)", "0"],
        ["No department", "1", "1 (100%)", "0", "0", "0"],
    ]
    svg = re.search(r"<svg[^>]*>", html).group(0)
    assert 'role="img"' in svg and "aria-labelledby=" in svg
    assert "<title id=" in html and "<desc id=" in html
    assert not Elements(html).has_handler_or_script()


def test_dashboard_draws_one_chart_per_requirement(client, hr, roster):
    import_course(COURSE)
    html = client.get("/compliance/hr/").get_data(as_text=True)

    assert html.count('<svg class="smattest-chart"') == 2
    rows = Page(html).table("Social Media Refresher: people by department")
    # A course first imported today: everyone owes it within 30 days.
    assert [row[:4] for row in rows[1:]] == [
        ["Adult Services", "4", "0", "4 (100%)"],
        ["Child Protection", "2", "0", "2 (100%)"],
        ["No department", "1", "0", "1 (100%)"],
    ]


def test_dashboard_counts_link_to_the_people_they_count(client, hr, roster):
    html = client.get("/compliance/hr/").get_data(as_text=True)

    link = "/compliance/hr/people?department=Adult+Services&amp;requirement=policy:social-media"
    assert f'href="{link}&amp;status=overdue"' in html
    assert 'href="/compliance/hr/people?requirement=policy:social-media&amp;status=exempt"' in html
    listed = page_of(client.get(link.replace("&amp;", "&") + "&status=overdue"))
    assert listed.names() == ["Bo Brandt", "Cy Cole"]


def test_dashboard_without_requirements_says_what_to_do(client, hr, app):
    page = client.get("/compliance/hr/").get_data(as_text=True)

    assert "Nothing is required of anyone yet" in page


def test_people_table_lists_everyone_active_with_status_and_due_date(client, hr, roster):
    page = page_of(client.get("/compliance/hr/people"))

    rows = page.table("People")
    assert rows[0] == ["Name", "Department", "Manager", "Social Media Policy"]
    assert page.names() == [name for name, _, _ in roster]
    assert rows[2][1:] == [
        "Adult Services",
        "mara@agency.example",
        "Overdue was due 31 January 2026 29 days overdue",
    ]
    assert rows[1][3] == "Current due 15 February 2027"
    assert rows[4][3] == "Exempt exempt until 30 June 2026"
    assert rows[7][1] == "No department"


def test_people_table_links_names_to_the_person_page(client, hr, roster):
    html = client.get("/compliance/hr/people").get_data(as_text=True)

    assert f'<a href="/compliance/hr/people/{staff_named("Bo Brandt").id}">Bo Brandt</a>' in html


def test_the_manager_filter_takes_part_of_a_name(client, hr, roster, make_staff):
    make_staff(1, full_name="Mara Lind", email="mara@agency.example", department="Leadership")

    assert page_of(client.get("/compliance/hr/people?manager=lind")).names() == [
        n for n in page_of(client.get("/compliance/hr/people?manager=mara@agency.example")).names()
    ]
    assert page_of(client.get("/compliance/hr/people?manager=lind")).names()
    assert page_of(client.get("/compliance/hr/people?manager=nobody")).names() == []


@pytest.mark.settings()
def test_past_the_limit_there_is_no_list_of_managers(client, hr, roster, monkeypatch):
    monkeypatch.setattr("smattest.views.hr.people.MANAGER_LIST_LIMIT", 1)

    html = client.get("/compliance/hr/people").get_data(as_text=True)

    assert "<datalist" not in html and 'list="smattest-managers"' not in html
    assert 'id="smattest-manager" name="manager"' in html


def test_manager_column_shows_the_managers_name_when_they_are_staff(client, hr, roster, make_staff):
    make_staff(1, full_name="Mara Lind", email="mara@agency.example", department="Leadership")
    page = page_of(client.get("/compliance/hr/people?department=Adult+Services"))

    assert {row[2] for row in page.table("People")[1:]} == {"Mara Lind"}
    html = client.get("/compliance/hr/people").get_data(as_text=True)
    # A text field with suggestions, not a select of every manager.
    assert 'id="smattest-manager" name="manager" value=""' in html
    assert 'list="smattest-managers"' in html
    assert '<option value="mara@agency.example">Mara Lind</option>' in html
    assert '<option value="nils@agency.example">nils@agency.example</option>' in html


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("department=Child+Protection", ["Ed Eze", "Flo Frey"]),
        ("department=(none)", ["Gus Gray"]),
        ("manager=NILS@agency.example", ["Ed Eze", "Flo Frey", "Gus Gray"]),
        ("manager=+nils@agency.example+", ["Ed Eze", "Flo Frey", "Gus Gray"]),
        ("requirement=policy:social-media&status=overdue", ["Bo Brandt", "Cy Cole", "Gus Gray"]),
        ("status=due_soon", ["Ed Eze"]),
        ("status=exempt&department=Adult+Services", ["Di Dunn"]),
        ("q=fr", ["Flo Frey"]),
        ("q=  ANN  ", ["Ann Archer"]),
        ("department=Adult+Services&status=current&q=archer", ["Ann Archer"]),
    ],
)
def test_each_filter_narrows_the_people_table(client, hr, roster, query, names):
    assert page_of(client.get(f"/compliance/hr/people?{query}")).names() == names


@all_databases
def test_search_and_orders_give_the_same_people_on_every_database(client, hr, roster):
    def names(query):
        return page_of(client.get(f"/compliance/hr/people?{query}")).names()

    assert names("q=FR") == ["Flo Frey"]
    assert names("department=(none)") == ["Gus Gray"]
    assert names("sort=department")[-3:] == ["Ed Eze", "Flo Frey", "Gus Gray"]
    assert names("sort=overdue&status=overdue") == ["Bo Brandt", "Cy Cole", "Gus Gray"]


def test_name_search_matches_email_and_treats_wildcards_as_text(client, hr, roster, make_staff):
    make_staff(1, full_name="Pat 100% Sure", email="pat.sure@agency.example")

    assert page_of(client.get("/compliance/hr/people?q=PAT.SURE@")).names() == ["Pat 100% Sure"]
    assert page_of(client.get("/compliance/hr/people?q=100%25")).names() == ["Pat 100% Sure"]
    assert page_of(client.get("/compliance/hr/people?q=_")).names() == []


def test_sort_by_days_overdue_puts_the_most_overdue_first(client, hr, policy, make_staff):
    # Hired on different days, so the same policy fell due on different days.
    hires = {"Ada": dt.date(2026, 1, 20), "Ben": dt.date(2019, 1, 1), "Cal": dt.date(2026, 1, 10),
             "Dot": dt.date(2026, 2, 25), "Eli": dt.date(2019, 1, 1)}  # fmt: skip
    names = list(hires)
    make_staff(5, full_name=lambda i: names[i], hire_date=lambda i: hires[names[i]])

    page = page_of(client.get("/compliance/hr/people?sort=overdue"))

    # 29, 29, 20 and 10 days overdue; Dot is not yet due. Ties keep the name order.
    assert page.names() == ["Ben", "Eli", "Cal", "Ada", "Dot"]
    assert page.table("People")[3][3].endswith("20 days overdue")


def test_sort_by_department_puts_people_without_one_last(client, hr, roster):
    page = page_of(client.get("/compliance/hr/people?sort=department"))

    assert page.names()[-1] == "Gus Gray"
    assert [row[1] for row in page.table("People")[1:]] == ["Adult Services"] * 4 + [
        "Child Protection"
    ] * 2 + ["No department"]


@pytest.mark.settings(SMATTEST_PAGE_SIZE=10)
def test_pages_hold_page_size_people_and_links_keep_the_filters(client, hr, policy, make_staff):
    make_staff(25, full_name=lambda i: f"Person {i:02d}", department="Finance")
    make_staff(3, full_name=lambda i: f"Other {i}", department="Legal")

    response = client.get("/compliance/hr/people?department=Finance&page=2")
    page = Page(response.get_data(as_text=True))

    assert page.names() == [f"Person {i:02d}" for i in range(10, 20)]
    assert "Showing 11–20 of 25 people." in page.by_class["smattest-result-count"]
    html = response.get_data(as_text=True)
    assert 'href="/compliance/hr/people?department=Finance&amp;page=3" rel="next"' in html
    assert 'href="/compliance/hr/people?department=Finance" rel="prev"' in html
    last = page_of(client.get("/compliance/hr/people?department=Finance&page=3"))
    assert last.names() == [f"Person {i:02d}" for i in range(20, 25)]


@pytest.mark.settings(SMATTEST_PAGE_SIZE=10)
def test_status_filtered_pages_are_paged_too(client, hr, policy, make_staff):
    make_staff(15, full_name=lambda i: f"Person {i:02d}")

    page = page_of(client.get("/compliance/hr/people?status=overdue&sort=overdue&page=2"))

    assert page.names() == [f"Person {i:02d}" for i in range(10, 15)]
    assert "Showing 11–15 of 15 people." in page.by_class["smattest-result-count"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("page=abc", "Page &#39;abc&#39; is not a page number"),
        ("page=0", "Page &#39;0&#39; is not a page number"),
        ("page=99999999999999999999", "Page &#39;99999999999999999999&#39; is not a page"),
        ("status=late", "Status &#39;late&#39; is not one of"),
        ("requirement=policy:nope", "There is no requirement &#39;policy:nope&#39; in force"),
        ("sort=salary", "Sort &#39;salary&#39; is not one of"),
    ],
)
def test_bad_query_values_get_a_clear_message_not_an_error_page(client, hr, roster, query, message):
    response = client.get(f"/compliance/hr/people?{query}")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and message in html
    assert "<caption" not in html


def test_a_page_past_the_end_says_so(client, hr, roster):
    html = client.get("/compliance/hr/people?page=9").get_data(as_text=True)

    assert "There is no page 9: these results have 1 page." in html


def test_empty_results_say_so(client, hr, roster):
    html = client.get("/compliance/hr/people?q=nobody-by-this-name").get_data(as_text=True)

    assert "Nobody matches these filters." in html
    assert "<caption" not in html


def test_html_in_names_and_departments_is_shown_as_text(client, hr, policy, make_staff):
    make_staff(1, full_name="<b>Eve</b>", department="<i>Ops</i>", manager_email="<u>m</u>@x")

    for url in ("/compliance/hr/", "/compliance/hr/people"):
        html = client.get(url).get_data(as_text=True)
        assert "&lt;i&gt;Ops&lt;/i&gt;" in html
        assert not {"b", "i", "u"} & Elements(html).tags
    assert "&lt;b&gt;Eve&lt;/b&gt;" in client.get("/compliance/hr/people").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/compliance/hr/", "/compliance/hr/people"])
def test_hr_pages_answer_403_to_others_and_send_strangers_to_sign_in(client, login_as, url):
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")

    login_as(name="Sam Staff", is_hr=False)
    assert client.get(url).status_code == 403


# What the pages cost ---------------------------------------------------------

COURSE = {
    "slug": "social-media-refresher",
    "title": "Social Media Refresher",
    "policy": "social-media",
    "sections": [{"title": "Why", "body": "Because."}],
    "questions": [
        {"id": "q1", "kind": "single", "prompt": "Post client photos?",
         "options": [{"text": "No", "correct": True}, {"text": "Yes"}], "explanation": "Never."}
    ],
}  # fmt: skip


def test_statements_do_not_grow_with_staff(
    client, login_as, make_user, make_staff, count_statements, policy, freeze
):
    import_course(COURSE)
    hr_user = make_user(name="Hana Reyes", is_hr=True)
    manager = make_user(name="Morgan Lead", email="morgan@agency.example")
    people = {
        "department": lambda i: f"Dept {i % 7}" if i % 13 else None,
        "manager_email": lambda i: "morgan@agency.example" if i % 5 == 0 else f"m{i % 40}@x.org",
        "hire_date": lambda i: dt.date(2026, 1, 1) + dt.timedelta(days=i % 60),
    }
    first = make_staff(100, **people)
    for staff_id in first[:6:2]:
        person = hostapp.db.session.get(Staff, staff_id)
        attest(person, "social-media", 1, person.full_name)
    exempt(hostapp.db.session.get(Staff, first[1]).full_name, policy.id, until=None)
    hr_urls = [
        "/compliance/hr/",
        "/compliance/hr/people",
        "/compliance/hr/people?department=Dept+3&requirement=policy:social-media&status=overdue",
        "/compliance/hr/people?q=person&sort=overdue&page=2",
    ]
    team_urls = ["/compliance/team", "/compliance/team?status=due_soon&sort=overdue"]

    def measure() -> list[int]:
        counts = []
        for user, urls in ((hr_user, hr_urls), (manager, team_urls)):
            login_as(user)
            for url in urls:
                assert client.get(url).status_code == 200  # warm: the first visit may sign up
                hostapp.db.session.rollback()  # a new request: a new transaction
                with count_statements() as counter:
                    assert client.get(url).status_code == 200
                counts.append(counter.count)
        return counts

    small = measure()
    make_staff(4_900, **people)
    large = measure()

    print("statements per page:", small)
    assert large == small
    # Per page, not per person: two requirements at three statements each, and a few more
    # (the people page counts whom "remind these people now" would reach: two more; the
    # reader's roster language, which chooses the page's language: one more; every HR
    # page reads the newest compliance check for its banner: one more; the seal sweep
    # before the table is read, its rows between two reads of its sealed row count:
    # three more, once per request).
    assert max(small) <= 23, small
