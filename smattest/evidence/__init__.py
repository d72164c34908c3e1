"""The evidence: one hash chain an auditor can verify, and everything that feeds or reads it.

- :mod:`~smattest.evidence.chain`: appending rows under the chain's lock;
- :mod:`~smattest.evidence.audit`: ``audit verify``;
- :mod:`~smattest.evidence.checkpoints`: the head sent outside the database;
- :mod:`~smattest.evidence.checkpoint_log`: verify against smattest's own checkpoint log;
- :mod:`~smattest.evidence.proofs`: the Merkle tree over the chain, receipts' and
  checkpoints' proofs;
- :mod:`~smattest.evidence.own`: nobody records evidence about themselves;
- :mod:`~smattest.evidence.export`: every row in chain order, for auditors;
- :mod:`~smattest.evidence.paper_era`: importing past signatures and completions;
- :mod:`~smattest.evidence.relink`: a person's record linked to a new id.

The hash format itself is :mod:`smattest.verify`, the standard-library-only
offline verifier an auditor runs as one file.
"""
