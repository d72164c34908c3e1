"""Blinker signals smattest sends, always after the change is committed.

Each is sent with the application (``current_app._get_current_object()``) as
the sender; connect with ``attestation_recorded.connect(receiver, app)``.
"""

import logging
from typing import Any

from blinker import Namespace

_signals = Namespace()

#: A person attested to a policy version: ``attestation=`` the new row.
attestation_recorded = _signals.signal("smattest.attestation-recorded")

#: A person passed a course's quiz: ``completion=`` the new training completion.
training_completed = _signals.signal("smattest.training-completed")

#: A reminder mail went out: ``reminders=`` the outbox rows it carried,
#: ``recipient=`` the address(es), ``kind=`` ``"staff"``, ``"manager"`` or ``"hr"``
#: (HR's weekly summary: ``reminders=`` holds its one HRSummary row).
reminder_sent = _signals.signal("smattest.reminder-sent")

#: HR granted an exemption: ``exemption=`` the new row.
exemption_granted = _signals.signal("smattest.exemption-granted")

#: HR ended an exemption early: ``exemption=`` the row.
exemption_ended = _signals.signal("smattest.exemption-ended")

#: A roster import or sync was applied (possibly changing nothing): ``result=`` the
#: :class:`smattest.roster.Plan`.
roster_imported = _signals.signal("smattest.roster-imported")

#: HR linked people's records to new ids: ``links=`` the new IdentityLink rows.
identity_linked = _signals.signal("smattest.people.identity-linked")


def send_after_commit(signal: Any, sender: object, **data: Any) -> None:
    """Send ``signal`` for a change just committed; a receiver's exception is logged, not raised.

    The change is recorded: a receiver that fails (or needs a database
    connection lost since the commit) must not turn the response into an
    error page that suggests nothing was saved.
    """
    try:
        signal.send(sender, **data)
    except Exception:
        logging.getLogger("smattest.signals").exception(
            "a receiver of %s failed after the commit; the change stands", signal.name
        )
