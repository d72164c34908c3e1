"""``flask smattest ...``: the commands IT and HR run, one subcommand module a subject.

This package's ``__init__`` only assembles: each subject module defines its own
click group and imports nothing back from here.
"""

from __future__ import annotations

from . import (
    audit,
    compliance,
    course,
    db,
    doctor,
    evidence,
    mail,
    policy,
    reminders,
    reports,
    roster,
    scheduler,
    staff,
)
from .params import Group

smattest_cli = Group("smattest", help="smattest: policy attestation and refresher training.")

for _command in (
    db.db_cli,
    policy.policy_cli,
    course.course_cli,
    audit.audit_cli,
    evidence.evidence_cli,
    roster.roster_cli,
    staff.staff_cli,
    reminders.reminders_cli,
    mail.mail_cli,
    reports.report_cli,
    compliance.compliance_cli,
    scheduler.scheduler_command,
    doctor.doctor_command,
):
    smattest_cli.add_command(_command)

__all__ = ["smattest_cli"]
