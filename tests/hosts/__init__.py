"""Mounting recipes: small intranets built the way IT teams build them, each mounting smattest.

- :mod:`.plain`: Flask-Login with its own login form and password hashes.
- :mod:`.security`: Flask-Security-Too with fsqla_v3 models, argon2, roles, app-wide
  CSRFProtect, POST-only logout and token login.
- :mod:`.directory`: users whose profile lives in a directory, read by a profile loader.

``tests/test_hosts.py`` drives the employee and HR journeys through each host's
own login form. The docs page "Hosts" (docs/hosts.md) shows the same recipes.
"""
