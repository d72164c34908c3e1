"""Codes as HR reads them: reminder stages and statuses, and HR's logged actions."""

from __future__ import annotations

#: HR event actions (``HREvent.action``) in words.
HR_ACTIONS = {
    "attestation.on_behalf": "Attestation recorded on their behalf",
    "exemption.grant": "Exemption granted",
    "exemption.end": "Exemption ended",
    "roster.import": "Roster imported",
    "roster.sync": "Roster synchronised",
    "reminder.mark_sent": "Stuck reminder marked as sent",
    "reminder.release": "Stuck reminder released to send again",
    "draft.create": "Policy draft started",
    "draft.approve": "Policy draft approved",
    "policy.publish": "Policy version published",
    "export.questions": "Quiz questions exported",
    "export.trend": "Trend exported",
}

#: Reminder statuses in words.
REMINDER_STATUSES = {
    "pending": "Waiting to be sent",
    "sending": "Being sent",
    "sent": "Sent",
    "failed": "Could not be sent",
    "skipped": "Not sent: no longer owed",
}


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def stage(code: str) -> str:
    """'overdue-3' → '3rd overdue reminder'; 'before-7' → 'Reminder 7 days before';
    'escalate' → 'Escalated to manager'."""
    if code.startswith("rcpt:"):
        return "Receipt"
    kind, _, number = code.partition("-")
    if kind == "overdue" and number.isdigit():
        return f"{ordinal(int(number))} overdue reminder"
    if kind == "before" and number.isdigit():
        days = int(number)
        return f"Reminder {days} day{'' if days == 1 else 's'} before"
    if code == "escalate":
        return "Escalated to manager"
    return code


def hr_action(code: str) -> str:
    """An HR event's action in words (the code itself when it is a new one)."""
    return HR_ACTIONS.get(code, code)


def reminder_status(status: str, attempts: int) -> str:
    """A reminder's status in words, with the tries when there was more than one."""
    words = REMINDER_STATUSES.get(status, status)
    if attempts > 1 or (status == "failed" and attempts):
        words += f" (after {attempts} tr{'y' if attempts == 1 else 'ies'})"
    return words


WORDS = {
    "stage_words": stage,
    "hr_action_words": hr_action,
    "reminder_status_words": reminder_status,
}
