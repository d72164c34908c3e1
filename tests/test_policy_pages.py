"""Policy pages: the list, older versions, what changed, and hostile Markdown."""

import datetime as dt
import re
from pathlib import Path

import pytest

from smattest.publishing.policies import publish

from .html import Elements

DEMO_CONTENT = Path(__file__).parents[1] / "examples" / "intranet" / "intranet" / "content"
V1 = "# Social Media Policy\n\nDo not friend clients.\n\nAsk your supervisor.\n"
V2 = "# Social Media Policy\n\nDo not friend or follow clients.\n\nAsk your supervisor.\n\nReport incidents the same day.\n"  # noqa: E501


@pytest.fixture
def two_versions(app, client, login_as):
    login_as(name="Dana Whitfield")
    publish("social-media", "Social Media Policy", V1, "First.", effective=dt.date(2026, 1, 5))
    publish("social-media", "Social Media Policy", V2, "Following and incidents.",
            effective=dt.date(2026, 2, 1))  # fmt: skip


def test_policies_page_lists_policies_in_force_with_status(client, two_versions):
    page = client.get("/compliance/policies/").get_data(as_text=True)

    assert "Social Media Policy" in page and "Version 2" in page and "Overdue" in page


def test_an_older_version_is_readable_and_says_it_is_older(client, two_versions):
    page = client.get("/compliance/policies/social-media/versions/1").get_data(as_text=True)

    assert "Do not friend clients." in page
    assert "This is an older version. The version in force is" in page
    assert client.get("/compliance/policies/social-media/versions/3").status_code == 404


def test_what_changed_shows_words_and_lines_added_and_removed(client, two_versions):
    page = client.get("/compliance/policies/social-media/changes?from=1&to=2").get_data(
        as_text=True
    )

    assert "What changed from version 1 to version 2" in page
    assert "2 paragraphs or list items: 1 changed, 1 added." in page
    assert ('<ins><span class="smattest-vh">[added] </span>or follow '
            '<span class="smattest-vh"> [end of added]</span></ins>clients.') in page  # fmt: skip
    assert "Report incidents the same day." in page


def test_a_one_line_change_to_the_demo_policy_shows_one_rendered_paragraph(client, login_as):
    login_as(name="Dana Whitfield")
    text = (DEMO_CONTENT / "social-media-policy.md").read_text(encoding="utf-8")
    publish("social-media", "Social Media Policy", text, "First.", effective=dt.date(2026, 1, 5))
    publish("social-media", "Social Media Policy",
            text.replace("The test is simple:", "The test is plain:"), "Plainer.",
            effective=dt.date(2026, 1, 6))  # fmt: skip

    page = client.get("/compliance/policies/social-media/changes").get_data(as_text=True)

    changes = page[page.index('<div class="smattest-changes">') :]
    assert changes.count('class="smattest-change smattest-change-changed') == 1
    assert "smattest-change-added" not in changes and "smattest-change-removed" not in changes
    assert '<del><span class="smattest-vh">[removed] </span>simple:' in changes
    assert "<strong>does it serve the client" in changes
    assert "#" not in changes and "**" not in changes  # rendered, not Markdown
    assert re.search(r"\d+ unchanged paragraphs", changes)
    assert "1 paragraph or list item: 1 changed." in page


def test_what_changed_between_unknown_versions_is_not_found(client, two_versions):
    assert client.get("/compliance/policies/social-media/changes?from=1&to=9").status_code == 404
    assert client.get("/compliance/policies/no-such-policy").status_code == 404


def test_a_version_not_yet_in_force_is_announced_and_readable_but_not_the_one_to_sign(
    app, client, login_as
):
    login_as(name="Dana Whitfield")
    publish("social-media", "Social Media Policy", V1, "First.", effective=dt.date(2026, 1, 5))
    publish("social-media", "Social Media Policy", V2, "Later.", effective=dt.date(2099, 1, 1))

    page = client.get("/compliance/policies/social-media").get_data(as_text=True)

    assert "Do not friend clients." in page and "Report incidents" not in page
    assert "Version 2 of the Social Media Policy takes effect on 1 January 2099" in page
    assert "Sign version 1" in page
    ahead = client.get("/compliance/policies/social-media/versions/2")
    assert ahead.status_code == 200 and "Report incidents" in ahead.get_data(as_text=True)


def test_hostile_markdown_is_inert_on_the_policy_page(app, client, login_as):
    login_as(name="Dana Whitfield")
    publish("hostile", "Hostile", '<script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n'
            '<a href="#" onclick="steal()">raw</a>', "First.")  # fmt: skip

    page = client.get("/compliance/policies/hostile").get_data(as_text=True)

    assert not Elements(page).has_handler_or_script()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as inert text


def test_what_changed_offers_to_sign_and_no_compare_form_with_two_versions(client, two_versions):
    page = client.get("/compliance/policies/social-media/changes").get_data(as_text=True)

    assert (
        '<a class="smattest-button" href="/compliance/policies/social-media#sign">'
        "Read and sign version 2</a>"
    ) in page
    assert "smattest-compare" not in page and "Compare" not in page


def test_what_changed_has_the_compare_form_with_three_versions(client, two_versions):
    publish("social-media", "Social Media Policy", V2 + "\nOne more rule.\n", "One more.",
            effective=dt.date(2026, 2, 2))  # fmt: skip

    page = client.get("/compliance/policies/social-media/changes?from=1&to=2").get_data(
        as_text=True
    )
    assert 'class="smattest-compare"' in page
    assert "Read and sign version" not in page  # version 2 is no longer the one to sign
    latest = client.get("/compliance/policies/social-media/changes").get_data(as_text=True)
    assert "Read and sign version 3" in latest


def test_my_compliance_card_says_what_is_new_in_the_version_owed(client, two_versions):
    page = client.get("/compliance/").get_data(as_text=True)

    assert "New in version 2: Following and incidents." in page
