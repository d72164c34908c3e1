"""What a person signs, and why a signature is refused, in the reader's words.

The sentence a person ticks (:func:`statement`), how names are compared
(:func:`normalise_name`), and the refusals :func:`smattest.attest.attest` and
:func:`smattest.attest.attest_on_behalf` give: a version no longer (or not yet) in
force, a signature that is not the name on record. Every sentence goes through
smattest's gettext domain, so the person reads it in their language.
"""

from __future__ import annotations

import unicodedata

import smattest.text as text

from ..i18n import format_date, gettext
from ..models import Policy, PolicyVersion, Staff
from ..people.identity import has_name


def normalise_name(name: str) -> str:
    """A name as signatures are compared: ignoring case, extra spaces and diacritics.

    "lucia  ramirez" matches "Lucía Ramírez": the accents (combining marks
    after canonical decomposition) are dropped, nothing else is. Letters of
    another script that look alike, zero-width characters and compatibility
    forms (full-width letters) still differ, so a signature stays the name.
    """
    decomposed = unicodedata.normalize("NFD", " ".join(name.split()))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", bare).casefold()


def statement(policy: Policy, version: PolicyVersion) -> str:
    """The sentence a person signs, in their language."""
    return gettext(
        "I have read and understood version %(number)s of the %(title)s "
        "and I agree to comply with it.",
        number=version.number,
        title=policy.title,
    )


def not_in_force(policy: Policy, in_force: PolicyVersion, number: int) -> str:
    """Why version ``number`` cannot be signed: replaced, scheduled, or never published."""
    then = gettext(
        "Nothing was recorded: please read version %(number)s, then sign.",
        number=in_force.number,
    )
    if number < in_force.number:
        return gettext(
            "Version %(number)s of the %(title)s is no longer current: "
            "version %(current)s replaced it. %(then)s",
            number=number,
            title=policy.title,
            current=in_force.number,
            then=then,
        )
    scheduled = next((v for v in policy.versions if v.number == number), None)
    if scheduled is None:
        return gettext(
            "The %(title)s has no version %(number)s. %(then)s",
            title=policy.title,
            number=number,
            then=then,
        )
    return gettext(
        "Version %(number)s of the %(title)s is scheduled: it takes effect on %(day)s. "
        "Until then version %(current)s is the one in force. %(then)s",
        number=number,
        title=policy.title,
        day=format_date(scheduled.effective_date),
        current=in_force.number,
        then=then,
    )


def signature_problem(staff: Staff, signature: str, *, on_behalf: bool) -> str | None:
    """What is wrong with a signature, or None: it must be the name on record; with none on
    record, a name (never an email); never with marks that disguise it (smattest.text).
    Said to the person, or to HR ``on_behalf`` of them."""
    hidden = text.signature_problem(gettext("The signature"), signature)
    if hidden:
        return hidden
    if has_name(staff):
        if normalise_name(signature) == normalise_name(staff.full_name):
            return None
        if on_behalf:
            return gettext(
                "The signature must be the person's full name as HR has it: %(name)s. "
                "Check the paper form belongs to this person.",
                name=staff.full_name,
            )
        return gettext(
            "The signature must be your full name as HR has it: %(name)s. Nothing was recorded.",
            name=staff.full_name,
        )
    if "@" in signature or len(normalise_name(signature)) < 2:
        if on_behalf:
            return gettext(
                "Type the person's full name to sign, not an email address or initial. "
                "Check the paper form belongs to this person."
            )
        return gettext(
            "Type your full name to sign, not an email address or initial. Nothing was recorded."
        )
    return None
