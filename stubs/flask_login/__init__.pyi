# Only the names smattest uses; see stubs/README.md.
from collections.abc import Callable
from typing import ParamSpec, Protocol, TypeVar

from flask.typing import ResponseReturnValue

_P = ParamSpec("_P")
_R = TypeVar("_R")

class _User(Protocol):
    # Flask-Login's user contract; the host's user class may carry more
    # (smattest reads profile attributes with getattr).
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_anonymous(self) -> bool: ...
    def get_id(self) -> str | None: ...

class LoginManager:
    def unauthorized(self) -> ResponseReturnValue: ...

current_user: _User

def login_required(func: Callable[_P, _R]) -> Callable[_P, _R]: ...
