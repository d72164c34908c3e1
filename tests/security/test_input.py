"""Input: oversized forms, what error pages echo, invisible characters, HEAD on exports."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from smattest import text
from smattest.models import Exemption, HREvent, PolicyDraft, PolicyVersion, Staff
from smattest.publishing.policies import PolicyError, publish

from .. import hostapp

pytestmark = pytest.mark.policy(
    now="2026-03-02T09:00:00+00:00", text="Be careful online.", summary="First.", effective=None
)

RLO, ZWSP = "\u202e", "\u200b"


def count(model) -> int:
    return hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_form_over_the_form_memory_limit_is_refused_unread_with_smatttests_page(
    policy_version, client, hr
):
    response = client.post(
        "/compliance/hr/drafts/new",
        data={"slug": "x", "title": "T" * 5_000_000, "body": "b", "summary": "s"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert len(page) < 5_000
    assert "Too much to accept" in page
    assert "more than 500,000 bytes" in page and "nothing was recorded" in page
    assert count(PolicyDraft) == 0


@pytest.mark.settings(MAX_CONTENT_LENGTH=10_000)
def test_the_hosts_smaller_max_content_length_applies_first(policy_version, client, hr):
    response = client.post(
        "/compliance/hr/drafts/new",
        data={"slug": "x", "title": "T", "body": "B" * 20_000, "summary": "s"},
    )

    assert response.status_code == 413
    assert "more than 10,000 bytes" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "data", "field", "message"),
    [
        ("/compliance/hr/drafts/new",
         {"slug": "x", "title": "T" * 300_000, "body": "b", "summary": "s"},
         "T", "The title is 300000 characters; at most 200."),
        ("/compliance/hr/drafts/new",
         {"slug": "x", "title": "T", "body": "B" * 400_000, "summary": "s"},
         "B", "The policy text is too long to keep: 400,000 bytes"),
        ("/compliance/policies/social-media/attest",
         {"version": "1", "agree": "y", "signature": "S" * 400_000},
         "S", "A name is at most 200 characters."),
    ],
)  # fmt: skip
def test_an_oversized_field_is_refused_with_its_size_and_echoed_only_as_an_excerpt(
    policy_version, client, hr, url, data, field, message
):
    response = client.post(url, data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert len(page) < 20_000
    assert field * 100 + "…" in page and field * 101 not in page
    assert count(PolicyDraft) == 0


def test_a_bad_date_is_quoted_in_the_message_only_as_an_excerpt(
    policy_version, client, hr, make_user
):
    person = Staff(external_id="E9", full_name="Tom Reyes", email="tom@agency.example")
    hostapp.db.session.add(person)
    hostapp.db.session.commit()

    response = client.post(
        f"/compliance/hr/people/{person.id}/exemptions/new",
        data={
            "requirement": f"policy:{policy_version.policy_id}",
            "reason": "Leave",
            "until": "9" * 50_000,
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not a date" in page and len(page) < 20_000
    assert count(Exemption) == 0


# --- invisible and direction-changing characters ------------------------------------------


def test_a_title_with_a_right_to_left_override_is_refused_naming_field_and_position(app):
    with pytest.raises(PolicyError) as refused:
        publish("social-media", f"Social {RLO}aideM Policy", "Be careful.", "First.")

    assert str(refused.value) == (
        "The title contains an invisible or direction-changing character "
        "(U+202E RIGHT-TO-LEFT OVERRIDE) at character 8: remove it and try again."
    )
    assert count(PolicyVersion) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": f"Social{ZWSP} Media"},
         "The title contains an invisible or direction-changing character "
         "(U+200B ZERO WIDTH SPACE) at character 7"),
        ({"summary": f"First{RLO}."},
         "The change summary contains an invisible or direction-changing character "
         "(U+202E RIGHT-TO-LEFT OVERRIDE) at character 6"),
        ({"body": f"Be careful.\n\nNever {RLO}post."},
         "The policy text (outside code) contains an invisible or direction-changing "
         "character (U+202E RIGHT-TO-LEFT OVERRIDE) at character 20"),
    ],
)  # fmt: skip
def test_a_draft_with_a_hidden_character_is_refused_and_nothing_is_saved(
    app, client, hr, fields, message
):
    data = {"slug": "social-media", "title": "Social Media", "body": "Be careful.",
            "summary": "First.", **fields}  # fmt: skip

    response = client.post("/compliance/hr/drafts/new", data=data)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(PolicyDraft) == 0


def test_markdown_keeps_hidden_characters_inside_code_only():
    inside = f"Use `a{RLO}b` or:\n\n```\nx{ZWSP}y\n```\n\n    indented{ZWSP}\n"
    assert text.markdown_problem("The policy text", inside) is None
    assert text.markdown_problem("The policy text", inside + f"but not{ZWSP} here") == (
        "The policy text contains an invisible or direction-changing character "
        f"(U+200B ZERO WIDTH SPACE) at character {len(inside) + 8}: remove it and try again."
    )


def test_a_policy_body_with_hidden_characters_in_code_publishes_them_shown(app):
    version = publish("social-media", "Social Media", f"Type `a{ZWSP}b` exactly.", "First.")

    assert f"<code>a{ZWSP}b</code>" in version.body_html


def test_reasons_refuse_hidden_characters(policy_version, client, hr):
    person = Staff(external_id="E9", full_name="Tom Reyes", email="tom@agency.example")
    hostapp.db.session.add(person)
    hostapp.db.session.commit()

    exemption = client.post(
        f"/compliance/hr/people/{person.id}/exemptions/new",
        data={"requirement": f"policy:{policy_version.policy_id}", "reason": f"Leave{RLO}",
              "open_ended": "y"},
    )  # fmt: skip
    on_behalf = client.post(
        f"/compliance/hr/people/{person.id}/attest",
        data={"policy": "social-media", "signature": "Tom Reyes", "reason": f"Paper{ZWSP}"},
    )

    assert exemption.status_code == on_behalf.status_code == 400
    assert "The reason contains an invisible or direction-changing character (U+202E" in (
        exemption.get_data(as_text=True)
    )
    assert "The reason contains an invisible or direction-changing character (U+200B" in (
        on_behalf.get_data(as_text=True)
    )
    assert count(Exemption) == 0


# --- signing a scheduled version, HEAD on exports ----------------------------------------


def test_signing_a_scheduled_version_says_when_it_takes_effect(
    policy_version, client, login_as, freeze
):
    publish("social-media", "Social Media Policy", "Be very careful.", "Second.",
            effective=dt.date(2026, 5, 4))  # fmt: skip
    login_as(name="Priya Raman")
    client.get("/compliance/")

    response = client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "2", "agree": "y", "signature": "Priya Raman"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "Version 2 of the Social Media Policy is scheduled: it takes effect on 4 May 2026. "
        "Until then version 1 is the one in force. Nothing was recorded: please read "
        "version 1, then sign."
    ) in page
    assert "no longer current" not in page


@pytest.mark.parametrize("export", ["status.csv", "evidence.csv"])
def test_head_on_an_export_answers_headers_and_records_no_export(
    policy_version, client, hr, export
):
    head = client.head(f"/compliance/hr/exports/{export}")

    assert head.status_code == 200
    assert head.mimetype == "text/csv"
    assert head.headers["Content-Disposition"].startswith('attachment; filename="smattest-')
    assert head.get_data() == b""
    assert count(HREvent) == 0

    client.get(f"/compliance/hr/exports/{export}").get_data()
    assert count(HREvent) == 1


def test_a_roster_upload_over_its_limit_is_refused_unread(client, hr):
    rows = "\n".join(f"{n},p{n}@agency.example,Person {n:0150},,,," for n in range(100_000))
    data = f"employee_id,email,full_name,department,manager_email,hire_date,active\n{rows}\n"
    assert len(data) > 3 * 5 * 1024 * 1024

    response = client.post(
        "/compliance/hr/roster",
        data={"file": (__import__("io").BytesIO(data.encode()), "staff.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    assert "more than 15,728,640 bytes" in response.get_data(as_text=True)
    assert count(Staff) == 0
