"""The due-date table: a cache of the rule's answers that HR's pages read in SQL.

- :mod:`~smattest.due.marks`: what marks a person or a requirement stale (the
  one place), written in the same transaction as the change;
- :mod:`~smattest.due.upkeep`: settling the marks in a transaction of its own,
  moving the day, rebuilding;
- :mod:`~smattest.due.read`: standings for these people on this day, from the
  table or the evidence (the one place that decides);
- :mod:`~smattest.due.sql`: statuses as SQL over the table;
- :mod:`~smattest.due.check`: ``flask smattest compliance check``, the table
  against the evidence.
"""
