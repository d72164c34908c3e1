"""``current_smattest``: the current app's smattest state, without passing it around."""

from flask import current_app
from werkzeug.local import LocalProxy

from .state import State, state_for

#: smattest's :class:`~smattest.state.State` for the current app.
current_smattest: State = LocalProxy(lambda: state_for(current_app))  # type: ignore[assignment]
