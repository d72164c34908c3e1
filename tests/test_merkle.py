"""The Merkle tree over the chain against Certificate Transparency's own test vectors.

``tests/data/ct_merkle_probes.json`` holds every inclusion and consistency probe of
transparency-dev/merkle's ``testdata/`` (commit 417fb0c3, Apache License 2.0): the
proofs of its RFC 6962 reference tree that must verify, and the altered ones that must
not. The reference tree's leaves and roots are those of RFC 6962's test data.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path

import pytest

from smattest.evidence.proofs import Tree
from smattest.verify import (
    ProofError,
    consistent,
    leaf_hash,
    node_hash,
    root_from_inclusion,
)

PROBES = json.loads((Path(__file__).parent / "data" / "ct_merkle_probes.json").read_text())
#: RFC 6962's reference leaves and the roots of the trees of their first 1..8.
LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
          "606162636465666768696a6b6c6d6e6f"]  # fmt: skip
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def b64(value):
    return base64.b64decode(value) if value else b""


def reference_tree(size: int) -> Tree:
    return Tree(b"".join(leaf_hash(bytes.fromhex(leaf)) for leaf in LEAVES[:size]))


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_rfc_reference_tree(size):
    assert reference_tree(size).root().hex() == ROOTS[size - 1]
    assert reference_tree(8).root(size).hex() == ROOTS[size - 1]


def test_the_empty_tree_hashes_to_the_hash_of_nothing():
    assert Tree(b"").root() == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("probe", PROBES["inclusion"], ids=lambda p: p["file"])
def test_ct_inclusion_probes(probe):
    path = [b64(h) for h in probe["proof"] or []]
    try:
        reached = root_from_inclusion(
            probe["leafIdx"], probe["treeSize"], b64(probe["leafHash"]), path
        )
        ok = reached == b64(probe["root"])
    except ProofError:
        ok = False
    assert ok is not probe["wantErr"], probe["desc"]


@pytest.mark.parametrize("probe", PROBES["consistency"], ids=lambda p: p["file"])
def test_ct_consistency_probes(probe):
    proof = [b64(h) for h in probe["proof"] or []]
    try:
        consistent(probe["size1"], probe["size2"], b64(probe["root1"]), b64(probe["root2"]), proof)
        ok = True
    except ProofError:
        ok = False
    assert ok is not probe["wantErr"], probe["desc"]


def test_our_proofs_are_cts_proofs():
    """Every happy-path probe's proof is exactly the one our tree cuts."""
    tree = reference_tree(8)
    checked = 0
    for probe in PROBES["inclusion"]:
        if not probe["wantErr"] and probe["treeSize"] <= 8 and probe["leafHash"]:
            if b64(probe["leafHash"]) != tree.leaf(probe["leafIdx"]):
                continue
            path = tree.inclusion(probe["leafIdx"], probe["treeSize"])
            assert path == [b64(h) for h in probe["proof"] or []], probe["file"]
            checked += 1
    for probe in PROBES["consistency"]:
        if not probe["wantErr"] and 0 < probe["size1"] < probe["size2"] <= 8:
            if b64(probe["root2"]) != tree.root(probe["size2"]):
                continue
            proof = tree.consistency(probe["size1"], probe["size2"])
            assert proof == [b64(h) for h in probe["proof"] or []], probe["file"]
            checked += 1
    assert checked >= 8


def brute_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, word for word."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(brute_mth(leaves[:k]), brute_mth(leaves[k:]))


def test_every_proof_of_every_small_tree_verifies_and_no_other_root_does():
    leaves = [leaf_hash(bytes([n])) for n in range(70)]
    tree = Tree(b"".join(leaves))
    for size in range(1, 71):
        root = tree.root(size)
        assert root == brute_mth(leaves[:size])
        for index in range(size):
            path = tree.inclusion(index, size)
            assert root_from_inclusion(index, size, leaves[index], path) == root
        for older in range(1, size + 1):
            consistent(older, size, tree.root(older), root, tree.consistency(older, size))
    rng = random.Random(9162)
    for _ in range(200):
        older = rng.randrange(1, 69)
        size = rng.randrange(older + 1, 71)
        forged = list(leaves)
        forged[rng.randrange(older)] = leaf_hash(b"forged")
        rewritten = Tree(b"".join(forged))
        with pytest.raises(ProofError):
            consistent(older, size, tree.root(older), rewritten.root(size),
                       rewritten.consistency(older, size))  # fmt: skip


@pytest.mark.parametrize("low", [1, 2, 3, 5])
def test_a_tree_that_keeps_only_its_upper_levels_gives_the_same_proofs(low):
    leaves = [leaf_hash(bytes([n])) for n in range(70)]
    whole = Tree(b"".join(leaves))
    reads = []

    def read(start, end):
        reads.append((start, end))
        return b"".join(leaves[start:end])

    for size in (1, 2, 7, 8, 9, 31, 32, 33, 64, 70):
        kept = Tree([b"".join(leaves[:size])[i : i + 96] for i in range(0, size * 32, 96)],
                    low=low, read=read)  # fmt: skip
        assert kept.size == size and kept.root() == whole.root(size)
        for index in range(size):
            assert kept.leaf(index) == leaves[index]
            assert kept.inclusion(index) == whole.inclusion(index, size)
        for older in range(1, size + 1):
            assert kept.consistency(older) == whole.consistency(older, size)
    assert all(end - start == 1 << low for start, end in reads)
