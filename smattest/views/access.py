"""Who may open which page: signed-in people, HR, managers.

Each decorator marks the view it wraps (``view.smattest_access``), so a test
that walks ``app.url_map`` can prove every HR route carries the check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from flask import abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user

from ..people.staff import is_hr, is_manager
from .base import current_staff

#: Methods any visitor may use (Flask-Login's choice too): a CORS preflight carries no session.
EXEMPT_METHODS = frozenset({"OPTIONS"})

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def signed_in() -> bool:
    """Whether someone is signed in, whatever the host puts in ``current_user``.

    Flask-Login gives an anonymous user object; Flask-Security with
    ``SECURITY_ANONYMOUS_USER_DISABLED`` gives None. Both mean: nobody.
    """
    return bool(getattr(current_user, "is_authenticated", False))


def _to_sign_in() -> ResponseReturnValue:
    """The host's sign-in page, with ?next= back here."""
    # Flask-Login's init_app sets app.login_manager, an attribute Flask's type lacks.
    login_manager: LoginManager = current_app.login_manager  # type: ignore[attr-defined]
    return login_manager.unauthorized()


def login_required(view: View[P]) -> View[P]:
    """Signed-in people only; anyone else goes to the host's sign-in page, ``?next=`` here."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if request.method not in EXEMPT_METHODS and not signed_in():
            return _to_sign_in()
        return view(*args, **kwargs)

    return wrapper


def _guard(level: str, allowed: Callable[[], bool]) -> Callable[[View[P]], View[P]]:
    def decorator(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            if not signed_in():
                return _to_sign_in()
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
