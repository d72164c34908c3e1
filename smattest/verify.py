"""Check smattest's evidence export offline, with the Python standard library alone.

    python -m smattest.verify EVIDENCE.csv [--checkpoint LINE_OR_FILE ...]

This one file is also the definition of the evidence hash format (see
docs/evidence.md): smattest hashes every row it records with the functions
below, and the file runs on its own when copied out of the package
(``python verify.py EVIDENCE.csv``): it imports nothing but the standard
library. Exit 0 and one summary line when the chain in the file is whole and
passes through every checkpoint given; 1 and the first broken row otherwise;
2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: Format 1 (rows recorded before migration 0003_evidence): the fields hashed, per kind.
FORMAT_1_FIELDS = {
    "attestation": (
        "chain_seq", "staff_id", "policy_version_id", "attested_at", "signature", "method",
        "reason", "recorded_by", "ip_address", "user_agent", "text_sha256",
    ),
    "training_completion": (
        "chain_seq", "staff_id", "course_version_id", "quiz_attempt_id", "completed_at",
        "score", "method", "reason", "recorded_by", "content_sha256",
    ),
    # A change of a person's employee id (HR's relink): hashed in this form only.
    "identity_link": (
        "chain_seq", "staff_id", "old_external_id", "new_external_id", "reason",
        "recorded_by", "linked_at",
    ),
}  # fmt: skip
#: Format 2: every kind hashes these keys (null where a kind has no such field).
FORMAT_2_FIELDS = (
    "format", "kind", "seq", "prev_hash", "at", "staff_id", "employee_id",
    "full_name_sha256", "requirement_kind", "requirement_id", "requirement_slug",
    "version_id", "version_number", "content_sha256", "method", "score", "quiz_attempt_id",
    "recorded_by", "signature_sha256", "reason_sha256", "ip_address_sha256",
    "user_agent_sha256", "exemption_id", "until",
)  # fmt: skip
#: Format 3 (exemption ends since migration 0011): format 2's keys, and the chain position
#: and record hash of the grant the end ends.
FORMAT_3_FIELDS = (*FORMAT_2_FIELDS, "grant_seq", "grant_hash")
#: Personal fields of format 2: hashed through a salted digest kept beside each, so the
#: field and its salt can be erased later and the row still verifies.
PERSONAL = ("full_name", "signature", "reason", "ip_address", "user_agent")
#: Format 2 kinds.
KINDS = ("attestation", "training_completion", "exemption_grant", "exemption_end")
#: The export's columns (and format-1 fields) that hold whole numbers.
INTEGERS = {"seq", "record_id", "version", "chain_seq", "staff_id", "policy_version_id",
            "course_version_id", "quiz_attempt_id", "score", "requirement_id", "version_id",
            "version_number", "exemption_id", "format", "grant_seq"}  # fmt: skip
#: The checkpoint form: in a checkpoint line, a receipt, or an email that quotes either.
CHECKPOINT = re.compile(r"position=(\d+)\s+hash=([0-9a-f]{64})")
CHAIN_HEAD = "chain_head"
#: The export's columns every row needs (format-2 rows need their own too, see row_hash).
COLUMNS = (
    "seq", "kind", "record_id", "staff_id", "version_id", "at_utc", "method", "signature",
    "score", "quiz_attempt_id", "reason", "recorded_by", "ip_address", "user_agent", "sha256",
    "prev_hash", "record_hash",
)  # fmt: skip


def utc_text(moment: dt.datetime) -> str:
    """A time as hashed: UTC, ISO 8601 with microseconds, e.g. 2026-03-02T10:00:00.000000+00:00."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sha256_json(payload: Mapping[str, Any]) -> str:
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def format_1_hash(kind: str, fields: Mapping[str, Any], prev_hash: str) -> str:
    """The record hash of a format-1 row: SHA-256 of its fields as canonical JSON."""
    payload = {name: _canonical(fields[name]) for name in FORMAT_1_FIELDS[kind]}
    payload["kind"] = f"smattest_{kind}"
    payload["prev_hash"] = prev_hash
    return _sha256_json(payload)


def present(value: Any) -> bool:
    """A personal field holds a value (None and "" both mean absent or erased)."""
    return value is not None and value != ""


def field_digest(salt: str, value: str) -> str:
    """The salted digest of a personal field: SHA-256 of the salt then the value, UTF-8."""
    return hashlib.sha256((salt + value).encode("utf-8")).hexdigest()


def personal_digest(value: Any, salt: Any, stored: Any) -> str | None:
    """The digest a format-2 row hash covers for one personal field.

    While the field holds a value it is recomputed from the value and its salt
    (a missing salt makes it "unsalted:..." so the row fails); once the field
    is erased, the digest stored beside it stands in for it.
    """
    if present(value):
        return field_digest(salt, value) if present(salt) else f"unsalted:{value}"
    return stored or None


def format_2_hash(fields: Mapping[str, Any]) -> str:
    """The record hash of a format-2 or -3 row from its fields (``FORMAT_2_FIELDS`` or
    ``FORMAT_3_FIELDS``, where ``<field>_sha256`` of a personal field is from
    :func:`personal_digest`)."""
    names = FORMAT_3_FIELDS if fields.get("format") == 3 else FORMAT_2_FIELDS
    return _sha256_json({name: _canonical(fields.get(name)) for name in names})


# --- The export file ---------------------------------------------------------------------


class Unreadable(ValueError):
    """The export or a checkpoint file cannot be read; the message says which, and where."""


def _cell(text: str, name: str) -> Any:
    """A CSV cell as stored: empty is None, one leading quote removed, integers parsed."""
    if text == "":
        return None
    if text.startswith("'"):
        text = text[1:]
    if name in INTEGERS:
        if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 30):
            shown = text if len(text) <= 30 else text[:29] + "…"
            raise ValueError(f"column {name}: {shown!r} is not a whole number")
        return int(text)
    return text


def read_rows(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The export's rows as dicts of stored values, with their line numbers."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        line = 1
        try:
            missing = [name for name in COLUMNS if name not in (reader.fieldnames or ())]
            if missing:
                raise Unreadable(
                    f"{path}, line 1: the header has no column {', '.join(missing)}: "
                    "is this smattest's evidence export?"
                )
            for row in reader:
                line = reader.line_num
                try:
                    cells = {name: _cell(text or "", name) for name, text in row.items()}
                except ValueError as error:
                    raise Unreadable(f"{path}, line {line}: {error}.") from None
                yield line, cells
        except csv.Error as error:
            raise Unreadable(f"{path}, line {line + 1}: not valid CSV ({error}).") from None
        except UnicodeDecodeError:
            raise Unreadable(f"{path}, after line {line}: not UTF-8 text.") from None


def row_hash(row: Mapping[str, Any]) -> str:
    """The record hash a row of the export must carry."""
    version = row.get("format") or 1
    kind = row["kind"]
    if kind == "id_change":
        fields = {
            "chain_seq": row["seq"], "staff_id": row["staff_id"],
            "old_external_id": row["old_employee_id"], "new_external_id": row["new_employee_id"],
            "reason": row["reason"], "recorded_by": row["recorded_by"], "linked_at": row["at_utc"],
        }  # fmt: skip
        return format_1_hash("identity_link", fields, row["prev_hash"] or "")
    if version == 1:
        fields = {
            "chain_seq": row["seq"], "staff_id": row["staff_id"], "method": row["method"],
            "reason": row["reason"], "recorded_by": row["recorded_by"],
        }  # fmt: skip
        if kind == "attestation":
            fields.update(
                policy_version_id=row["version_id"], attested_at=row["at_utc"],
                signature=row["signature"], ip_address=row["ip_address"],
                user_agent=row["user_agent"], text_sha256=row["sha256"],
            )  # fmt: skip
        else:
            fields.update(
                course_version_id=row["version_id"], quiz_attempt_id=row["quiz_attempt_id"],
                completed_at=row["at_utc"], score=row["score"], content_sha256=row["sha256"],
            )  # fmt: skip
        return format_1_hash(kind, fields, row["prev_hash"] or "")
    fields = {
        "format": version, "kind": kind, "seq": row["seq"], "prev_hash": row["prev_hash"] or "",
        "at": row["at_utc"], "staff_id": row["staff_id"], "employee_id": row["employee_id"],
        "requirement_kind": row["requirement_kind"], "requirement_id": row["requirement_id"],
        "requirement_slug": row["requirement_slug"], "version_id": row["version_id"],
        "version_number": row["version"], "content_sha256": row["sha256"],
        "method": row["method"], "score": row["score"],
        "quiz_attempt_id": row["quiz_attempt_id"], "recorded_by": row["recorded_by"],
        "exemption_id": row["exemption_id"], "until": row["until"],
        "grant_seq": row.get("grant_seq"), "grant_hash": row.get("grant_hash"),
    }  # fmt: skip
    for name in PERSONAL:
        fields[f"{name}_sha256"] = personal_digest(
            row[name], row[f"{name}_salt"], row[f"{name}_sha256"]
        )
    return format_2_hash(fields)


def parse_checkpoints(texts: Iterable[str]) -> list[tuple[int, str]]:
    """Every ``position=N hash=H`` in the given texts (lines, receipts, saved emails)."""
    found: list[tuple[int, str]] = []
    for text in texts:
        found += [(int(p), h) for p, h in CHECKPOINT.findall(text)]
    return found


def checkpoint_texts(arguments: Iterable[str]) -> list[str]:
    """Each ``--checkpoint`` argument: a file's text when it names a file, else itself."""
    texts = []
    for argument in arguments:
        if CHECKPOINT.search(argument):
            texts.append(argument)
            continue
        try:
            with open(argument, encoding="utf-8", errors="replace") as handle:
                texts.append(handle.read())
        except OSError as error:
            raise Unreadable(
                f"cannot read the checkpoint file {argument}: {error.strerror or error}; "
                "give a file of checkpoints or a line 'position=N hash=H'."
            ) from None
    return texts


def check_file(path: str, checkpoints: Iterable[tuple[int, str]] = ()) -> tuple[bool, str]:
    """Check an evidence export: (True, summary) or (False, the first problem)."""
    wanted = dict(checkpoints)
    seen: dict[int, str] = {}
    expected, previous, head = 1, "", None
    for line, row in read_rows(path):
        if row["kind"] == CHAIN_HEAD:
            head = (line, row["seq"], row["record_hash"] or "")
            continue
        where = f"line {line} ({row['kind']} #{row['record_id']} at position {row['seq']})"
        if head is not None:
            return False, f"{where}: a row after the chain_head row."
        if row["seq"] != expected:
            return False, f"{where}: expected position {expected}; a row is missing or moved."
        if (row["prev_hash"] or "") != previous:
            return False, f"{where}: does not link to the row before it."
        try:
            digest = row_hash(row)
        except KeyError as error:
            raise Unreadable(
                f"{path}, {where}: the header has no column {error.args[0]}, which a "
                f"format-{row.get('format') or 1} {row['kind']} row needs."
            ) from None
        if digest != row["record_hash"]:
            return False, f"{where}: its contents no longer match its record hash."
        seen[row["seq"]] = previous = row["record_hash"]
        expected += 1
    if head is None:
        return False, "the file has no chain_head row: it is cut short."
    if (head[1], head[2]) != (expected - 1, previous):
        return False, (
            f"line {head[0]}: the chain_head row records position {head[1]}, "
            f"but the rows end at position {expected - 1}."
        )
    for position, digest in sorted(wanted.items()):
        if position > expected - 1:
            return False, f"checkpoint position={position}: past the end of the file's chain."
        if seen[position] != digest:
            return False, (
                f"checkpoint position={position} hash={digest}: the file's row at that position "
                f"has hash {seen[position]}: the chain was rewritten since the checkpoint."
            )
    note = f", through {len(wanted)} checkpoints" if wanted else ""
    return True, f"OK: {expected - 1} evidence rows, head {previous or '(empty chain)'}{note}"


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m smattest.verify EVIDENCE.csv [--checkpoint ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m smattest.verify",
        description="Check a smattest evidence export (CSV) offline: every row's hash, the "
        "links between rows, the head, and any checkpoints you kept.",
    )
    parser.add_argument("export", help="the evidence CSV (HR's download or 'report evidence')")
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="LINE_OR_FILE",
        help="a checkpoint line, receipt, or a file of them (saved emails); repeatable",
    )
    args = parser.parse_args(argv)
    try:
        checkpoints = parse_checkpoints(checkpoint_texts(args.checkpoint))
        if args.checkpoint and not checkpoints:
            print("FAILED: no 'position=N hash=H' found in the checkpoints given.")
            return 1
        ok, message = check_file(args.export, checkpoints)
    except Unreadable as error:
        print(error, file=sys.stderr)
        return 2
    except (OSError, KeyError, ValueError, csv.Error) as error:
        print(f"cannot read the evidence file: {error}", file=sys.stderr)
        return 2
    print(message if ok else f"FAILED: {message}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
