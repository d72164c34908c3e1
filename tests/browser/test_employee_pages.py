"""An employee in a real browser: every page passes axe-core and fits a phone; the
policy and the refresher can be done with the keyboard alone.

The content is the demo's real policy and refresher course, so the checks
see the pages people will see. The browser context has a phone's viewport
(375 x 667), so axe-core judges the narrow layout too.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from smattest.attest import attest
from smattest.models import Attestation, Staff, TrainingCompletion
from smattest.people.staff import staff_for_user
from smattest.publishing.courses import import_course
from smattest.publishing.policies import publish
from smattest.training import questions_of, start_attempt, submit

from .. import hostapp
from .conftest import assert_accessible, assert_no_sideways_scroll, path_for, sign_in_as

CONTENT = Path(__file__).parents[2] / "examples" / "intranet" / "intranet" / "content"
POLICY_TEXT = (CONTENT / "social-media-policy.md").read_text(encoding="utf-8")
COURSE = json.loads((CONTENT / "social-media-refresher.json").read_text(encoding="utf-8"))
#: Each question's prompt → the texts of its right options.
RIGHT_ANSWERS = {
    q["prompt"]: {o["text"] for o in q["options"] if o.get("correct")} for q in COURSE["questions"]
}


def publish_first_version() -> None:
    publish("social-media", "Social Media Policy", POLICY_TEXT,
            "First version of the agency's social media policy.",
            effective=dt.date(2026, 3, 1))  # fmt: skip


@pytest.fixture
def employee(app, make_user, sign_in, freeze):
    """Priya, hired in 2020, signed in; the policy is published and the refresher imported."""
    freeze("2026-03-02T14:30:00+00:00")
    publish_first_version()
    import_course(COURSE)
    return sign_in(make_user(name="Priya Raman", department="Child Protection"))


@pytest.fixture(scope="module")
def history(shared_site, shared_page):
    """Priya signed version 1, then version 2 came out; she passed one attempt, failed
    one, and has one open. Signs her in on the shared page; returns the path of each
    page she can see."""
    shared_site.freeze("2026-03-02T14:30:00+00:00")
    app = shared_site.app
    with app.app_context():
        priya = hostapp.User(
            name="Priya Raman",
            email="priya.raman@agency.example",
            department="Child Protection",
            hire_date=dt.date(2020, 1, 6),
        )
        hostapp.db.session.add(priya)
        hostapp.db.session.commit()
        publish_first_version()
        staff = staff_for_user(priya)
        signed = attest(staff, "social-media", 1, "Priya Raman").attestation
        publish("social-media", "Social Media Policy",
                POLICY_TEXT.replace("If something here is unclear, ask.",
                                    "If something here is unclear, ask HR."),
                "Says whom to ask.", effective=dt.date(2026, 3, 2))  # fmt: skip
        course = import_course(COURSE).version.course
        passed = start_attempt(staff, course)
        completion = submit(
            staff, passed.id, {p.question.id: p.question.correct for p in questions_of(passed)}
        ).completion
        failed = start_attempt(staff, course)
        submit(staff, failed.id, {p.question.id: [len(p.question.options) - 1]
                                  for p in questions_of(failed)})  # fmt: skip
        open_attempt = start_attempt(staff, course)
        policy, slug = "social-media", COURSE["slug"]
        paths = {
            "my compliance": path_for(app, "smattest.index"),
            "policy": path_for(app, "smattest.policy", slug=policy),
            "older version": path_for(app, "smattest.policy_version", slug=policy, number=1),
            "what changed": path_for(app, "smattest.policy_changes", slug=policy, to=2),
            "receipt": path_for(app, "smattest.receipt", number=signed.chain_seq),
            "course": path_for(app, "smattest.course", slug=slug),
            "quiz": path_for(app, "smattest.quiz", slug=slug, attempt_id=open_attempt.id),
            "quiz passed": path_for(app, "smattest.quiz", slug=slug, attempt_id=passed.id),
            "quiz failed": path_for(app, "smattest.quiz", slug=slug, attempt_id=failed.id),
            "course receipt": path_for(app, "smattest.receipt", number=completion.chain_seq),
        }
        sign_in_as(shared_page, priya.id)
        return paths


@pytest.mark.parametrize(
    "name",
    [
        "my compliance",
        "policy",
        "older version",
        "what changed",
        "receipt",
        "course",
        "quiz",
        "quiz passed",
        "quiz failed",
        "course receipt",
    ],
)
def test_employee_page_passes_axe_and_fits_a_phone(site_page, history, name):
    response = site_page.goto(history[name])

    assert response.status == 200
    assert_accessible(site_page)
    assert_no_sideways_scroll(site_page)


def tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until ``target`` (a locator) has focus: it must be reachable by keyboard."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def rows(model) -> list:
    hostapp.db.session.expire_all()
    return hostapp.db.session.scalars(sa.select(model)).all()


def test_an_employee_signs_the_policy_with_the_keyboard_alone(page, live_server, employee):
    page.goto(path_for(live_server.app, "smattest.index"))

    tab_to(page, page.get_by_role("link", name="Read and sign version 1"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/policies/social-media")
    # The reading comes first: the page opens at the policy's top, not at the form.
    expect(page.locator("article.smattest-policy h1").first).to_be_in_viewport()
    expect(page.get_by_role("button", name="Sign version 1")).not_to_be_in_viewport()
    tab_to(page, page.get_by_role("checkbox", name="I have read and understood version 1"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("textbox", name="Type your full name to sign"))
    page.keyboard.type("Priya Raman")
    page.keyboard.press("Enter")

    page.wait_for_url("**/receipts/*")
    assert page.get_by_role("status").inner_text() == (
        "Thank you. Your signature is recorded; this is your receipt. "
        "A copy is on its way to your email."
    )
    receipt = page.locator(".smattest-receipt").inner_text()
    assert "Social Media Policy" in receipt and "Priya Raman" in receipt
    assert "2 March 2026, 14:30 UTC" in receipt
    assert_accessible(page)  # with the flash message
    (attestation,) = rows(Attestation)
    assert (attestation.signature, attestation.method) == ("Priya Raman", "self")
    assert "Chrome/" in attestation.user_agent


def test_signing_with_nothing_filled_in_shows_an_accessible_error_summary(
    page, live_server, employee
):
    page.goto(path_for(live_server.app, "smattest.policy", slug="social-media"))

    tab_to(page, page.get_by_role("button", name="Sign version 1"))
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    assert summary.get_by_role("heading").inner_text() == "Nothing was recorded"
    assert summary.get_by_role("listitem").all_inner_texts() == [
        "Tick the box to confirm you have read and understood the policy.",
        "Type your full name to sign.",
    ]
    assert page.get_by_role("checkbox").get_attribute("aria-invalid") == "true"
    assert page.get_by_role("textbox").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    assert rows(Attestation) == []


def test_a_wrong_signature_opens_the_page_at_the_error_summary_with_focus_on_it(
    page, live_server, employee
):
    page.goto(path_for(live_server.app, "smattest.policy", slug="social-media"))
    page.get_by_role("checkbox", name="I have read and understood version 1").check()
    page.get_by_role("textbox", name="Type your full name to sign").fill("P. Raman")
    page.get_by_role("button", name="Sign version 1").click()

    summary = page.locator("#smattest-error-summary")
    expect(summary).to_be_in_viewport()
    expect(summary).to_be_focused()
    link = summary.get_by_role("link")
    expect(link).to_have_text(
        "The signature must be your full name as HR has it: Priya Raman. Nothing was recorded."
    )
    expect(page.get_by_role("textbox", name="Type your full name to sign")).to_have_value(
        "P. Raman"
    )
    expect(page.get_by_role("checkbox", name="I have read and understood")).to_be_checked()
    link.click()
    expect(page.get_by_role("textbox", name="Type your full name to sign")).to_be_in_viewport()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    assert rows(Attestation) == []


def test_an_accented_name_can_be_signed_without_its_accents(page, live_server, make_user, sign_in,
                                                            freeze):  # fmt: skip
    freeze("2026-03-02T14:30:00+00:00")
    publish_first_version()
    sign_in(make_user(name="Lucía Ramírez", department="Child Protection"))
    page.goto(path_for(live_server.app, "smattest.policy", slug="social-media"))
    page.get_by_role("checkbox", name="I have read and understood version 1").check()
    page.get_by_role("textbox", name="Type your full name to sign").fill("lucia ramirez")
    page.get_by_role("button", name="Sign version 1").click()

    page.wait_for_url("**/receipts/*")
    (attestation,) = rows(Attestation)
    assert attestation.signature == "lucia ramirez"


#: For each question (fieldset) on the page, in order: its prompt, input type and option labels.
_QUESTIONS = """() => [...document.querySelectorAll("fieldset")].map(f => ({
  legend: f.querySelector("legend").textContent,
  type: f.querySelector("input").type,
  labels: [...f.querySelectorAll("input")].map(i => i.labels[0].textContent.trim()),
  checked: [...f.querySelectorAll("input:checked")].map(i => i.labels[0].textContent.trim()),
}))"""


def right_answers(legend: str) -> set[str]:
    return next(right for prompt, right in RIGHT_ANSWERS.items() if prompt in legend)


def answer_the_quiz_with_the_keyboard(page) -> None:
    """Tab into the first question, then answer each right with Tab, Space and arrows.

    A radio group is one Tab stop (Space picks its first option, ArrowDown moves
    the pick on); every checkbox is its own Tab stop (Space ticks it).
    """
    questions = page.evaluate(_QUESTIONS)
    tab_to(page, page.locator("fieldset input").first)
    for n, question in enumerate(questions):
        right = right_answers(question["legend"])
        if question["type"] == "radio":
            keys = ["Space"] + ["ArrowDown"] * question["labels"].index(next(iter(right)))
        else:
            keys = []
            for m, label in enumerate(question["labels"]):
                keys += ["Tab"] if m else []  # the first box already has focus
                keys += ["Space"] if label in right else []
        for key in (["Tab"] if n else []) + keys:
            page.keyboard.press(key)


def test_an_employee_takes_the_refresher_and_passes_with_the_keyboard_alone(
    page, live_server, employee, monkeypatch
):
    # The draw is random; this one (seeded) includes a several-answer question,
    # whose answers the result page must list one per item.
    monkeypatch.setattr("smattest.training._random", random.Random(7))
    page.goto(path_for(live_server.app, "smattest.index"))

    tab_to(page, page.get_by_role("link", name="Take the Social Media Refresher"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/courses/social-media-refresher")
    tab_to(page, page.get_by_role("button", name="Start the quiz"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempts/*")
    answer_the_quiz_with_the_keyboard(page)
    answered = page.evaluate(_QUESTIONS)
    assert len(answered) == COURSE["questions_per_attempt"] == 8  # of 16 in the file
    assert all(set(q["checked"]) == right_answers(q["legend"]) for q in answered)
    tab_to(page, page.get_by_role("button", name="Submit my answers"))
    page.keyboard.press("Enter")

    page.wait_for_function("document.title.startsWith('Result')")
    assert page.get_by_role("status").inner_text() == (
        "You passed. Your training is recorded. A copy of your receipt is on its way to your email."
    )
    assert (
        "You passed with 100% (the pass mark is 80%)."
        in page.locator(".smattest-receipt").inner_text()
    )
    multiple = next(q for q in answered if q["type"] == "checkbox")
    answer = page.locator(".smattest-answer").filter(has_text=multiple["legend"].split(". ", 1)[1])
    # Each of several answers is its own list item, not "…phone.; Tell…".
    assert set(answer.locator(".smattest-chosen li").all_inner_texts()) == right_answers(
        multiple["legend"]
    )
    assert_accessible(page)  # with the flash message
    (completion,) = rows(TrainingCompletion)
    assert completion.score == 100


def test_a_first_visit_under_a_new_id_shows_an_accessible_page_and_creates_nothing(
    page, live_server, make_user, make_staff, sign_in, freeze
):
    freeze("2026-03-02T14:30:00+00:00")
    make_staff(1, external_id="E-1", full_name="Priya Raman", email="priya@agency.example")
    sign_in(make_user(name="Priya Raman", email="priya@agency.example"))

    response = page.goto(path_for(live_server.app, "smattest.index"))

    assert response.status == 409
    assert page.get_by_role("heading", level=1).inner_text() == "Your record is under another id"
    assert "HR has been told" in page.locator("main").inner_text()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    assert len(rows(Staff)) == 1


def answer_wrongly(page) -> list[dict]:
    """Tick one wrong option in every question; returns the questions as shown."""
    questions = page.evaluate(_QUESTIONS)
    for n, question in enumerate(questions):
        wrong = next(label for label in question["labels"]
                     if label not in right_answers(question["legend"]))  # fmt: skip
        page.locator("fieldset").nth(n).get_by_label(wrong, exact=True).check()
    return questions


def start_the_quiz(page, app) -> None:
    page.goto(path_for(app, "smattest.course", slug=COURSE["slug"]))
    page.get_by_role("button", name="Start the quiz").click()
    page.wait_for_url("**/attempts/*")


def test_a_failed_quiz_names_the_wrong_questions_but_none_of_their_right_answers(
    page, live_server, employee
):
    start_the_quiz(page, live_server.app)
    questions = answer_wrongly(page)
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_function("document.title.startsWith('Result')")

    body = page.locator("main").inner_text()
    assert "You scored 0%; the pass mark is 80%" in body
    for question in questions:
        assert question["legend"].split(". ", 1)[1] in body
        for right in right_answers(question["legend"]):
            assert right not in body
    # Every wrong question says which section to re-read, and "Try again" comes at the end.
    wrong = page.locator(".smattest-answer-wrong")
    assert wrong.count() == 8
    assert wrong.get_by_role("link", name=re.compile(r"^section \d, ")).count() == 8
    try_again = page.get_by_role("button", name="Try again")
    assert try_again.evaluate(
        "b => b.compareDocumentPosition(document.querySelector('.smattest-answers:last-of-type'))"
        " & Node.DOCUMENT_POSITION_PRECEDING"
    )
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def test_after_max_attempts_failures_the_next_start_says_when_it_reopens(
    page, live_server, employee
):
    for _ in range(3):
        start_the_quiz(page, live_server.app)
        answer_wrongly(page)
        page.get_by_role("button", name="Submit my answers").click()
        page.wait_for_function("document.title.startsWith('Result')")
    assert page.get_by_role("button", name="Try again").count() == 0
    expect(page.get_by_text("The next attempt opens at 00:00 on 3 March 2026.")).to_be_visible()

    page.goto(path_for(live_server.app, "smattest.course", slug=COURSE["slug"]))
    notice = page.locator("#smattest-quiz")
    assert page.get_by_role("button", name="Start the quiz").count() == 0
    assert (
        "You have used today's 3 attempts at this quiz. The next attempt opens at 00:00 on "
        "3 March 2026. Until then, re-read the sections named in your last result. "
        "If you are stuck, ask HR."
    ) in notice.inner_text()
    assert_accessible(page)
    assert_no_sideways_scroll(page)
    assert rows(TrainingCompletion) == []


def test_unanswered_questions_are_named_linked_and_marked(page, live_server, employee):
    start_the_quiz(page, live_server.app)
    page.locator("fieldset").first.locator("input").first.check()
    page.get_by_role("button", name="Submit my answers").click()

    summary = page.locator("#smattest-error-summary")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    assert links.count() == 7
    assert links.first.inner_text().startswith("Question 2 is not answered: ")
    assert page.locator(".smattest-question .smattest-error").count() == 7
    assert page.locator("fieldset").first.locator("input:checked").count() == 1  # kept
    links.first.click()
    expect(page.locator("fieldset").nth(1).locator("input").first).to_be_focused()
    assert_accessible(page)
    assert_no_sideways_scroll(page)


def test_what_changed_shows_one_rendered_paragraph_with_the_change_marked(site_page, history):
    site_page.goto(history["what changed"])

    changes = site_page.locator(".smattest-changes")
    changed = changes.locator(".smattest-change-changed")
    assert changed.count() == 1
    assert changed.locator("ins").text_content() == "[added] ask HR. [end of added]"
    assert changed.locator("del").text_content() == "[removed] ask. [end of removed]"
    # Marked by underline and strike-through, not colour alone; the labels are for screen
    # readers only.
    assert changed.locator("ins").evaluate("e => getComputedStyle(e).textDecorationLine") == (
        "underline"
    )
    text = changes.inner_text()
    assert "#" not in text and "**" not in text
    assert re.search(r"\d+ unchanged paragraphs", text)
    assert_accessible(site_page)
    assert_no_sideways_scroll(site_page)


def test_a_receipt_prints_as_a_one_page_record(site_page, history):
    site_page.goto(history["receipt"])
    site_page.emulate_media(media="print")
    try:
        assert site_page.get_by_role("link", name="My compliance").is_visible() is False
        assert site_page.get_by_role("heading", name="What next").is_visible() is False
        record = site_page.locator(".smattest-receipt").inner_text()
        for fact in ("Priya Raman", "Social Media Policy", "Version", "Signed",
                     "SHA-256 of the text you signed", "Receipt number"):  # fmt: skip
            assert fact in record
        pdf = site_page.pdf(format="A4")
    finally:
        site_page.emulate_media(media="screen")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_a_question_box_border_never_runs_through_its_heading(site_page, history):
    site_page.goto(history["quiz"])

    # The legend sits wholly inside its box, below the top border, however many lines.
    inside = site_page.evaluate("""() => [...document.querySelectorAll("fieldset")].map(f => {
      const box = f.getBoundingClientRect();
      const legend = f.querySelector("legend").getBoundingClientRect();
      return legend.top >= box.top + parseFloat(getComputedStyle(f).borderTopWidth);
    })""")
    assert inside and all(inside)
    hints = site_page.locator("fieldset").filter(has_text="Choose all that apply")
    for n in range(hints.count()):
        assert hints.nth(n).inner_text().lower().count("all that apply") == 1  # no duplicate hint
