"""The data model, one module per subject; every mapped class is importable from here.

Tables are prefixed ``smattest_`` and sit on smattest's own ``MetaData``
(:mod:`smattest.db`), used through the host's ``db.session``.

- :mod:`~smattest.models.staff`: people on the roster and their dated placements;
- :mod:`~smattest.models.policies`, :mod:`~smattest.models.courses`: what people
  owe, versioned, and HR's drafts; quiz attempts;
- :mod:`~smattest.models.audiences`, :mod:`~smattest.models.lifecycle`: who owes
  a requirement from which day, and its life after publishing;
- :mod:`~smattest.models.evidence`, :mod:`~smattest.models.identity`: the rows of
  the hash chain (attestations, completions, exemptions and their ends, changes
  of a person's id), its head and its checkpoints. Evidence rows are append-only;
- :mod:`~smattest.models.outbox`: every mail smattest plans and sends;
- :mod:`~smattest.models.due`: the due-date table and HR's weekly trend, caches of the rule;
- :mod:`~smattest.models.hr_log`: what HR did.
"""

from .audiences import AudienceChange
from .courses import Course, CourseSection, CourseVersion, Question, QuizAttempt
from .due import DueCheck, DueDate, DuePending, DueRequirementPending, DueState, TrendWeek
from .evidence import (
    Attestation,
    AtTheTime,
    ChainHead,
    ChainPosition,
    Checkpoint,
    Exemption,
    ExemptionEnd,
    PolicyTranslation,
    SealedDevice,
    SealedReason,
    TrainingCompletion,
    VersionRecord,
    in_chain,
)
from .hr_log import HREvent
from .identity import IdentityLink, UnlinkedSignIn
from .kinds import COURSE, POLICY
from .lifecycle import Retirable, VersionWithdrawal
from .outbox import Announcement, Delivery, HRSummary, Reminder, ReviewNotice
from .policies import DraftApproval, Policy, PolicyDraft, PolicyVersion
from .staff import Placement, Staff

__all__ = [
    "COURSE",
    "POLICY",
    "Announcement",
    "AtTheTime",
    "Attestation",
    "AudienceChange",
    "ChainHead",
    "ChainPosition",
    "Checkpoint",
    "Course",
    "CourseSection",
    "CourseVersion",
    "Delivery",
    "DraftApproval",
    "DueCheck",
    "DueDate",
    "DuePending",
    "DueRequirementPending",
    "DueState",
    "Exemption",
    "ExemptionEnd",
    "HREvent",
    "HRSummary",
    "IdentityLink",
    "Placement",
    "Policy",
    "PolicyDraft",
    "PolicyTranslation",
    "PolicyVersion",
    "Question",
    "QuizAttempt",
    "Reminder",
    "Retirable",
    "ReviewNotice",
    "SealedDevice",
    "SealedReason",
    "Staff",
    "TrainingCompletion",
    "TrendWeek",
    "UnlinkedSignIn",
    "VersionRecord",
    "VersionWithdrawal",
    "in_chain",
]
