"""initial tables

Revision ID: 0001
Revises:
Create Date: 2026-11-21 14:09:02.313960
"""

import sqlalchemy as sa
from alembic import op

import smattest.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smattest_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", smattest.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_chain_head")),
    )
    # The evidence chain starts empty; appends lock and advance this one row.
    op.execute(
        sa.text("INSERT INTO smattest_chain_head (id, last_seq, last_hash) VALUES (1, 0, '')")
    )
    op.create_table(
        "smattest_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("every_months", sa.Integer(), server_default="12", nullable=False),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_policy")),
        sa.UniqueConstraint("slug", name=op.f("uq_smattest_policy_slug")),
    )
    op.create_table(
        "smattest_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=120), nullable=True),
        sa.Column("manager_email", sa.String(length=255), nullable=True),
        sa.Column("hire_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", smattest.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_staff")),
        sa.UniqueConstraint("external_id", name=op.f("uq_smattest_staff_external_id")),
    )
    op.create_index(
        op.f("ix_smattest_staff_department"), "smattest_staff", ["department"], unique=False
    )
    op.create_index(op.f("ix_smattest_staff_email"), "smattest_staff", ["email"], unique=False)
    op.create_index(
        op.f("ix_smattest_staff_manager_email"), "smattest_staff", ["manager_email"], unique=False
    )

    op.create_table(
        "smattest_course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("refresh_every_months", sa.Integer(), server_default="12", nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["smattest_policy.id"], name=op.f("fk_smattest_course_policy_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_course")),
        sa.UniqueConstraint("slug", name=op.f("uq_smattest_course_slug")),
    )
    op.create_table(
        "smattest_exemption",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("requirement_kind", sa.String(length=10), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("granted_by", sa.String(length=64), nullable=False),
        sa.Column("granted_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_exemption_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_exemption")),
    )
    op.create_index(
        op.f("ix_smattest_exemption_staff"),
        "smattest_exemption",
        ["staff_id", "requirement_kind", "requirement_id"],
        unique=False,
    )

    op.create_table(
        "smattest_policy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("requires_reattestation", sa.Boolean(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("published_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["smattest_policy.id"], name=op.f("fk_smattest_policy_version_policy_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_policy_version")),
        sa.UniqueConstraint(
            "policy_id", "number", name=op.f("uq_smattest_policy_version_policy_id_number")
        ),
    )
    op.create_table(
        "smattest_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("requirement_kind", sa.String(length=10), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("cycle_due", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("claimed_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("sent_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_reminder_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_reminder")),
        sa.UniqueConstraint(
            "staff_id",
            "requirement_kind",
            "requirement_id",
            "cycle_due",
            "stage",
            name="uq_smattest_reminder_stage",
        ),
    )
    op.create_index(
        op.f("ix_smattest_reminder_due"),
        "smattest_reminder",
        ["status", "next_attempt_at"],
        unique=False,
    )

    op.create_table(
        "smattest_attestation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("attested_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["smattest_policy_version.id"],
            name=op.f("fk_smattest_attestation_policy_version_id"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_attestation_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_attestation")),
        sa.UniqueConstraint("chain_seq", name=op.f("uq_smattest_attestation_chain_seq")),
        sa.UniqueConstraint("record_hash", name=op.f("uq_smattest_attestation_record_hash")),
    )
    op.create_index(
        op.f("ix_smattest_attestation_staff"),
        "smattest_attestation",
        ["staff_id", "policy_version_id", "attested_at"],
        unique=False,
    )

    op.create_table(
        "smattest_course_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", smattest.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["smattest_course.id"], name=op.f("fk_smattest_course_version_course_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_course_version")),
        sa.UniqueConstraint(
            "course_id", "number", name=op.f("uq_smattest_course_version_course_id_number")
        ),
    )
    op.create_table(
        "smattest_course_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["smattest_course_version.id"],
            name=op.f("fk_smattest_course_section_course_version_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_course_section")),
    )
    op.create_index(
        op.f("ix_smattest_course_section_course_version_id"),
        "smattest_course_section",
        ["course_version_id"],
        unique=False,
    )

    op.create_table(
        "smattest_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("options", smattest.db.JSONText(), nullable=False),
        sa.Column("correct", smattest.db.JSONText(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["smattest_course_version.id"],
            name=op.f("fk_smattest_question_course_version_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_question")),
    )
    op.create_index(
        op.f("ix_smattest_question_course_version_id"),
        "smattest_question",
        ["course_version_id"],
        unique=False,
    )

    op.create_table(
        "smattest_quiz_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("course_version_id", sa.Integer(), nullable=False),
        sa.Column("started_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("presented", smattest.db.JSONText(), nullable=False),
        sa.Column("submitted_at", smattest.db.UTCDateTime(), nullable=True),
        sa.Column("answers", smattest.db.JSONText(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["smattest_course_version.id"],
            name=op.f("fk_smattest_quiz_attempt_course_version_id"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["smattest_staff.id"], name=op.f("fk_smattest_quiz_attempt_staff_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_quiz_attempt")),
    )
    op.create_index(
        op.f("ix_smattest_quiz_attempt_staff"),
        "smattest_quiz_attempt",
        ["staff_id", "course_version_id"],
        unique=False,
    )

    op.create_table(
        "smattest_training_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("course_version_id", sa.Integer(), nullable=False),
        sa.Column("quiz_attempt_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", smattest.db.UTCDateTime(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_version_id"],
            ["smattest_course_version.id"],
            name=op.f("fk_smattest_training_completion_course_version_id"),
        ),
        sa.ForeignKeyConstraint(
            ["quiz_attempt_id"],
            ["smattest_quiz_attempt.id"],
            name=op.f("fk_smattest_training_completion_quiz_attempt_id"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["smattest_staff.id"],
            name=op.f("fk_smattest_training_completion_staff_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smattest_training_completion")),
        sa.UniqueConstraint("chain_seq", name=op.f("uq_smattest_training_completion_chain_seq")),
        sa.UniqueConstraint(
            "quiz_attempt_id", name=op.f("uq_smattest_training_completion_quiz_attempt_id")
        ),
        sa.UniqueConstraint(
            "record_hash", name=op.f("uq_smattest_training_completion_record_hash")
        ),
    )
    op.create_index(
        op.f("ix_smattest_training_completion_staff"),
        "smattest_training_completion",
        ["staff_id", "course_version_id", "completed_at"],
        unique=False,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB refuses to drop an index that a
    # foreign key still needs), so drop the tables, dependents first.
    op.drop_table("smattest_training_completion")
    op.drop_table("smattest_quiz_attempt")
    op.drop_table("smattest_question")
    op.drop_table("smattest_course_section")
    op.drop_table("smattest_course_version")
    op.drop_table("smattest_attestation")
    op.drop_table("smattest_reminder")
    op.drop_table("smattest_policy_version")
    op.drop_table("smattest_exemption")
    op.drop_table("smattest_course")
    op.drop_table("smattest_staff")
    op.drop_table("smattest_policy")
    op.drop_table("smattest_chain_head")
