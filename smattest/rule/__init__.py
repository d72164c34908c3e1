"""The rule: who owes what, and by when.

- :mod:`~smattest.rule.compliance` decides, for people and requirements, the due
  date and the status on a day: the one place the rule is computed;
- :mod:`~smattest.rule.requirements`: what is in force on a day, with audiences;
- :mod:`~smattest.rule.membership`: who belongs to an audience (no database);
- :mod:`~smattest.rule.evidence_queries`: which evidence and exemptions count;
- :mod:`~smattest.rule.standing`: the four statuses, their labels and order.
"""
