"""Migration 0003_evidence on a database with evidence: old rows keep verifying, exemptions
join the chain (so nobody loses one), course contents get their stored hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa

from smattest import verify as hashformat
from smattest.db import JSONText, UTCDateTime
from smattest.models import POLICY, CourseVersion, Exemption, ExemptionEnd, Staff
from smattest.publishing.courses import stored_sha256
from smattest.rule import compliance

from . import hostapp
from .conftest import all_databases

T = UTCDateTime()


def table(name: str, *columns: sa.Column) -> sa.TableClause:
    return sa.table(name, *columns)


def seed_at_0002(conn) -> None:
    """What a 0002 database holds: two people, a signature, two exemptions (one ended), a course."""
    at = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    conn.execute(sa.text(
        "INSERT INTO smattest_staff (id, external_id, email, full_name, active, created_at,"
        " updated_at) VALUES (1, 'E1', 'a@x.example', 'Ann Archer', :t, :at, :at),"
        " (2, 'E2', 'b@x.example', 'Ben Bello', :t, :at, :at)"
    ), {"t": True, "at": at.replace(tzinfo=None)})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO smattest_policy (id, slug, title, every_months, created_at)"
        " VALUES (1, 'social-media', 'Social Media Policy', 12, :at)"
    ), {"at": at.replace(tzinfo=None)})  # fmt: skip
    text = "Be careful.\n"
    sha = hashlib.sha256(text.encode()).hexdigest()
    conn.execute(sa.text(
        "INSERT INTO smattest_policy_version (id, policy_id, number, body_markdown, body_html,"
        " text_sha256, summary, requires_reattestation, effective_date, published_at)"
        " VALUES (1, 1, 1, :body, :html, :sha, 'First.', :t, :day, :at)"
    ), {"body": text, "html": "<p>Be careful.</p>\n", "sha": sha, "t": True,
        "day": dt.date(2026, 1, 5), "at": at.replace(tzinfo=None)})  # fmt: skip
    fields = {"chain_seq": 1, "staff_id": 1, "policy_version_id": 1, "attested_at": at,
              "signature": "Ann Archer", "method": "self", "reason": None, "recorded_by": None,
              "ip_address": "10.0.0.1", "user_agent": None, "text_sha256": sha}  # fmt: skip
    record = hashformat.format_1_hash("attestation", fields, "")
    columns = [sa.column(n, T) if n == "attested_at" else sa.column(n) for n in fields]
    attestation = table("smattest_attestation", *columns, sa.column("prev_hash"),
                        sa.column("record_hash"))  # fmt: skip
    conn.execute(attestation.insert().values(**fields, prev_hash="", record_hash=record))
    conn.execute(sa.text("UPDATE smattest_chain_head SET last_seq = 1, last_hash = :h"),
                 {"h": record})  # fmt: skip
    exemption = table("smattest_exemption", sa.column("staff_id"), sa.column("requirement_kind"),
                      sa.column("requirement_id"), sa.column("reason"), sa.column("until"),
                      sa.column("granted_by"), sa.column("granted_at", T),
                      sa.column("ended_at", T), sa.column("ended_by"))  # fmt: skip
    conn.execute(exemption.insert().values(
        staff_id=2, requirement_kind="policy", requirement_id=1, reason="Long leave",
        until=None, granted_by="hr", granted_at=at + dt.timedelta(days=1)))  # fmt: skip
    conn.execute(exemption.insert().values(
        staff_id=1, requirement_kind="policy", requirement_id=1, reason="Secondment",
        until=dt.date(2026, 12, 31), granted_by="hr", granted_at=at + dt.timedelta(days=2),
        ended_at=at + dt.timedelta(days=3), ended_by="hr-2"))  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO smattest_course (id, slug, title, refresh_every_months, created_at)"
        " VALUES (1, 'refresher', 'Refresher', 12, :at)"
    ), {"at": at.replace(tzinfo=None)})  # fmt: skip
    conn.execute(sa.text(
        "INSERT INTO smattest_course_version (id, course_id, number, pass_mark, content_sha256,"
        " created_at) VALUES (1, 1, 1, 80, :sha, :at)"
    ), {"sha": "c" * 64, "at": at.replace(tzinfo=None)})  # fmt: skip
    conn.execute(
        sa.text(
            "INSERT INTO smattest_course_section (course_version_id, position, title,"
            " body_markdown, body_html)"
            " VALUES (1, 1, 'Why', 'Clients trust us.', :html)"
        ),
        # As smattest rendered it then (and now): audit verify compares the two.
        {"html": "<p>Clients trust us.</p>\n"},
    )
    question = table("smattest_question", sa.column("course_version_id"), sa.column("position"),
                     sa.column("kind"), sa.column("prompt"), sa.column("options", JSONText()),
                     sa.column("correct", JSONText()), sa.column("explanation"))  # fmt: skip
    conn.execute(question.insert().values(
        course_version_id=1, position=1, kind="single", prompt="Friend request?",
        options=["Decline", "Accept"], correct=[0], explanation="Boundaries."))  # fmt: skip


@all_databases
def test_upgrading_a_database_with_evidence_keeps_it_verifying_and_exemptions_standing(
    make_app, freeze
):
    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        hostapp.db.create_all(bind_key=None)
        assert runner.invoke(args=["smattest", "db", "upgrade", "0002"]).exit_code == 0
        with hostapp.db.engine.begin() as conn:
            seed_at_0002(conn)

        upgraded = runner.invoke(args=["smattest", "db", "upgrade"])

        assert upgraded.exit_code == 0, upgraded.output
        verified = runner.invoke(args=["smattest", "audit", "verify"])
        assert verified.exit_code == 0, verified.output
        # The signature, then each exemption's grant, then the end: 4 rows.
        assert verified.output.startswith("OK: 4 evidence rows")
        session = hostapp.db.session
        grants = session.scalars(sa.select(Exemption).order_by(Exemption.chain_seq)).all()
        assert [(g.chain_seq, g.employee_id, g.full_name, g.requirement_slug) for g in grants] == [
            (2, "E2", "Ben Bello", "social-media"), (3, "E1", "Ann Archer", "social-media"),
        ]  # fmt: skip
        [end] = session.scalars(sa.select(ExemptionEnd)).all()
        assert (end.chain_seq, end.exemption_id, end.ended_by) == (4, grants[1].id, "hr-2")
        freeze("2026-02-20T12:00:00+00:00")
        ben, ann = session.get(Staff, 2), session.get(Staff, 1)
        assert compliance.standing(ben, POLICY, 1).status == compliance.EXEMPT
        assert compliance.standing(ann, POLICY, 1).status == compliance.CURRENT
        version = session.get(CourseVersion, 1)
        assert version.stored_sha256 == stored_sha256(version)
        content = {"pass_mark": 80, "sections": [{"title": "Why", "body": "Clients trust us."}],
                   "questions": [{"kind": "single", "prompt": "Friend request?",
                                  "options": ["Decline", "Accept"], "correct": [0],
                                  "explanation": "Boundaries."}]}  # fmt: skip
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        assert version.stored_sha256 == hashlib.sha256(canonical.encode()).hexdigest()

        session.commit()  # end this test's reads: PostgreSQL's DROP TABLE waits for them
        downgraded = runner.invoke(args=["smattest", "db", "downgrade", "0002"])
        assert downgraded.exit_code == 0, downgraded.output
