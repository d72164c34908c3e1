"""Codes as HR reads them: reminder stages and statuses, and HR's logged actions."""

from __future__ import annotations

from ..i18n import SOURCE_LANGUAGE, current_locale, gettext, lazy_gettext, ngettext

#: HR event actions (``HREvent.action``) in words.
HR_ACTIONS = {
    "attestation.on_behalf": lazy_gettext("Attestation recorded on their behalf"),
    "exemption.grant": lazy_gettext("Exemption granted"),
    "exemption.end": lazy_gettext("Exemption ended"),
    "roster.import": lazy_gettext("Roster imported"),
    "roster.sync": lazy_gettext("Roster synchronised"),
    "reminder.mark_sent": lazy_gettext("Stuck reminder marked as sent"),
    "reminder.release": lazy_gettext("Stuck reminder released to send again"),
    "draft.create": lazy_gettext("Policy draft started"),
    "draft.approve": lazy_gettext("Policy draft approved"),
    "policy.publish": lazy_gettext("Policy version published"),
    "export.questions": lazy_gettext("Quiz questions exported"),
    "export.trend": lazy_gettext("Trend exported"),
}

#: Reminder statuses in words.
REMINDER_STATUSES = {
    "pending": lazy_gettext("Waiting to be sent"),
    "sending": lazy_gettext("Being sent"),
    "sent": lazy_gettext("Sent"),
    "failed": lazy_gettext("Could not be sent"),
    "skipped": lazy_gettext("Not sent: no longer owed"),
}


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st; 3.º in another language."""
    if current_locale().split("_")[0] != SOURCE_LANGUAGE:
        return f"{n}.º"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def stage(code: str) -> str:
    """'overdue-3' → '3rd overdue reminder'; 'before-7' → 'Reminder 7 days before';
    'escalate' → 'Escalated to manager'."""
    if code.startswith("rcpt:"):
        return gettext("Receipt")
    kind, _, number = code.partition("-")
    if kind == "overdue" and number.isdigit():
        return gettext("%(ordinal)s overdue reminder", ordinal=ordinal(int(number)))
    if kind == "before" and number.isdigit():
        days = int(number)
        return ngettext("Reminder %(num)s day before", "Reminder %(num)s days before", days)
    if code == "escalate":
        return gettext("Escalated to manager")
    if kind == "escalate" and number.isdigit():
        return gettext("Escalated %(level)s levels up", level=int(number))
    if code == "nudge":
        return gettext("Reminder sent on request")
    return code


def hr_action(code: str) -> str:
    """An HR event's action in words (the code itself when it is a new one)."""
    return HR_ACTIONS.get(code, code)


def reminder_status(status: str, attempts: int) -> str:
    """A reminder's status in words, with the tries when there was more than one."""
    words = str(REMINDER_STATUSES.get(status, status))
    if attempts > 1 or (status == "failed" and attempts):
        words += " " + ngettext("(after %(num)s try)", "(after %(num)s tries)", attempts)
    return words


WORDS = {
    "stage_words": stage,
    "hr_action_words": hr_action,
    "reminder_status_words": reminder_status,
}
