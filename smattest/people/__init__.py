"""People as smattest knows them: a signed-in user's record and roles, and their own evidence.

- :mod:`~smattest.people.staff`: the record of a signed-in user, HR and manager roles;
- :mod:`~smattest.people.identity`: a person's lasting id, and the checks on first sight;
- :mod:`~smattest.people.own_records`: a person's own attestations and completions.

The roster import is :mod:`smattest.roster`.
"""
