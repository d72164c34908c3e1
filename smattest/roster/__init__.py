"""The staff roster: check a CSV file (or the host's records), plan, then apply.

A roster file is CSV in UTF-8 (with or without a byte order mark), one person
per row, with a header naming its columns in any order::

    employee_id,email,full_name,department,manager_email,hire_date,groups,active
    1001,ada@agency.example,Ada Lovelace,Adult Services,mo@agency.example,2021-03-15,caseworker,yes

``employee_id`` (the host user's id), ``email`` and ``full_name`` are
required; the other columns may be left out, and then leave those fields of
existing people as they are. An empty cell clears the field, except ``active``:
empty (or no column) means active. ``hire_date`` is YYYY-MM-DD; ``active``
is true/false, yes/no or 1/0. ``groups`` holds labels separated by ``;``
(``caseworker;supervisor``), trimmed and compared ignoring case (kept in lower
case); the host's records may give a list instead.

Every row is checked before anything changes, and every problem is reported
with its line; one problem and nothing is imported. A *full* import makes the
staff table match the file: people missing from it are deactivated (never
deleted) and people back in it are reactivated. A *partial* import only adds
and updates. The plan (:func:`plan_csv`, :func:`plan_sync`) says who is new,
updated, deactivated, reactivated and unchanged; :func:`apply` carries it out
in one transaction with set-based statements.

Reading and checking a file live in :mod:`smattest.roster.reading`; planning
and applying in :mod:`smattest.roster.planning`. This module only re-exports.
"""

from .planning import CHUNK, SYNC_SOURCE, Change, Plan, apply, describe, plan, plan_csv, plan_sync
from .reading import (
    COLUMNS,
    FIELDS,
    MAX_LENGTH,
    REQUIRED,
    Parsed,
    Progress,
    RosterError,
    Row,
    no_progress,
    parse_csv,
    parse_records,
)

__all__ = [
    "CHUNK",
    "COLUMNS",
    "FIELDS",
    "MAX_LENGTH",
    "REQUIRED",
    "SYNC_SOURCE",
    "Change",
    "Parsed",
    "Plan",
    "Progress",
    "RosterError",
    "Row",
    "apply",
    "describe",
    "no_progress",
    "parse_csv",
    "parse_records",
    "plan",
    "plan_csv",
    "plan_sync",
]
