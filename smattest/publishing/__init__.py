"""What HR publishes: policy and course versions, their audiences, and their life after.

- :mod:`~smattest.publishing.policies`: publishing policy versions (never changed after);
- :mod:`~smattest.publishing.translations`: a policy version's text in other languages;
- :mod:`~smattest.publishing.courses`: the course file format and versioned imports;
- :mod:`~smattest.publishing.audiences`: who owes a policy or course, dated;
- :mod:`~smattest.publishing.lifecycle`: withdrawing a scheduled version, retiring.

Drafts of policy versions are in :mod:`smattest.drafts`.
"""
