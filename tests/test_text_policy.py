"""One text policy, asked by every entry point: signatures, names, ids, reasons, sources, bodies.

Each hygiene case goes through each way in: the signing form, HR's on-behalf
form, the roster, relink (command), the paper era, and ``publish()`` itself.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import smattest.evidence.paper_era as paper_era
import smattest.roster as roster
from smattest import text
from smattest.models import Attestation, IdentityLink, PolicyVersion, Staff
from smattest.publishing.policies import PolicyError, publish

from . import hostapp
from .conftest import all_databases

CGJ, VS16, STRIKE, ZWNJ, ZWSP, RLO = "\u034f", "\ufe0f", "\u0336", "\u200c", "\u200b", "\u202e"
#: Mariam, each letter struck through: it still matched "Mariam" before (marks were dropped).
STRUCK = "".join(letter + STRIKE for letter in "Mariam")
#: A Persian name written, as Persian keyboards write it, with a zero-width non-joiner.
PERSIAN = f"محمد{ZWNJ}رضا Tehrani"


def count(model) -> int:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "refused"),
    [
        (f"{STRUCK} Tehrani", "U+0336 COMBINING LONG STROKE OVERLAY"),
        (f"Mar{CGJ}iam Tehrani", "U+034F COMBINING GRAPHEME JOINER"),
        (f"Mari{VS16}am Tehrani", "U+FE0F VARIATION SELECTOR-16"),
        ("Mariam\u20dd Tehrani", "U+20DD COMBINING ENCLOSING CIRCLE"),
        ("Ma" + "\u0301" * 4 + "riam Tehrani", "U+0301 COMBINING ACUTE ACCENT"),
        (f"Mariam{ZWSP} Tehrani", "U+200B ZERO WIDTH SPACE"),
        (f"Mariam {ZWNJ}Tehrani", "U+200C ZERO WIDTH NON-JOINER"),
        (f"Mariam{RLO} Tehrani", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ],
)  # fmt: skip
def test_a_signature_refuses_what_disguises_it(signature, refused):
    assert refused in (text.signature_problem("The signature", signature) or "")


@pytest.mark.parametrize("signature", ["Lu\u0301cía Ramírez", "Nguye\u0302\u0303n Van An", PERSIAN,
                                       "प्रिया रमन", "Zoë O’Brien-Smith"])  # fmt: skip
def test_a_signature_keeps_accents_and_the_joiners_scripts_need(signature):
    assert text.signature_problem("The signature", signature) is None
    assert text.name_problem("full_name", signature) is None


def test_an_id_refuses_invisible_characters_and_spaces_that_are_not_plain():
    assert "U+202E" in text.id_problem("the new id", f"E-{RLO}1")
    assert "a space (U+00A0 NO-BREAK SPACE)" in text.id_problem("the new id", "E\u00a01")
    assert text.id_problem("the new id", "E-1 b") is None


# --- the signing form and HR's on-behalf form ----------------------------------------------


@all_databases
def test_a_struck_through_signature_is_refused_on_the_signing_form(
    client, login_as, policy_version
):
    login_as(name="Mariam Tehrani")
    client.get("/compliance/")

    response = client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": f"{STRUCK} Tehrani"},
    )

    assert response.status_code == 400
    assert "The signature contains a mark that changes how it looks (U+0336" in (
        response.get_data(as_text=True)
    )
    assert count(Attestation) == 0


def test_a_persian_name_with_its_joiner_signs(client, login_as, policy_version):
    login_as(name=PERSIAN)
    client.get("/compliance/")

    response = client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": PERSIAN},
    )

    assert response.status_code == 303
    [row] = hostapp.db.session.scalars(sa.select(Attestation)).all()
    assert row.signature == PERSIAN


def test_hr_cannot_record_a_disguised_signature_on_someones_behalf(client, hr, policy_version):
    person = Staff(external_id="E9", full_name="Mariam Tehrani", email="m@agency.example")
    hostapp.db.session.add(person)
    hostapp.db.session.commit()

    response = client.post(
        f"/compliance/hr/people/{person.id}/attest",
        data={"policy": "social-media", "signature": f"Mar{CGJ}iam Tehrani",
              "reason": "Paper form, box 3"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "U+034F COMBINING GRAPHEME JOINER" in response.get_data(as_text=True)
    assert count(Attestation) == 0


# --- the roster -----------------------------------------------------------------------------


def test_the_roster_keeps_a_persian_name_and_refuses_a_zero_width_space_or_a_hidden_id(app):
    header = "employee_id,email,full_name\n"

    parsed = roster.parse_csv(header + f"1001,m@agency.example,{PERSIAN}\n")
    with pytest.raises(roster.RosterError) as hidden:
        roster.plan_csv(header + f"1002,a@agency.example,Ann{ZWSP} Lee\n"
                        f"10{RLO}03,b@agency.example,Bo Lee\n")  # fmt: skip

    assert parsed.problems == [] and parsed.rows[0].values["full_name"] == PERSIAN
    assert hidden.value.problems == [
        "line 2: full_name contains an invisible or direction-changing character "
        "(U+200B ZERO WIDTH SPACE) at character 4: remove it and try again",
        "line 3: employee_id contains an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE) "
        "at character 3: an id is letters, digits and punctuation only",
    ]


# --- relink (the command) -----------------------------------------------------------------


@pytest.fixture
def ada(app):
    staff = Staff(external_id="E-1", full_name="Ada Lovelace", email="ada@agency.example")
    hostapp.db.session.add(staff)
    hostapp.db.session.commit()
    return staff


@all_databases
@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["E-1", f"E-{RLO}2", "--reason", "renumbered"],
         "the new id contains an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        (["E-1", "E-2", "--reason", f"renumbered{RLO}"],
         "The reason contains an invisible or direction-changing character (U+202E"),
        (["E-1", "E-2", "--reason", "renum\x00bered"],
         "The reason contains an invisible or direction-changing character (U+0000 NULL)"),
        (["E-\x001", "E-2", "--reason", "renumbered"],
         "the old id contains an invisible character (U+0000 NULL)"),
    ],
)  # fmt: skip
def test_relink_refuses_hidden_characters_in_ids_and_reasons(ada, runner, args, problem):
    result = runner.invoke(args=["smattest", "staff", "relink", *args])

    assert result.exit_code != 0
    assert problem in result.output
    assert count(IdentityLink) == 0
    assert hostapp.db.session.get(Staff, ada.id).external_id == "E-1"


# --- the paper era ----------------------------------------------------------------------------


@all_databases
@pytest.mark.parametrize("source", [f"paper form{RLO} box 12", "paper\x00form"])
def test_a_paper_era_source_with_a_hidden_character_is_refused_with_its_line(
    policy_version, ada, source
):
    data = ("employee_id,kind,slug,version,done_on,source\n"
            f"E-1,policy,social-media,1,2026-03-01,{source}\n").encode()  # fmt: skip

    with pytest.raises(paper_era.PaperEraError) as refused:
        paper_era.apply(data, actor="hr-1")

    assert refused.value.problems[0].startswith(
        "line 2: the source contains an invisible or direction-changing character (U+"
    )
    assert count(Attestation) == 0


# --- publish() itself -------------------------------------------------------------------------


def test_publish_refuses_a_right_to_left_override_in_the_body_outside_code(app):
    with pytest.raises(PolicyError) as refused:
        publish("social-media", "Social Media Policy", f"Be careful.\n\nNever {RLO}post.", "First.")

    assert str(refused.value) == (
        "The policy text (outside code) contains an invisible or direction-changing character "
        "(U+202E RIGHT-TO-LEFT OVERRIDE) at character 20: remove it and try again."
    )
    assert count(PolicyVersion) == 0
