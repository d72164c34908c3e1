"""What HR and managers read about many people, and the exports for audits.

- :mod:`~smattest.reports.dashboard`: counts by requirement, status and department;
- :mod:`~smattest.reports.people_table`: the filtered, paged people table;
- :mod:`~smattest.reports.history`: one person's full history;
- :mod:`~smattest.reports.exports`: the status export (today or a past day);
- :mod:`~smattest.reports.trend`: the last 52 weeks per requirement, past days kept;
- :mod:`~smattest.reports.questions`: per quiz question, how often it is answered wrong.
"""
