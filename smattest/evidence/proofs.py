"""The Merkle tree over the chain, and the proofs cut from it (RFC 9162 section 2.1).

Leaf ``i`` of the tree is the record hash of chain position ``i + 1``
(``SHA-256(0x00 || record hash)``), nodes are ``SHA-256(0x01 || left ||
right)``, and a tree of a size that is not a power of two splits at the largest
power of two below it, as in Certificate Transparency. A v2 checkpoint
carries the root over positions 1..N; from the tree this module cuts:

- a receipt's **inclusion proof** (``/compliance/receipts/<n>/proof.json``):
  the person's own row, its leaf, and the audit path to the newest
  checkpoint's root; nobody else's row is in it, only hashes of subtrees;
- the **consistency proof** between two checkpoints, which ``audit
  checkpoint`` prints and emails: the newer tree extends the older.

Verification is :mod:`smattest.verify`'s (standard library only). The tree of
the newest checkpoint is built once per process from the chain, keeping the
hashes of its subtrees of 256 rows and up (64 bytes per 256 rows); a proof
reads the 256 record hashes around its row and checks them against the kept
subtree. It is built again only when a new checkpoint is taken.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa

import smattest.verify as hashformat

from ..models import Checkpoint
from ..proxies import current_smattest
from .chain import CHAINED
from .export import EVIDENCE_COLUMNS, evidence_row_values

#: Rows read from the database at a time when a tree is built.
BATCH = 5000
#: Subtrees smaller than ``2**LOW`` leaves are not kept: a proof reads the 256 record
#: hashes around the leaf it needs (one query) rather than every process keeping 64
#: bytes a row, which at ten years of evidence (millions of rows) would be too much.
LOW = 8
_EMPTY = b""


class ProofUnavailable(Exception):
    """No proof can be given now; the message says why and what to do."""


class ChainBroken(ProofUnavailable):
    """The chain itself does not hold together: no tree can be built over it."""


def _largest_power_below(n: int) -> int:
    """The largest power of two strictly below ``n`` (``n`` > 1): RFC 9162's split ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _perfect(leaves: bytes) -> bytes:
    """The root of a perfect tree (2**h leaves, given as their hashes back to back)."""
    level = leaves
    while len(level) > 32:
        level = b"".join(
            hashformat.node_hash(level[i : i + 32], level[i + 32 : i + 64])
            for i in range(0, len(level), 64)
        )
    return level


class Tree:
    """The Merkle tree over ``size`` leaves: the hash of every perfect subtree of
    ``2**low`` leaves or more, kept level by level as one ``bytes`` each (32 bytes a
    node), so that any subtree's hash, the root, an audit path or a consistency proof
    of this tree or of a smaller one is a few lookups.

    Below ``low`` only the leaves of the last, partial block are kept; a proof that
    needs a smaller subtree elsewhere reads that block's leaves with ``read(start,
    end)`` (leaf hashes of leaves ``start``..``end - 1``) and checks them against the
    block's hash first. ``leaves`` are the leaf hashes in order, as one ``bytes`` or
    any number of pieces.
    """

    def __init__(
        self,
        leaves: bytes | Iterable[bytes],
        *,
        low: int = 0,
        read: Callable[[int, int], bytes] | None = None,
    ) -> None:
        self.low, self._read = low, read
        block = 32 << low
        base, rest = bytearray(), b""
        for piece in [leaves] if isinstance(leaves, bytes) else leaves:
            data, at = rest + piece, 0
            while len(data) - at >= block:
                base += _perfect(data[at : at + block])
                at += block
            rest = data[at:]
        self._tail = rest
        self.size = (len(base) // 32 << low) + len(rest) // 32
        self.levels = [bytes(base)]
        level = self.levels[0]
        while len(level) >= 64:
            level = b"".join(
                hashformat.node_hash(level[i : i + 32], level[i + 32 : i + 64])
                for i in range(0, len(level) - 63, 64)
            )
            self.levels.append(level)
        self._blocks: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def _block(self, number: int) -> bytes:
        """The leaf hashes of block ``number`` (``2**low`` leaves, or the partial tail)."""
        first = number << self.low
        if first + (1 << self.low) > self.size:
            return self._tail
        with self._lock:
            found = self._blocks.get(number)
        if found is None:
            if self._read is None:
                raise ValueError("this tree keeps no leaves below its lowest level")
            found = self._read(first, first + (1 << self.low))
            if _perfect(found) != self.levels[0][number * 32 : number * 32 + 32]:
                raise ProofUnavailable(
                    f"the evidence rows at positions {first + 1}..{first + (1 << self.low)} "
                    "no longer hash to the tree taken at the checkpoint: they were changed "
                    "since. Run 'flask smattest audit verify' and tell the auditors."
                )
            with self._lock:
                if len(self._blocks) >= 64:
                    self._blocks.pop(next(iter(self._blocks)))
                self._blocks[number] = found
        return found

    def leaf(self, index: int) -> bytes:
        """The hash of leaf ``index`` (0-based)."""
        return self.hash(index, index + 1)

    def hash(self, start: int, end: int) -> bytes:
        """MTH of leaves ``start``..``end - 1`` (RFC 9162 section 2.1.1)."""
        n = end - start
        if n == 0:
            return hashlib.sha256(_EMPTY).digest()
        height = n.bit_length() - 1
        if n == 1 << height and start % n == 0:
            if height >= self.low and height - self.low < len(self.levels):
                index = start >> height
                return self.levels[height - self.low][index * 32 : index * 32 + 32]
            if height < self.low:
                leaves = self._block(start >> self.low)
                offset = (start % (1 << self.low)) * 32
                return _perfect(leaves[offset : offset + n * 32])
        k = _largest_power_below(n)
        return hashformat.node_hash(self.hash(start, start + k), self.hash(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree over the first ``size`` leaves (all by default)."""
        return self.hash(0, self.size if size is None else size)

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` (RFC 9162 2.1.3.1)."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size} leaves")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = _largest_power_below(end - start)
            if index < start + k:
                path.append(self.hash(start + k, end))
                end = start + k
            else:
                path.append(self.hash(start, start + k))
                start += k
        return path[::-1]

    def consistency(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The proof that the tree of ``size2`` extends that of ``size1`` (RFC 9162 2.1.4.1)."""
        size2 = self.size if size2 is None else size2
        if not 0 < size1 <= size2 <= self.size:
            raise ValueError(f"no consistency proof from {size1} leaves to {size2}")
        proof: list[bytes] = []
        m, start, end, whole = size1, 0, size2, True
        while m != end - start:
            k = _largest_power_below(end - start)
            if m <= k:
                proof.append(self.hash(start + k, end))
                end = start + k
            else:
                proof.append(self.hash(start, start + k))
                m, start, whole = m - k, start + k, False
        if not whole:
            proof.append(self.hash(start, end))
        return proof[::-1]


def chain_leaves(last_seq: int, first_seq: int = 1) -> Iterator[bytes]:
    """The leaf hashes of positions ``first_seq``..``last_seq``, read from every evidence
    table ``BATCH`` rows at a time, yielded a batch at a time.

    Follows the links (``prev_hash``) rather than trusting positions alone: at a
    position held twice the row that links is the chain's. Raises
    :class:`ChainBroken` at a missing position or a broken link; whether each row's
    contents still match its hash is ``audit verify``'s to check (and a proof of an
    altered row fails on its own).
    """
    session = current_smattest.db.session
    positions = sa.union_all(
        *(
            sa.select(model.chain_seq.label("seq"), model.prev_hash, model.record_hash).where(
                model.chain_seq.between(first_seq, last_seq)
            )
            for model in CHAINED
        )
    ).subquery()
    query = sa.select(positions).order_by(positions.c.seq).execution_options(yield_per=BATCH)
    leaves = bytearray()
    # From position 1 the first row links to ""; from elsewhere, to whatever it says.
    expected, previous = first_seq, "" if first_seq == 1 else None
    pending = False  # a row at ``expected`` that does not link (yet)
    with session.execute(query) as result:
        for seq, prev_hash, record_hash in result:
            if seq == expected - 1 and prev_hash != previous:
                continue  # a second row at the position just taken: not the chain's
            if seq != expected:
                break
            if previous is not None and prev_hash != previous:
                pending = True
                continue
            leaves += hashformat.record_leaf(record_hash)
            expected, previous, pending = expected + 1, record_hash, False
            if len(leaves) >= BATCH * 32:
                yield bytes(leaves)
                leaves.clear()
    if expected - 1 != last_seq:
        where = "does not link to the row before it" if pending else "is missing"
        raise ChainBroken(
            f"chain position {expected} {where}: no Merkle tree can be built over the chain; "
            "run 'flask smattest audit verify'."
        )
    yield bytes(leaves)


def read_leaves(start: int, end: int) -> bytes:
    """The leaf hashes of leaves ``start``..``end - 1`` (positions ``start + 1``..``end``)."""
    return b"".join(chain_leaves(end, start + 1))


def chain_tree(last_seq: int) -> Tree:
    """The tree over positions 1..``last_seq``, keeping subtrees of ``2**LOW`` leaves and up
    (64 bytes per 256 rows) and reading the leaves below them when a proof needs them."""
    return Tree(chain_leaves(last_seq), low=LOW, read=read_leaves)


_trees: dict[tuple[str, int, str], Tree] = {}
_trees_lock = threading.Lock()


def tree_for(position: int, root: str) -> Tree:
    """The tree over positions 1..``position``, which must have root ``root`` (a
    checkpoint's): built from the chain once per process, then kept."""
    key = (str(current_smattest.engine.url), position, root)
    with _trees_lock:
        if key in _trees:
            return _trees[key]
    tree = chain_tree(position)
    if tree.root().hex() != root:
        raise ProofUnavailable(
            f"the chain's first {position} rows no longer hash to the root of the checkpoint "
            f"at that position ({root}): the evidence was changed since it was taken. Run "
            "'flask smattest audit verify' and tell the auditors."
        )
    with _trees_lock:
        for stale in [k for k in _trees if k[0] == key[0]]:
            del _trees[stale]  # one tree per database: the newest checkpoint's
        _trees[key] = tree
    return tree


def newest_checkpoint(covering: int = 0) -> Checkpoint | None:
    """The newest checkpoint with a Merkle root, at ``covering`` or after."""
    return current_smattest.db.session.scalar(
        sa.select(Checkpoint)
        .where(Checkpoint.root.is_not(None), Checkpoint.position >= max(covering, 1))
        .order_by(Checkpoint.id.desc())
        .limit(1)
    )


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return hashformat.utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rows_at(seq: int) -> Iterator[dict[str, Any]]:
    for values in evidence_row_values(seq):
        yield {name: _json(value) for name, value in zip(EVIDENCE_COLUMNS, values, strict=True)}


def receipt_proof(
    seq: int, *, staff_id: int | None, line: Callable[[Checkpoint], str]
) -> dict[str, Any]:
    """The proof.json of the attestation or completion at chain position ``seq``.

    ``staff_id``: only that person's row is given (None: anyone's, for HR).
    ``line`` formats a checkpoint's line (:func:`smattest.evidence.checkpoints.line_of`).
    Raises LookupError when there is no such receipt (for that person), and
    :class:`ProofUnavailable` when no checkpoint covers it yet or the chain changed.
    """
    rows = [
        row
        for row in _rows_at(seq)
        if row["kind"] in ("attestation", "training_completion")
        and (staff_id is None or row["staff_id"] == staff_id)
    ]
    if not rows:
        raise LookupError(seq)
    checkpoint = newest_checkpoint(seq)
    if checkpoint is None or checkpoint.root is None:
        raise ProofUnavailable(
            f"no checkpoint covers receipt {seq} yet: its proof can be fetched after the next "
            "checkpoint (taken daily)."
        )
    tree = tree_for(checkpoint.position, checkpoint.root)
    leaf = tree.leaf(seq - 1)
    row = next((r for r in rows if hashformat.record_leaf(r["record_hash"]) == leaf), None)
    if row is None or hashformat.row_hash(row) != row["record_hash"]:
        raise ProofUnavailable(
            f"receipt {seq} no longer matches the evidence chain at that position: it was "
            "changed. Run 'flask smattest audit verify' and tell the auditors."
        )
    checkpoint_line = line(checkpoint)
    return {
        "proof": hashformat.INCLUSION_PROOF,
        "about": (
            f"Receipt {seq}: the row below is leaf {seq - 1} of the Merkle tree (RFC 9162) "
            f"over the first {checkpoint.position} rows of the evidence chain. Check it with "
            "the standard library alone: python -m smattest.verify proof.json --checkpoint "
            "'the checkpoint line the auditors were emailed'."
        ),
        "row": row,
        "leaf_index": seq - 1,
        "leaf": leaf.hex(),
        "tree_size": checkpoint.position,
        "root": checkpoint.root,
        "checkpoint": checkpoint_line,
        "audit_path": [h.hex() for h in tree.inclusion(seq - 1)],
    }


def root_problems(given: list[tuple[int, str]], walked: int) -> list[str]:
    """Merkle roots the chain no longer has: each ``(position, root)`` given (from v2
    checkpoint lines) and each root in smattest's own checkpoint log, at positions the
    walk along the chain reached (``walked``); one tree over the chain answers all."""
    logged = current_smattest.db.session.execute(
        sa.select(Checkpoint.position, Checkpoint.root).where(Checkpoint.root.is_not(None))
    ).all()
    wanted = [(p, r, "checkpoint") for p, r in given] + [
        (p, r, "smattest's checkpoint log records") for p, r in logged if r is not None
    ]
    reachable = [w for w in wanted if 0 < w[0] <= walked]
    if not reachable:
        return []
    try:
        tree = chain_tree(max(p for p, _, _ in reachable))
    except ChainBroken as error:
        return [str(error)]
    problems = []
    for position, root, source in sorted(set(reachable)):
        actual = tree.root(position).hex()
        if actual != root:
            problems.append(
                f"{source} position={position} root={root}: the chain's first {position} rows "
                f"now have Merkle root {actual}: the chain was rewritten since the checkpoint."
            )
    return problems
