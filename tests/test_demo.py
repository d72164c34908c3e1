"""The demo intranet in examples/intranet: seeding, sign-in, smattest inside its layout, mail."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_mail import Message

from smattest.models import Policy, Staff

from .demo_helpers import migrate_and_seed

sys.path.insert(0, str(Path(__file__).parents[1] / "examples" / "intranet"))
import intranet  # noqa: E402

DEPARTMENTS = {
    "Child Protection",
    "Adult Services",
    "Family Support",
    "Foster Care and Adoption",
    "Business Support",
}
POLICY_FILE = Path(intranet.__file__).parent / "content" / "social-media-policy.md"


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "demo.sqlite"


@pytest.fixture
def demo(db_path):
    """The demo app on an empty SQLite file, inside an app context."""
    app = intranet.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        yield app
        intranet.db.session.remove()
        for engine in intranet.db.engines.values():
            engine.dispose()


@pytest.fixture
def runner(demo):
    return demo.test_cli_runner()


@pytest.fixture
def seeded(demo, db_path):
    """The demo after the two setup commands a person runs; ``.output`` is the seed's."""
    return SimpleNamespace(output=migrate_and_seed(demo, db_path))


@pytest.fixture
def client(demo):
    return demo.test_client()


def users():
    return intranet.db.session.scalars(sa.select(intranet.User)).all()


def person(email: str):
    return intranet.db.session.scalars(
        sa.select(intranet.User).where(intranet.User.email == email)
    ).one()


def sign_in(client, user, **query):
    response = client.post(f"/sign-in/{user.id}", data=query)
    assert response.status_code == 302
    return response


def test_seed_creates_about_forty_people_in_five_departments(seeded):
    people = users()

    assert 35 <= len(people) <= 45
    assert {p.department for p in people} == DEPARTMENTS
    assert [p.job_title for p in people if p.is_hr] == ["HR Business Partner"]
    emails = {p.email for p in people}
    assert len(emails) == len(people)
    assert all(e.isascii() and e == e.lower() and e.endswith("@riverside.example") for e in emails)
    without_manager = [p for p in people if p.manager_email is None]
    assert len(without_manager) == 1  # the Director
    assert all(p.manager_email in emails for p in people if p.manager_email is not None)
    assert "Created 40 people in 5 departments" in seeded.output


def test_seed_makes_each_department_manager_report_to_the_director(seeded):
    people = users()
    director = next(p for p in people if p.manager_email is None)
    managers = {p.manager_email for p in people} - {None, director.email}

    assert {person(m).department for m in managers} == DEPARTMENTS
    assert all(person(m).manager_email == director.email for m in managers)


def test_seed_includes_a_few_new_hires(seeded):
    recent = dt.date.today() - dt.timedelta(days=40)

    new_hires = [p for p in users() if p.hire_date >= recent]

    assert 3 <= len(new_hires) <= 4
    assert all(p.hire_date.year < dt.date.today().year - 1 for p in users() if p not in new_hires)


def test_seed_gives_everyone_a_smattest_staff_row(seeded):
    staff = intranet.db.session.scalars(sa.select(Staff)).all()

    by_id = {s.external_id: s for s in staff}
    assert len(staff) == len(users())
    for user in users():
        row = by_id[str(user.id)]
        assert (row.email, row.full_name, row.department) == (
            user.email,
            user.name,
            user.department,
        )
        assert (row.manager_email, row.hire_date, row.active) == (
            user.manager_email,
            user.hire_date,
            True,
        )


def test_seeding_twice_does_not_duplicate(seeded, runner):
    before = len(users())

    again = runner.invoke(args=["intranet", "seed"])

    assert again.exit_code == 0, again.output
    assert "already seeded" in again.output
    assert len(users()) == before
    assert intranet.db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == before
    policy = intranet.db.session.scalars(sa.select(Policy)).one()
    assert len(policy.versions) == 1


def test_seed_before_smattest_upgrade_says_what_to_run(demo, runner):
    result = runner.invoke(args=["intranet", "seed"])

    assert result.exit_code != 0
    assert "run 'flask smattest db upgrade' first" in result.output
    assert not sa.inspect(intranet.db.engine).has_table("intranet_user")


def test_seed_publishes_the_social_media_policy(seeded):
    policy = intranet.db.session.scalars(
        sa.select(Policy).where(Policy.slug == "social-media")
    ).one()
    [version] = policy.versions

    assert policy.title == "Social Media Policy"
    assert version.number == 1
    assert version.body_markdown.strip() == POLICY_FILE.read_text(encoding="utf-8").strip()
    assert version.text_sha256 == hashlib.sha256(version.body_markdown.encode()).hexdigest()
    assert version.text_sha256 in seeded.output
    assert "<h2>Client confidentiality</h2>" in version.body_html
    assert "<script" not in version.body_html
    assert version.published_by == "demo-seed"


def test_sign_in_page_lists_people_by_department(seeded, client):
    page = client.get("/sign-in").get_data(as_text=True)

    for department in DEPARTMENTS:
        assert f">{department}</h2>" in page
    assert "Sign in as Grace Kim" in page
    assert "HR Business Partner" in page
    assert ">HR</span>" in page
    assert ">Manager</span>" in page
    assert "no passwords" in page
    assert (
        page.index("Child Protection") < page.index("Sandra Delgado") < page.index("Adult Services")
    )


def test_signed_in_person_sees_my_compliance_inside_the_intranet_layout(seeded, client):
    grace = person("grace.kim@riverside.example")

    response = sign_in(client, grace)
    page = client.get("/compliance/").get_data(as_text=True)

    assert response.headers["Location"] == "/"
    assert "My compliance" in page
    assert "Grace Kim" in page
    assert "Riverside County DSS — Intranet" in page
    assert 'id="main"' in page
    assert "/compliance/static/smattest.css" in page


def test_anonymous_visitor_is_sent_to_sign_in(seeded, client):
    response = client.get("/compliance/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")
    assert client.get("/").headers["Location"].startswith("/sign-in")
    assert client.get("/mail").headers["Location"].startswith("/sign-in")


def test_sign_in_returns_to_the_page_asked_for(seeded, client):
    page = client.get("/sign-in?next=/compliance/").get_data(as_text=True)
    assert 'name="next" value="/compliance/"' in page

    response = sign_in(client, person("kwame.asante@riverside.example"), next="/compliance/")

    assert response.headers["Location"] == "/compliance/"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil"])
def test_sign_in_ignores_a_next_that_leaves_the_site(seeded, client, target):
    response = sign_in(client, person("kwame.asante@riverside.example"), next=target)

    assert response.headers["Location"] == "/"


def test_sign_out_forgets_the_person(seeded, client):
    sign_in(client, person("kwame.asante@riverside.example"))

    client.post("/sign-out")

    assert client.get("/compliance/").status_code == 302


def test_mail_sink_shows_sent_mail_escaped(seeded, demo, client):
    demo.extensions["mail"].send(
        Message(
            subject="<b>x</b> Please sign the Social Media Policy",
            recipients=["kwame.asante@riverside.example"],
            body="Hello Kwame,\nplease read and sign.",
            html="<p>Hello Kwame</p>",
        )
    )
    sign_in(client, person("kwame.asante@riverside.example"))

    page = client.get("/mail").get_data(as_text=True)

    assert "&lt;b&gt;x&lt;/b&gt; Please sign the Social Media Policy" in page
    assert "<b>x</b>" not in page
    assert "kwame.asante@riverside.example" in page
    assert "please read and sign." in page
    assert "&lt;p&gt;Hello Kwame&lt;/p&gt;" in page
    row = intranet.db.session.scalars(sa.select(intranet.SentMail)).one()
    assert row.sender == "Compliance <compliance@riverside.example>"
    assert row.recipients == "kwame.asante@riverside.example"


def test_mail_sink_lists_newest_first(seeded, demo, client):
    for subject in ("First", "Second"):
        demo.extensions["mail"].send(Message(subject=subject, recipients=["a@riverside.example"]))
    sign_in(client, person("kwame.asante@riverside.example"))

    page = client.get("/mail").get_data(as_text=True)

    assert page.index(">Second</h2>") < page.index(">First</h2>")


def test_signing_the_policy_puts_the_receipt_in_the_mail_sink(seeded, client):
    """The whole demo path: sign in, read the policy, sign it, find the emailed receipt."""
    sign_in(client, person("lucia.ramirez@riverside.example"))
    policy_page = client.get("/compliance/policies/social-media").get_data(as_text=True)
    assert "Client confidentiality" in policy_page
    assert "Riverside County DSS — Intranet" in policy_page

    signed = client.post(
        "/compliance/policies/social-media/attest",
        data={"version": "1", "agree": "y", "signature": "Lucía Ramírez"},
    )
    mail_page = client.get("/mail").get_data(as_text=True)

    assert signed.status_code == 303, signed.get_data(as_text=True)
    assert "Receipt: you signed Social Media Policy, version 1" in mail_page
    assert "lucia.ramirez@riverside.example" in mail_page


def test_reset_deletes_the_sqlite_file(seeded, runner, db_path):
    result = runner.invoke(args=["intranet", "reset", "--yes"])

    assert result.exit_code == 0, result.output
    assert not db_path.exists()


def test_reset_asks_first(seeded, runner, db_path):
    result = runner.invoke(args=["intranet", "reset"], input="n\n")

    assert result.exit_code != 0
    assert db_path.exists()


def test_reset_refuses_a_server_database():
    app = intranet.create_app(
        {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://demo@127.0.0.1:1/none", "TESTING": True}
    )

    result = app.test_cli_runner().invoke(args=["intranet", "reset", "--yes"])

    assert result.exit_code != 0
    assert "only deletes a SQLite file" in result.output


def test_finishing_the_refresher_shows_the_next_due_date_a_year_later(seeded, client):
    """The demo path of the training: read, take the quiz, pass, be due again next year."""
    from zoneinfo import ZoneInfo

    from smattest.models import QuizAttempt
    from smattest.training import questions_of

    sign_in(client, person("mariam.yusuf@riverside.example"))
    before = client.get("/compliance/").get_data(as_text=True)
    assert "Take the Social Media Refresher" in before
    course_page = client.get("/compliance/courses/social-media-refresher").get_data(as_text=True)
    assert "Start the quiz" in course_page
    started = client.post("/compliance/courses/social-media-refresher/attempts")
    attempt = intranet.db.session.get(QuizAttempt, int(started.headers["Location"].split("/")[-1]))
    shown = questions_of(attempt)
    assert len(shown) == 8  # of the 16: questions_per_attempt
    answers = {f"q{p.question.id}": [i for i, index in p.options if index in p.question.correct]
               for p in shown}  # fmt: skip

    finished = client.post(started.headers["Location"], data=answers)
    result = client.get(finished.headers["Location"]).get_data(as_text=True)
    after = client.get("/compliance/").get_data(as_text=True)

    assert "You passed with 100% (the pass mark is 80%)." in result
    today = dt.datetime.now(ZoneInfo("America/Chicago")).date()
    try:
        next_year = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        next_year = today.replace(year=today.year + 1, day=28)
    assert f"Due {next_year.day} {next_year:%B %Y}." in after
    assert "Social Media Refresher: completed" in after


def test_demo_sqlite_uses_wal_a_busy_timeout_and_foreign_keys(seeded):
    with intranet.db.engine.connect() as conn:
        pragmas = [conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "busy_timeout", "foreign_keys")]  # fmt: skip

    assert pragmas == ["wal", 5000, 1]


def test_demo_mail_links_follow_the_base_url_make_demo_sets(monkeypatch, tmp_path):
    """`make demo PORT=5222` sets SMATTEST_BASE_URL from its port; the demo links there."""
    monkeypatch.setenv("SMATTEST_BASE_URL", "http://127.0.0.1:5222")
    app = intranet.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'd.sqlite'}"})
    assert app.config["SMATTEST_BASE_URL"] == "http://127.0.0.1:5222"

    monkeypatch.delenv("SMATTEST_BASE_URL")
    app = intranet.create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite'}"})
    assert app.config["SMATTEST_BASE_URL"] == "http://127.0.0.1:5000"
