"""The due-date table: a cache of the rule's answers that HR's pages read in SQL.

- :mod:`~smattest.due.watch`: what marks a person or a requirement stale;
- :mod:`~smattest.due.upkeep`: bringing rows up to date, settling pending marks,
  rebuilding;
- :mod:`~smattest.due.sql`: statuses as SQL over the table;
- :mod:`~smattest.due.check`: ``flask smattest compliance check``, the table
  against the evidence.
"""
