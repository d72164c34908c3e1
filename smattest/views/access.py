"""Who may open which page: one decorator for HR pages, one for managers' pages.

Each decorator marks the view it wraps (``view.smattest_access``), so a test
that walks ``app.url_map`` can prove every HR route carries the check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, current_app
from flask_login import current_user

from ..staff import is_hr, is_manager
from .base import current_staff


def _guard(level: str, allowed: Callable[[], bool]):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                # The host's sign-in page, with ?next= back here.
                return current_app.login_manager.unauthorized()
            if not allowed():
                abort(403)
            return view(*args, **kwargs)

        wrapper.smattest_access = level
        return wrapper

    return decorator


#: HR only (``SMATTEST_IS_HR``, else the user's ``is_hr``); others get 403.
hr_required = _guard("hr", lambda: is_hr(current_user))

#: Managers only: someone active names the signed-in person as their manager.
manager_required = _guard("manager", lambda: is_manager(current_staff()))
