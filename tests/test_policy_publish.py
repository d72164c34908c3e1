"""Publishing policy versions, and rendering their Markdown safely."""

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from smattest import markdown
from smattest.models import PolicyVersion
from smattest.publishing.policies import PolicyError, publish
from smattest.timeutil import local_today

from . import hostapp
from .conftest import all_databases
from .html import Elements

HOSTILE = """# Policy

<script>alert("raw")</script>
<div onclick="steal()">raw html block</div>

Inline <img src=x onerror=alert(1)> and <b onmouseover="x()">bold</b>.

[click me](javascript:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)
and [fine](https://agency.example/policy).

![pic](javascript:alert(2))
"""


def test_markdown_renders_none_of_script_handlers_javascript_links_or_raw_html():
    html = markdown.render(HOSTILE)

    found = Elements(html)
    assert found.tags <= {"h1", "p", "a"}
    assert found.attributes == [("href", "https://agency.example/policy"),
                                ("rel", "noopener noreferrer")]  # fmt: skip
    # Raw HTML is shown as inert text, so the reader sees what the author wrote.
    assert '&lt;script&gt;alert("raw")&lt;/script&gt;' in html


def test_markdown_keeps_lists_tables_and_emphasis():
    html = markdown.render("| a | b |\n|---|---|\n| 1 | 2 |\n\n- **one**\n- *two*\n")

    assert "<table>" in html and "<td>1</td>" in html
    assert "<strong>one</strong>" in html and "<em>two</em>" in html


@all_databases
def test_first_publish_creates_policy_and_version_one(app):
    version = publish("social-media", "Social Media Policy", "# Hello\n\nBe kind.", "First.")

    stored = hostapp.db.session.scalars(sa.select(PolicyVersion)).one()
    assert (stored.number, stored.policy.slug, stored.policy.title) == (
        1, "social-media", "Social Media Policy"
    )  # fmt: skip
    assert stored.body_markdown == "# Hello\n\nBe kind.\n"
    assert stored.text_sha256 == hashlib.sha256(b"# Hello\n\nBe kind.\n").hexdigest()
    assert stored.body_html == "<h1>Hello</h1>\n<p>Be kind.</p>\n"
    assert stored.requires_reattestation is True
    assert version.effective_date == local_today()  # the agency's day, not the machine's


def test_next_publish_is_version_two_and_minor_needs_no_reattestation(app):
    publish("social-media", "Social Media Policy", "One.", "First.")

    second = publish("social-media", "Social Media Policy", "One, fixed typo.", "Typo.", minor=True)

    assert second.number == 2
    assert second.requires_reattestation is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   \n"}, "the policy text is empty."),
        ({"slug": "Social Media"}, "slug 'Social Media' is not valid"),
        ({"summary": " "}, "the change summary is empty"),
        ({"title": ""}, "the title is empty."),
        ({"minor": True}, "the first version of a policy cannot be minor"),
        ({"every_months": 0}, "every_months must be between 1 and 120, not 0."),
    ],
)
def test_bad_first_publish_is_refused_and_records_nothing(app, kwargs, message):
    args = {"slug": "social-media", "title": "Policy", "text": "Text.", "summary": "First."}
    args.update(kwargs)

    with pytest.raises(PolicyError, match=message):
        publish(args.pop("slug"), args.pop("title"), args.pop("text"), args.pop("summary"), **args)

    assert hostapp.db.session.scalars(sa.select(PolicyVersion)).all() == []


def test_same_text_again_or_earlier_effective_date_is_refused(app):
    publish("social-media", "Policy", "Text.", "First.", effective=dt.date(2026, 3, 1))

    with pytest.raises(PolicyError, match="the text is the same as version 1"):
        publish("social-media", "Policy", "Text.\n", "Again.")
    with pytest.raises(PolicyError, match="is before version 1's \\(2026-03-01\\)"):
        publish("social-media", "Policy", "New.", "Backdated.", effective=dt.date(2026, 2, 1))
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 1
