"""Recording attestations: the employee's typed signature on one policy version."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import sqlalchemy as sa

import smattest.evidence.chain as evidence
import smattest.evidence.paper_era as paper_era
import smattest.rule.compliance as compliance
import smattest.text as text

from ..db import utcnow
from ..evidence.own import ANOTHER, is_own
from ..i18n import gettext
from ..models import (
    POLICY,
    Attestation,
    ChainHead,
    HREvent,
    Policy,
    Reminder,
    Staff,
    in_chain,
)
from ..models.outbox import receipt_stage
from ..proxies import current_smattest
from ..publishing.policies import get_policy, version_in_force
from ..publishing.translations import shown
from ..signals import attestation_recorded, send_after_commit
from ..state import current_app_object
from ..timeutil import local_today
from .refusals import normalise_name as normalise_name
from .refusals import not_in_force, signature_problem
from .refusals import statement as statement


class AttestationError(ValueError):
    """An attestation cannot be recorded; the message tells the person why.

    ``problems`` lists every problem found as (subject, message), the subject
    being what it is about (``"signature"``, ``"reason"``, ``"policy"``) or
    None, so that a form can show each next to its field.
    """

    def __init__(
        self, message: str = "", *, field: str | None = None,
        problems: list[tuple[str | None, str]] | None = None,
    ) -> None:  # fmt: skip
        self.problems = problems or [(field, message)]
        super().__init__(" ".join(text for _, text in self.problems))


#: The longest reason kept for an attestation HR records on someone's behalf.
MAX_REASON = 2000

#: A signing form's token as :class:`smattest.views.forms.AttestForm` makes it.
SUBMISSION = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Recorded:
    """The attestation that stands, whether this call created it, and its id.

    ``attestation_id`` is read before the commit: a page can redirect to the
    receipt without touching the database again, so a connection lost right
    after the commit cannot turn a recorded signature into an error page.
    """

    attestation: Attestation
    created: bool
    attestation_id: int
    policy_title: str
    version_number: int
    #: The receipt's number (the row's chain position), read before the commit too.
    receipt_number: int


def attest(
    staff: Staff,
    slug: str,
    version_number: int,
    signature: str,
    *,
    ip_address: str | None = None,
    user_agent: str | None = None,
    policy: Policy | None = None,
    submission: str | None = None,
    language: str | None = None,
    shown_sha256: str | None = None,
) -> Recorded:
    """Record ``staff``'s own signature on version ``version_number`` of policy ``slug``.

    Safe to repeat: a double click, a second tab or a retried POST finds the
    person already current on this version (or, outside its audience, having
    signed it) and returns that attestation instead of recording another.
    ``submission`` is the signing form's one-time token: the database keeps one
    row per person and token, so the same form sent twice records one row even
    when the two requests race. Raises :class:`AttestationError` with a
    message for the person, recording nothing, when the signature does not
    match their name or the version is no longer the one in force.
    ``policy`` is the policy ``slug`` names when the caller has read it already.

    ``shown_sha256`` (with ``language``) is the SHA-256 of the text the page showed,
    in the language the reader chose: it must still be the text's (else nothing is
    recorded), and the row records both in format 6. Without it the row records the
    version's own text, as before.
    """
    if policy is None or policy.slug != slug:
        policy = get_policy(slug, with_versions=True)
    version = version_in_force(policy) if policy else None
    if policy is None or version is None:
        raise AttestationError(gettext("This policy has no version in force to sign."))
    if version.number != version_number:
        raise AttestationError(not_in_force(policy, version, version_number))
    if not staff.active:
        raise AttestationError(
            gettext(
                "Your compliance record is marked inactive, so nothing can be signed. "
                "Please contact HR."
            )
        )
    problem = signature_problem(staff, signature, on_behalf=False)
    if problem:
        raise AttestationError(problem, field="signature")
    if submission is not None and not SUBMISSION.fullmatch(submission):
        submission = None  # not a token this form made: the other checks still apply
    staff_id, version_id, text_sha256 = staff.id, version.id, version.text_sha256
    read_in = None
    if shown_sha256 is not None:
        read_in, _, text_sha256 = shown(version, language)
        if read_in != language or text_sha256 != shown_sha256:
            raise AttestationError(
                gettext(
                    "The text of this policy is not the one your page showed. Nothing was "
                    "recorded: please reload the page, read it and sign again."
                )
            )
    sent_before = _of_submission(staff_id, submission)
    if sent_before is not None:
        return Recorded(sent_before, False, sent_before.id, policy.title, version.number,
                        sent_before.chain_seq)  # fmt: skip
    # Who and what, as they are now, read before the lock (the row hashes them).
    now_known = evidence.AtTheTime(staff.external_id, staff.full_name, policy.slug, version.number)

    title, number, policy_id = policy.title, version.number, policy.id
    row = Attestation(
        staff_id=staff_id,
        policy_version_id=version_id,
        signature=" ".join(signature.split()),
        method="self",
        ip_address=(ip_address or None) and ip_address[:45],
        user_agent=(user_agent or None) and user_agent[:512],
        text_sha256=text_sha256,
        language=read_in,
        submission=submission,
    )
    # Who and what, and the personal fields' salts and digests: nothing here depends
    # on the chain's position, so none of it waits under the lock.
    evidence.prepare(row, now_known)
    # The receipt goes out through the outbox, planned in the same transaction:
    # no request waits on a mail server, and a receipt is never silently lost.
    receipt = Reminder(staff_id=staff_id, requirement_kind=POLICY, requirement_id=policy_id,
                       cycle_due=local_today(), status="pending", attempts=0)  # fmt: skip
    head = _lock_unless_recorded(staff_id, policy_id, version_id)
    if isinstance(head, Attestation):
        return Recorded(head, False, head.id, title, number, head.chain_seq)
    row.attested_at = utcnow()  # under the lock: times follow the chain's order
    evidence.link(head, row, prepared=True)
    receipt_number = row.chain_seq
    session = current_smattest.db.session
    try:
        session.flush()
    except sa.exc.IntegrityError:
        # The same form, sent again, committed first (the database's unique key on the
        # person and the token): that signature stands, this one is not recorded.
        session.rollback()
        found = _of_submission(staff_id, submission)
        if found is None:
            raise
        return Recorded(found, False, found.id, title, number, found.chain_seq)
    row_id = row.id
    receipt.stage = receipt_stage(row_id)
    session.add(receipt)
    session.commit()  # releases the chain's lock
    send_after_commit(attestation_recorded, current_app_object(), attestation=row)
    return Recorded(row, True, row_id, title, number, receipt_number)


def attest_on_behalf(
    staff: Staff,
    slug: str,
    signature: str,
    reason: str,
    recorded_by: str,
    *,
    recorder_ip: str | None = None,
    signed_on: dt.date | None = None,
) -> Recorded:
    """Record, for HR, ``staff``'s signature on a paper form for the version of ``slug`` in force.

    ``signed_on`` is the day on the paper (default: today). For an earlier day the
    row is timed at noon, local, of that day, like the paper-era import, and keeps
    the time HR recorded it in ``recorded_at``; it may be neither in the future nor
    before the version took effect.

    The row joins the same evidence chain as a self-attestation, with method
    ``on_behalf``, the ``reason`` HR gives (e.g. "signed paper form on 3 May")
    and ``recorded_by``, the HR person's host user id. The employee signed on
    paper, not on a device, so the row carries no IP address or user agent;
    HR's own address (``recorder_ip``) goes into the ``attestation.on_behalf``
    HR event written in the same transaction. The signature must be the
    person's name on record, which catches a form recorded on the wrong
    person's page.

    A repeat (double click, retried POST) finds the person current on this
    version and returns that attestation with ``created=False``. Raises
    :class:`AttestationError`, recording nothing, when the reason or signature
    is blank or wrong, the person is inactive, HR is recording for
    themselves, or the policy has no version in force.
    """
    reason = (reason or "").strip()
    signature = " ".join((signature or "").split())
    problems: list[tuple[str | None, str]] = []
    policy = get_policy(slug) if slug else None
    version = version_in_force(policy) if policy else None
    if not slug:
        problems.append(("policy", gettext("Choose the policy they signed.")))
    elif policy is None:
        problems.append(("policy", gettext("There is no policy %(slug)r.", slug=slug)))
    elif version is None:
        problems.append((
            "policy",
            gettext(
                "The %(title)s has no version in force yet, so there is nothing to attest to.",
                title=policy.title,
            ),
        ))  # fmt: skip
    if not signature:
        problems.append(("signature", gettext("Type the signature as it is on the paper form.")))
    elif len(signature) > 200:
        problems.append(("signature", gettext("A signature is at most 200 characters.")))
    elif problem := signature_problem(staff, signature, on_behalf=True):
        problems.append(("signature", problem))
    # A form signed on an earlier day counts from noon (local) of that day (None: now).
    on_paper = signed_on if signed_on is not None and signed_on != local_today() else None
    if signed_on is not None and version is not None and policy is not None:
        what = gettext(
            "version %(number)s of the %(title)s", number=version.number, title=policy.title
        )
        if day_problem := paper_era.paper_day_problem(signed_on, version.effective_date, what):
            problems.append(("signed_on", day_problem))
    if not reason:
        problems.append((
            "reason",
            gettext(
                'Give the reason you are recording this for them, e.g. "signed paper form on '
                '3 May".'
            ),
        ))  # fmt: skip
    elif len(reason) > MAX_REASON:
        problems.append((
            "reason",
            gettext(
                "The reason is %(length)s characters long; keep it to %(most)s at most.",
                length=len(reason),
                most=MAX_REASON,
            ),
        ))  # fmt: skip
    elif text.problem(gettext("The reason"), reason, multiline=True):
        problems.append(
            ("reason", text.problem(gettext("The reason"), reason, multiline=True) or "")
        )
    if is_own(str(recorded_by), staff.id):
        problems.insert(0, (
            None,
            "You cannot record an attestation on your own behalf: sign it yourself on the "
            f"policy page, or {ANOTHER}",
        ))  # fmt: skip
    elif not staff.active:
        problems.insert(0, (
            None, f"{staff.full_name} is marked inactive, so nothing can be recorded for them."
        ))  # fmt: skip
    if problems:
        raise AttestationError(problems=problems)
    assert policy is not None and version is not None
    staff_id, version_id, text_sha256 = staff.id, version.id, version.text_sha256
    # Who and what, as they are now, read before the lock (the row hashes them).
    now_known = evidence.AtTheTime(staff.external_id, staff.full_name, policy.slug, version.number)
    attested_at, paper_day = paper_era.paper_time(on_paper) if on_paper else (None, "")
    on = f", signed on paper on {paper_day}" if on_paper else ""
    detail = f"{policy.title}, version {version.number}{on}: {reason}"
    if recorder_ip:
        detail += f" (recorded from {recorder_ip[:45]})"

    session = current_smattest.db.session
    title, number = policy.title, version.number
    head = _lock_unless_recorded(staff_id, policy.id, version_id)
    if isinstance(head, Attestation):
        return Recorded(head, False, head.id, title, number, head.chain_seq)
    now = utcnow()
    recorded_at = now if attested_at is not None else None
    row = Attestation(
        staff_id=staff_id,
        policy_version_id=version_id,
        attested_at=attested_at or now,
        recorded_at=recorded_at,
        signature=signature,
        method="on_behalf",
        reason=reason,
        recorded_by=str(recorded_by),
        text_sha256=text_sha256,
    )
    evidence.link(head, row, now_known)
    session.add(
        HREvent(
            actor=str(recorded_by),
            action="attestation.on_behalf",
            staff_id=staff_id,
            detail=detail,
        )
    )
    session.flush()
    row_id, receipt_number = row.id, row.chain_seq
    session.commit()
    send_after_commit(attestation_recorded, current_app_object(), attestation=row)
    return Recorded(row, True, row_id, title, number, receipt_number)


def _lock_unless_recorded(
    staff_id: int, policy_id: int, version_id: int
) -> ChainHead | Attestation:
    """The locked chain head to append to, or the attestation that already makes the person
    current on this version (then nothing is locked and the transaction is over).

    The person's standing is worked out before the lock, and one indexed lookup
    checks that no request of theirs (a second tab) recorded this version meanwhile.
    Nobody is current on a version they never signed: for a first signature
    (nearly every one) the standing is not worked out at all.
    """
    session = current_smattest.db.session
    latest_of_version = _latest_of_version(staff_id, version_id)  # built once, run twice
    # Read before the standing: an append committed in between is then either
    # seen by the standing (current) or missed by both and found under the lock.
    seen = session.scalar(latest_of_version)
    existing = None if seen is None else _standing_attestation(staff_id, policy_id, version_id)
    if existing is not None:
        session.commit()
        return existing
    # One request of this person's at a time (a second tab waits, then finds the first's row
    # below): their row's lock, so that the chain's covers the append only (SQLite: the chain's).
    head = evidence.lock_chain() if evidence.single_writer() else None
    if head is None:
        session.commit()  # what follows sees concurrent appends (MariaDB's snapshot too)
        session.execute(sa.select(Staff.id).where(Staff.id == staff_id).with_for_update())
    latest = session.scalar(latest_of_version)
    if latest != seen and latest is not None:
        session.commit()  # releases the person
        found = session.get(Attestation, latest)
        assert found is not None  # its id was read just now, and evidence is never deleted
        return found
    return head or evidence.lock_chain(fresh=False)


def _of_submission(staff_id: int, submission: str | None) -> Attestation | None:
    """The person's attestation recorded from the signing form ``submission``, if any."""
    if submission is None:
        return None
    return current_smattest.db.session.scalar(
        sa.select(Attestation).where(
            Attestation.staff_id == staff_id,
            Attestation.submission == submission,
            in_chain(Attestation.chain_seq),
        )
    )


def _latest_of_version(staff_id: int, version_id: int) -> sa.Select[int]:
    """The id of the person's latest attestation of one version (one index lookup)."""
    return sa.select(sa.func.max(Attestation.id)).where(
        Attestation.staff_id == staff_id,
        Attestation.policy_version_id == version_id,
        in_chain(Attestation.chain_seq),
    )


def _standing_attestation(staff_id: int, policy_id: int, version_id: int) -> Attestation | None:
    """The person's attestation of this version, if it already makes them current."""
    session = current_smattest.db.session
    staff = session.get(Staff, staff_id)
    assert staff is not None  # the caller holds this person's row
    standing = compliance.standing(staff, POLICY, policy_id)
    # Outside the policy's audience nothing falls due again: one signature of a
    # version stands for good (a second one would be a second receipt, a second mail).
    if standing is not None and standing.status != compliance.CURRENT:
        return None
    return session.scalar(
        sa.select(Attestation)
        .where(
            Attestation.staff_id == staff_id,
            Attestation.policy_version_id == version_id,
            in_chain(Attestation.chain_seq),
        )
        .order_by(Attestation.attested_at.desc())
        .limit(1)
    )
