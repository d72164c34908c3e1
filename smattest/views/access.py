"""Who may open which page: one decorator for HR pages, one for managers' pages.

Each decorator marks the view it wraps (``view.smattest_access``), so a test
that walks ``app.url_map`` can prove every HR route carries the check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from flask import abort, current_app
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user

from ..staff import is_hr, is_manager
from .base import current_staff

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def _guard(level: str, allowed: Callable[[], bool]) -> Callable[[View[P]], View[P]]:
    def decorator(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                # The host's sign-in page, with ?next= back here. (Flask-Login's
                # init_app sets app.login_manager, an attribute Flask's type lacks.)
                login_manager: LoginManager = current_app.login_manager  # type: ignore[attr-defined]
                return login_manager.unauthorized()
            if not allowed():
                abort(403)
            return view(*args, **kwargs)

        # A mark on the function for the route-walking test; mypy knows no such attribute.
        wrapper.smattest_access = level  # type: ignore[attr-defined]
        return wrapper

    return decorator


#: HR only (``SMATTEST_IS_HR``, else the user's ``is_hr``); others get 403.
hr_required = _guard("hr", lambda: is_hr(current_user))

#: Managers only: someone active names the signed-in person as their manager.
manager_required = _guard("manager", lambda: is_manager(current_staff()))
