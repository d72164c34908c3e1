"""Check smattest's evidence offline, with the Python standard library alone.

    python -m smattest.verify EVIDENCE.csv [--checkpoint LINE_OR_FILE ...]
    python -m smattest.verify PROOF.json --checkpoint LINE_OR_FILE
    python -m smattest.verify --checkpoint OLD --checkpoint NEW --consistency PROOF

The first checks a whole evidence export; the second one receipt's inclusion
proof (``/compliance/receipts/<number>/proof.json``) against a checkpoint's
Merkle root, without anyone else's rows; the third that a newer checkpoint's
tree extends an older one's (the consistency proof ``audit checkpoint`` prints
and emails).

This one file is also the definition of the evidence hash format and of the
Merkle tree over it (RFC 9162 section 2.1; see docs/evidence.md): smattest
hashes every row it records with the functions below, and the file runs on
its own when copied out of the package (``python verify.py EVIDENCE.csv``): it
imports nothing but the standard library. Exit 0 and one summary line when
what was given checks out; 1 and the first problem otherwise; 2 when a file
cannot be read.
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
#: Format 3: format 2's keys and ``recorded_at``, for a row recorded after the day it is
#: about (a paper form HR entered later): when it was recorded is hashed too.
FORMAT_3_FIELDS = (*FORMAT_2_FIELDS, "recorded_at")
#: Format 4 (exemption ends since migration 0011): format 2's keys, and the chain position
#: and record hash of the grant the end ends.
FORMAT_4_FIELDS = (*FORMAT_2_FIELDS, "grant_seq", "grant_hash")
#: Format 5 (kind ``version_record``, since migration 0015): a version in force before
#: smattest, recorded after the fact: when (``at``) and by whom it was recorded, what it is
#: (its requirement, id, number and the SHA-256 of its text or content as stored), the day
#: (policy) or moment (course) it took effect, and its source.
FORMAT_5_FIELDS = (
    "format", "kind", "seq", "prev_hash", "at", "recorded_by", "requirement_kind",
    "requirement_id", "version_id", "version_number", "content_sha256", "effective", "source",
)  # fmt: skip
#: Format 6 (since migration 0017): format 3's keys and ``language``. An attestation signed
#: in a language records it, with the SHA-256 of the text shown (``content_sha256``); a
#: translation of a policy version (kind ``translation``) is a chain row of its own: when
#: and by whom it was added, the version, the language and the SHA-256 of its text.
FORMAT_6_FIELDS = (*FORMAT_3_FIELDS, "language")
#: Personal fields of format 2: hashed through a salted digest kept beside each, so the
#: field and its salt can be erased later and the row still verifies.
PERSONAL = ("full_name", "signature", "reason", "ip_address", "user_agent")
#: Format 2 kinds.
KINDS = ("attestation", "training_completion", "exemption_grant", "exemption_end")
#: The export's columns (and format-1 fields) that hold whole numbers.
INTEGERS = {"seq", "record_id", "version", "chain_seq", "staff_id", "policy_version_id",
            "course_version_id", "quiz_attempt_id", "score", "requirement_id", "version_id",
            "version_number", "exemption_id", "format", "grant_seq"}  # fmt: skip
#: The kind of a translation's row (format 6).
TRANSLATION = "translation"
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


def canonical(value: Any) -> Any:
    """A value as hashed: times as :func:`utc_text`, days as ISO 8601, the rest as is."""
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
    payload = {name: canonical(fields[name]) for name in FORMAT_1_FIELDS[kind]}
    payload["kind"] = f"smattest_{kind}"
    payload["prev_hash"] = prev_hash
    return _sha256_json(payload)


def sha256_text(text: str) -> str:
    """The SHA-256 of a text (a policy version's or a translation's Markdown), UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    """The record hash of a format-2 to -6 row from its fields (``FORMAT_2_FIELDS`` ...
    ``FORMAT_6_FIELDS``, where ``<field>_sha256`` of a personal field is from
    :func:`personal_digest`)."""
    names = {3: FORMAT_3_FIELDS, 4: FORMAT_4_FIELDS, 5: FORMAT_5_FIELDS, 6: FORMAT_6_FIELDS}.get(
        fields.get("format") or 2, FORMAT_2_FIELDS
    )
    return _sha256_json({name: canonical(fields.get(name)) for name in names})


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
    if kind == "version_record":
        return format_2_hash({
            "format": version, "kind": kind, "seq": row["seq"], "prev_hash": row["prev_hash"] or "",
            "at": row["at_utc"], "recorded_by": row["recorded_by"],
            "requirement_kind": row["requirement_kind"], "requirement_id": row["requirement_id"],
            "version_id": row["version_id"], "version_number": row["version"],
            "content_sha256": row["sha256"], "effective": row["version_effective"],
            "source": row["version_historical_source"],
        })  # fmt: skip
    if kind == TRANSLATION:  # the text itself is in the file: hashed here, not trusted
        text = row.get("text")
        content = row["sha256"] if text is None else sha256_text(text)
        return format_2_hash({
            "format": version, "kind": kind, "seq": row["seq"], "prev_hash": row["prev_hash"] or "",
            "at": row["at_utc"], "recorded_by": row["recorded_by"], "requirement_kind": "policy",
            "requirement_id": row["requirement_id"], "version_id": row["version_id"],
            "version_number": row["version"], "content_sha256": content,
            "language": row["language"],
        })  # fmt: skip
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
        "recorded_at": row.get("recorded_at_utc"),
        "grant_seq": row.get("grant_seq"), "grant_hash": row.get("grant_hash"),
        "language": row.get("language"),
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


# --- The Merkle tree over the chain (RFC 9162 section 2.1) ------------------------------
#
# Leaf i (0-based) is the record hash of chain position i + 1, as its 32 bytes. A v2
# checkpoint carries the tree's root (MTH) over positions 1..N; a receipt's proof is the
# audit path from its leaf to that root, and two checkpoints are tied by a consistency
# proof. Only verification lives here; smattest.evidence.proofs builds the proofs.

#: A v2 checkpoint: the head's position and hash, and the Merkle root over 1..position.
CHECKPOINT_ROOT = re.compile(r"position=(\d+)\s+hash=([0-9a-f]{64})\s+root=([0-9a-f]{64})")
#: A consistency proof between the trees of two checkpoints, as ``audit checkpoint`` prints it.
#: (An email may wrap the path after its commas: an SMTP line holds 998 characters.)
CONSISTENCY = re.compile(
    r"smattest-consistency v1 from=(\d+) to=(\d+) path=((?:[0-9a-f]{64}(?:,\s*(?=[0-9a-f]))?)*)"
)
#: The ``proof`` member of a receipt's proof.json.
INCLUSION_PROOF = "smattest-inclusion-proof v1"


class ProofError(ValueError):
    """A proof that does not check out, with what is wrong in words."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256 of 0x00 then the leaf's bytes."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node: SHA-256 of 0x01, the left child, the right child."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def record_leaf(record_hash: str) -> bytes:
    """The leaf hash of an evidence row, from its hex record hash."""
    if not re.fullmatch(r"[0-9a-f]{64}", record_hash or ""):
        raise ProofError(f"a record hash is 64 hex digits, not {record_hash!r}")
    return leaf_hash(bytes.fromhex(record_hash))


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """The root an audit path leads to from leaf ``index`` of a tree of ``size``
    (RFC 9162 section 2.1.3.2); raises :class:`ProofError` when the path cannot fit."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    if len(leaf) != 32 or any(len(p) != 32 for p in path):
        raise ProofError("a leaf and every hash of an audit path are 32 bytes")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("the audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the audit path is shorter than the tree is deep")
    return r


def consistent(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]) -> None:
    """Check that the tree of ``size2`` leaves with ``root2`` extends the tree of
    ``size1`` with ``root1`` (RFC 9162 section 2.1.4.2); raises :class:`ProofError`."""
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof runs from a tree of {size1} to one of {size2}")
    if size1 == size2:
        if proof or root1 != root2:
            raise ProofError("the two checkpoints have the same position but different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    if size1 & (size1 - 1) == 0:  # an exact power of two: its root is a node of the new tree
        proof = [root1, *proof]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the tree is deep")
    if fr != root1:
        raise ProofError(
            f"the proof does not lead to the older checkpoint's root: the first {size1} rows "
            "are not the rows that checkpoint was taken over (the chain was rewritten)"
        )
    if sr != root2:
        raise ProofError("the proof does not lead to the newer checkpoint's root")


def consistency_line(size1: int, size2: int, proof: list[bytes]) -> str:
    """A consistency proof as one line of text (what :data:`CONSISTENCY` reads)."""
    path = ",".join(h.hex() for h in proof)
    return f"smattest-consistency v1 from={size1} to={size2} path={path}"


def _hashes(text: str, what: str) -> list[bytes]:
    found = [h.strip() for h in text.split(",") if h.strip()]
    if not all(re.fullmatch(r"[0-9a-f]{64}", h) for h in found):
        raise ProofError(f"{what} holds something other than 64-hex-digit hashes")
    return [bytes.fromhex(h) for h in found]


def parse_roots(texts: Iterable[str]) -> list[tuple[int, str, str]]:
    """Every v2 ``position=N hash=H root=R`` in the texts given."""
    found: list[tuple[int, str, str]] = []
    for text in texts:
        found += [(int(p), h, r) for p, h, r in CHECKPOINT_ROOT.findall(text)]
    return found


def check_proof(proof: Mapping[str, Any], checkpoints: list[str]) -> str:
    """Check a receipt's proof.json (already parsed) against the checkpoint texts given;
    the summary line when it holds, else :class:`ProofError` saying what failed.

    The row's fields hash to its record hash, the record hash is the leaf, and the
    audit path leads from the leaf to the root of a checkpoint given (or, with none
    given, to the root of the checkpoint the proof names itself, which the summary
    says is only as good as that line).
    """
    if proof.get("proof") != INCLUSION_PROOF:
        raise ProofError(f"this is not a smattest inclusion proof ('proof': {INCLUSION_PROOF!r})")
    row, size = proof["row"], proof["tree_size"]
    computed = row_hash(row)
    if computed != row["record_hash"]:
        raise ProofError(
            f"the row's fields hash to {computed}, not to its record hash "
            f"{row['record_hash']}: the row was changed"
        )
    leaf = record_leaf(row["record_hash"])
    if leaf.hex() != proof["leaf"]:
        raise ProofError("the leaf given is not the leaf hash of the row's record hash")
    index = row["seq"] - 1
    if index != proof["leaf_index"]:
        raise ProofError(f"the row is at position {row['seq']}, not leaf {proof['leaf_index']} + 1")
    reached = root_from_inclusion(index, size, leaf, _hashes(",".join(proof["audit_path"]),
                                                                "the audit path"))  # fmt: skip
    if checkpoints:
        roots = {p: r for p, _, r in parse_roots(checkpoints)}
        if not roots:
            raise ProofError(
                "no 'position=N hash=H root=R' among the checkpoints given: a v1 checkpoint "
                "has no Merkle root to check a proof against"
            )
        if size not in roots:
            raise ProofError(
                f"the proof is for the checkpoint at position {size}, and no checkpoint given "
                f"is at that position ({', '.join(map(str, sorted(roots)))}): fetch the proof "
                "again, or give the checkpoint line of that day"
            )
        against, source = roots[size], "the checkpoint given"
    else:
        found = parse_roots([proof.get("checkpoint", "")])
        if not found or found[0][0] != size:
            raise ProofError("the proof names no v2 checkpoint of its tree size")
        against, source = found[0][2], "only the checkpoint inside the proof file"
    if reached.hex() != against:
        raise ProofError(
            f"the audit path leads to root {reached.hex()}, not to the checkpoint's root "
            f"{against}: the row, its place or the chain before the checkpoint was changed"
        )
    what = f"{row['kind'].replace('_', ' ')} of {row.get('requirement_slug') or '-'}"
    if row.get("version") is not None:
        what += f" version {row['version']}"
    note = "" if checkpoints else (
        ": compare that line with the one the auditors kept, or give it as --checkpoint"
    )  # fmt: skip
    return (
        f"OK: receipt {row['seq']} ({what}, {row.get('employee_id') or '-'}, "
        f"at {row['at_utc']}) is in the evidence tree of {size} rows with root {against}, "
        f"checked against {source}{note}"
    )


def check_consistency(checkpoints: list[str], proof_text: str) -> str:
    """Check that the newer of two v2 checkpoints extends the older; the summary line, or
    :class:`ProofError`."""
    roots = sorted(set(parse_roots(checkpoints)))
    if len(roots) != 2:
        raise ProofError(
            f"a consistency check takes two v2 checkpoints ('position=N hash=H root=R'); "
            f"{len(roots)} given"
        )
    (size1, _, root1), (size2, _, root2) = roots
    found = CONSISTENCY.search(proof_text)
    if found is None:
        raise ProofError("no 'smattest-consistency v1 from=M to=N path=...' in the proof given")
    if (int(found[1]), int(found[2])) != (size1, size2):
        raise ProofError(
            f"the proof runs from position {found[1]} to {found[2]}, but the checkpoints "
            f"given are at {size1} and {size2}"
        )
    consistent(size1, size2, bytes.fromhex(root1), bytes.fromhex(root2),
               _hashes(found[3], "the consistency proof"))  # fmt: skip
    return (
        f"OK: the checkpoint at position {size2} (root {root2}) extends the one at "
        f"position {size1} (root {root1}): the first {size1} rows are unchanged"
    )


def _text(argument: str, pattern: re.Pattern[str]) -> str:
    """An argument that holds ``pattern`` itself, else the text of the file it names."""
    if pattern.search(argument):
        return argument
    with open(argument, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _is_proof(path: str) -> bool:
    """Whether the file given is a JSON document (a receipt's proof), not an export."""
    with open(path, encoding="utf-8-sig") as handle:
        return handle.read(64).lstrip().startswith("{")


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module's docstring for its three forms)."""
    parser = argparse.ArgumentParser(
        prog="python -m smattest.verify",
        description="Check smattest evidence offline: an evidence export (CSV) with every "
        "row's hash, the links between rows, the head and any checkpoints you kept; or one "
        "receipt's proof.json against a checkpoint line; or, with --consistency, that a newer "
        "checkpoint extends an older one.",
    )
    parser.add_argument(
        "export",
        nargs="?",
        help="the evidence CSV (HR's download or 'report evidence'), or a receipt's proof.json",
    )
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="LINE_OR_FILE",
        help="a checkpoint line, receipt, or a file of them (saved emails); repeatable",
    )
    parser.add_argument(
        "--consistency",
        metavar="PROOF_OR_FILE",
        help="the 'smattest-consistency v1 ...' line 'audit checkpoint' printed and emailed "
        "(or a file holding it): checks that the newer of the two --checkpoint lines extends "
        "the older",
    )
    args = parser.parse_args(argv)
    if (args.export is None) == (args.consistency is None):
        parser.error("give an evidence export or proof.json, or --consistency (not both)")
    try:
        if args.consistency is not None:
            texts = [_text(c, CHECKPOINT_ROOT) for c in args.checkpoint]
            message = check_consistency(texts, _text(args.consistency, CONSISTENCY))
        elif _is_proof(args.export):
            with open(args.export, encoding="utf-8-sig") as handle:
                proof = json.load(handle)
            texts = [_text(c, CHECKPOINT_ROOT) for c in args.checkpoint]
            message = check_proof(proof, texts)
        else:
            checkpoints = parse_checkpoints(checkpoint_texts(args.checkpoint))
            if args.checkpoint and not checkpoints:
                print("FAILED: no 'position=N hash=H' found in the checkpoints given.")
                return 1
            ok, message = check_file(args.export, checkpoints)
            print(message if ok else f"FAILED: {message}")
            return 0 if ok else 1
    except ProofError as error:
        print(f"FAILED: {error}.")
        return 1
    except Unreadable as error:
        print(error, file=sys.stderr)
        return 2
    except (OSError, KeyError, TypeError, ValueError, csv.Error) as error:
        what = "evidence file" if args.consistency is None else "proof"
        print(f"cannot read the {what}: {error!r}", file=sys.stderr)
        return 2
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
