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
