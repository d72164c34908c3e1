"""Blinker signals smattest sends, always after the change is committed.

Each is sent with the application (``current_app._get_current_object()``) as
the sender; connect with ``attestation_recorded.connect(receiver, app)``.
"""

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
identity_linked = _signals.signal("smattest.identity-linked")
