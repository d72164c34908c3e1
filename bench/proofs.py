"""Benchmark: Merkle roots, receipt proofs and consistency proofs over a long chain.

    .venv/bin/python bench/proofs.py [--rows 50000] [--database-url URL]

Fills the chain with ``--rows`` attestations (chained as the service does), then
times: ``audit checkpoint`` (reads every record hash, builds the tree, the root);
the first receipt proof in a fresh process (builds the newest checkpoint's tree
from the chain, once); later proofs (from the tree kept in memory); and a second
checkpoint 1,000 rows later with its consistency proof. Prints the tree's size
in memory too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import fill  # noqa: E402
from smattest.db import metadata  # noqa: E402
from smattest.evidence import checkpoints, proofs  # noqa: E402
from smattest.models import Attestation, Staff  # noqa: E402
from smattest.publishing.policies import publish  # noqa: E402
from tests import hostapp  # noqa: E402


def seconds(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = hostapp.create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        metadata.drop_all(hostapp.db.engine)
        metadata.create_all(hostapp.db.engine)
        version = publish("social-media", "Policy", "Be careful.", "First.")
        fill_s, _ = seconds(lambda: fill(args.rows * 2, version))
        print(f"{sa.make_url(url).get_backend_name()}: {args.rows} rows chained in {fill_s:.1f} s")
        take_s, taken = seconds(checkpoints.take)
        print(f"audit checkpoint (tree over {args.rows} rows, root): {take_s * 1000:.0f} ms")
        middle = args.rows // 2
        owner = hostapp.db.session.scalar(
            sa.select(Attestation.staff_id).where(Attestation.chain_seq == middle)
        )
        proofs._trees.clear()  # a fresh web worker
        first_s, _ = seconds(
            lambda: proofs.receipt_proof(middle, staff_id=owner, line=checkpoints.line_of)
        )
        later = []
        for seq in range(1, args.rows, max(1, args.rows // 20)):
            staff_id = hostapp.db.session.scalar(
                sa.select(Attestation.staff_id).where(Attestation.chain_seq == seq)
            )
            later.append(
                seconds(
                    lambda s=seq, o=staff_id: proofs.receipt_proof(
                        s, staff_id=o, line=checkpoints.line_of
                    )
                )[0]  # fmt: skip
            )
        tree = next(iter(proofs._trees.values()))
        size = sum(len(level) for level in tree.levels) / 2**10
        print(f"first receipt proof in a fresh process (builds the tree): {first_s * 1000:.0f} ms")
        print(f"later receipt proofs: median {sorted(later)[len(later) // 2] * 1000:.1f} ms "
              f"(max {max(later) * 1000:.1f} ms, {len(later)} proofs)")  # fmt: skip
        print(f"tree kept in memory: {size:.1f} KiB of hashes")
        staff = hostapp.db.session.scalars(
            sa.select(Staff).where(Staff.id % 2 == 0).limit(1000)
        ).all()
        from smattest.attest import attest

        for person in staff:
            attest(person, "social-media", 1, person.full_name)
        again_s, again = seconds(checkpoints.take)
        hashes = len(again.consistency.split(","))
        print(f"next audit checkpoint, 1,000 rows later, with consistency proof: "
              f"{again_s * 1000:.0f} ms; proof {hashes} hashes")  # fmt: skip
        assert taken.line and again.consistency and not again.problem


if __name__ == "__main__":
    main()
