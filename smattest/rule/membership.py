"""Who belongs to an audience: roster groups and the audience rule, without a database.

A person's *groups* are labels from the roster (``caseworker;supervisor``),
trimmed and compared ignoring case; smattest keeps them in lower case, sorted,
joined by ``;``. An *audience* says who owes a policy or a course: everyone
(the default), or anyone in any of the given departments and/or groups,
optionally minus anyone in given groups.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..i18n import gettext

#: Between group labels, in the roster and in the staff table.
SEPARATOR = ";"


def parse_groups(value: Any) -> tuple[str, ...]:
    """Group labels from text (``"a; B"``) or a list: trimmed, lower case, sorted, unique.

    Raises ValueError for anything else (a number, a dict).
    """
    if value is None:
        return ()
    if isinstance(value, str):
        parts: Iterable[Any] = value.split(SEPARATOR)
    elif isinstance(value, (list, tuple, set, frozenset)):
        parts = value
    else:
        raise ValueError(f"groups must be text or a list of text, not {type(value).__name__}")
    labels = set()
    for part in parts:
        if not isinstance(part, str):
            raise ValueError(f"a group must be text, not {type(part).__name__} {part!r}")
        label = " ".join(part.split()).casefold()
        if SEPARATOR in label:
            raise ValueError(f"a group label cannot contain {SEPARATOR!r}: {label!r}")
        if label:
            labels.add(label)
    return tuple(sorted(labels))


def join_groups(labels: Iterable[str]) -> str | None:
    """Labels as the staff table keeps them; None for no group."""
    text = SEPARATOR.join(sorted(set(labels)))
    return text or None


def split_groups(stored: str | None) -> tuple[str, ...]:
    """The labels of a staff row's ``groups``."""
    return tuple(label for label in (stored or "").split(SEPARATOR) if label)


@dataclass(frozen=True)
class Audience:
    """Who owes a requirement: everyone, or departments and/or groups, minus groups.

    Departments are compared ignoring case, like groups.
    """

    departments: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    except_groups: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        """Whether nobody is left out (no department, group or exception given)."""
        return not (self.departments or self.groups or self.except_groups)

    def includes(self, department: str | None, groups: Iterable[str]) -> bool:
        """Whether a person in ``department`` with ``groups`` belongs to the audience."""
        mine = {g.casefold() for g in groups}
        if mine & {g.casefold() for g in self.except_groups}:
            return False
        if not (self.departments or self.groups):
            return True
        wanted = {d.casefold() for d in self.departments}
        in_department = department is not None and department.casefold() in wanted
        return in_department or bool(mine & {g.casefold() for g in self.groups})

    def describe(self) -> str:
        """The audience in words, as pages and commands show it."""
        if self.everyone:
            return gettext("everyone")
        parts = []
        if self.departments:
            parts.append(gettext("departments %(names)s", names=", ".join(self.departments)))
        if self.groups:
            parts.append(gettext("groups %(names)s", names=", ".join(self.groups)))
        text = gettext(" or ").join(parts) if parts else gettext("everyone")
        if self.except_groups:
            text = gettext(
                "%(audience)s except groups %(names)s",
                audience=text,
                names=", ".join(self.except_groups),
            )
        return text

    def to_json(self) -> str:
        """The audience as stored (and as recorded in HR's event log)."""
        return json.dumps(
            {
                "departments": list(self.departments),
                "groups": list(self.groups),
                "except_groups": list(self.except_groups),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> Audience:
        """The audience stored by :meth:`to_json`; everyone for None."""
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            tuple(data.get("departments", ())),
            tuple(data.get("groups", ())),
            tuple(data.get("except_groups", ())),
        )


EVERYONE = Audience()


#: A dated audience: from ``since`` on (None: from the start).
DatedAudience = tuple[dt.date | None, Audience]
#: A dated placement: (since or None, department, stored groups).
DatedPlacement = tuple[dt.date | None, str | None, str | None]


def entry(
    audiences: Sequence[DatedAudience],
    placements: Sequence[DatedPlacement],
    today: dt.date,
) -> tuple[bool, dt.date | None]:
    """Whether a person belongs to an audience on ``today``, and since when.

    ``audiences`` and ``placements`` are histories in any order; what applies
    before the first of each is everyone, and the person's first placement.
    The date is None when they belonged from the start, else the first day of
    their latest stretch inside the audience (a transfer, a new group, a wider
    audience).
    """
    rules = sorted(
        ((since or dt.date.min, n, rule) for n, (since, rule) in enumerate(audiences)
         if since is None or since <= today),
        key=lambda item: (item[0], item[1]),
    )  # fmt: skip
    places = sorted(
        ((since or dt.date.min, n, department, groups)
         for n, (since, department, groups) in enumerate(placements)
         if since is None or since <= today),
        key=lambda item: (item[0], item[1]),
    )  # fmt: skip
    days = sorted({r[0] for r in rules} | {p[0] for p in places})
    audience = EVERYONE
    department, groups = (places[0][2], places[0][3]) if places else (None, None)
    inside = audience.includes(department, split_groups(groups))
    entered: dt.date | None = None
    a = p = 0
    for day in days:
        while a < len(rules) and rules[a][0] <= day:
            audience = rules[a][2]
            a += 1
        while p < len(places) and places[p][0] <= day:
            department, groups = places[p][2], places[p][3]
            p += 1
        now_inside = audience.includes(department, split_groups(groups))
        if now_inside and not inside and day != dt.date.min:
            entered = day
        inside = now_inside
    return inside, entered if inside else None
