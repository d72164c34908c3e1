"""Codes in HR's words."""

import pytest

from smattest.views.words import hr_action, ordinal, reminder_status, stage


@pytest.mark.parametrize(
    ("n", "words"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                     (13, "13th"), (21, "21st"), (102, "102nd"), (111, "111th")],
)  # fmt: skip
def test_ordinals(n, words):
    assert ordinal(n) == words


@pytest.mark.parametrize(
    ("code", "words"),
    [("overdue-3", "3rd overdue reminder"), ("overdue-1", "1st overdue reminder"),
     ("before-1", "Reminder 1 day before"), ("before-14", "Reminder 14 days before"),
     ("escalate", "Escalated to manager")],
)  # fmt: skip
def test_stages(code, words):
    assert stage(code) == words


def test_actions_and_statuses():
    assert hr_action("exemption.grant") == "Exemption granted"
    assert hr_action("exemption.end") == "Exemption ended"
    assert reminder_status("sent", 1) == "Sent"
    assert reminder_status("failed", 1) == "Could not be sent (after 1 try)"
    assert reminder_status("pending", 0) == "Waiting to be sent"
