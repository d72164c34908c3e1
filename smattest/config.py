"""Every ``SMATTEST_*`` setting: its default, and the check run at start-up.

One table, one validator: a misspelled key or a bad value stops ``init_app``
with a message that names the key and says what it accepts, instead of
failing later inside a request.
"""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: smattest's own profile fields, read from the host's user object.
PROFILE_FIELDS = ("email", "full_name", "department", "manager_email", "hire_date")


class ConfigurationError(ValueError):
    """A ``SMATTEST_*`` setting is unknown or has a value smattest cannot use."""


@dataclass(frozen=True)
class Setting:
    """One documented setting: its default, what it accepts, and its check."""

    default: Any
    accepts: str
    check: Callable[[Any], bool]
    doc: str


def _is_prefix(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("/")
        and (value == "/" or not value.endswith("/"))
        and " " not in value
    )


def _is_timezone(value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_user_fields(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) <= set(PROFILE_FIELDS)
        and all(isinstance(v, str) and v for v in value.values())
    )


def _is_optional_callable(value: Any) -> bool:
    return value is None or callable(value)


def _is_optional_name(value: Any) -> bool:
    return value is None or (isinstance(value, str) and bool(value))


def _is_days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3650


def _is_template_name(value: Any) -> bool:
    return isinstance(value, str) and value.endswith(".html")


SETTINGS: dict[str, Setting] = {
    "SMATTEST_URL_PREFIX": Setting(
        "/compliance",
        "a URL path starting with '/' and not ending with '/', e.g. '/compliance'",
        _is_prefix,
        "Where the blueprint is mounted.",
    ),
    "SMATTEST_BIND_KEY": Setting(
        None,
        "None (the host's default database) or a key of SQLALCHEMY_BINDS",
        _is_optional_name,
        "Keep smattest's tables in a separate database.",
    ),
    "SMATTEST_USER_FIELDS": Setting(
        {
            "email": "email",
            "full_name": "name",
            "department": "department",
            "manager_email": "manager_email",
            "hire_date": "hire_date",
        },
        "a mapping from smattest fields (" + ", ".join(PROFILE_FIELDS) + ") to attribute names "
        "of the host's user object",
        _is_user_fields,
        "Where each profile field is read on the host's user object.",
    ),
    "SMATTEST_PROFILE_LOADER": Setting(
        None,
        "None or a callable taking the user and returning a dict of profile fields",
        _is_optional_callable,
        "Replaces SMATTEST_USER_FIELDS when the profile lives elsewhere.",
    ),
    "SMATTEST_IS_HR": Setting(
        None,
        "None (use the user's is_hr attribute) or a callable taking the user and returning a bool",
        _is_optional_callable,
        "Who may open HR pages.",
    ),
    "SMATTEST_TIMEZONE": Setting(
        "UTC",
        "an IANA time zone name such as 'Europe/London' or 'America/Chicago'",
        _is_timezone,
        "The time zone in which times are shown and days begin.",
    ),
    "SMATTEST_NEW_HIRE_DAYS": Setting(
        30,
        "a whole number of days from 0 to 3650",
        _is_days,
        "Days a new hire, or everyone after a material policy change, has to comply.",
    ),
    "SMATTEST_DUE_SOON_DAYS": Setting(
        30,
        "a whole number of days from 0 to 3650",
        _is_days,
        "How close a due date is 'due soon'.",
    ),
    "SMATTEST_BASE_TEMPLATE": Setting(
        "smattest/layout.html",
        "the name of a Jinja template ending in .html that defines the blocks "
        "'title', 'head' and 'content'",
        _is_template_name,
        "The layout every smattest page extends; point it at the intranet's own.",
    ),
}


def apply_defaults(config: dict) -> None:
    """Fill in every missing setting with its default (a copy for mutable ones)."""
    for key, setting in SETTINGS.items():
        default = setting.default
        config.setdefault(key, dict(default) if isinstance(default, dict) else default)


def validate(config: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigurationError` for the first unknown key or bad value."""
    for key in sorted(k for k in config if k.startswith("SMATTEST_")):
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, SETTINGS, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ConfigurationError(
                f"{key} is not a smattest setting.{hint} "
                f"Known settings: {', '.join(sorted(SETTINGS))}."
            )
    for key, setting in SETTINGS.items():
        value = config.get(key)
        if not setting.check(value):
            raise ConfigurationError(f"{key} = {value!r} is not valid: expected {setting.accepts}.")
