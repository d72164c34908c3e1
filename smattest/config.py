"""Every ``SMATTEST_*`` setting: its default, and the check run at start-up.

One table, one validator: a misspelled key or a bad value stops ``init_app``
with a message that names the key and says what it accepts, instead of
failing later inside a request.
"""

from __future__ import annotations

import difflib
import zoneinfo
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from .i18n import is_language_tag

#: smattest's own profile fields, read from the host's user object.
PROFILE_FIELDS = (
    "email",
    "full_name",
    "department",
    "manager_email",
    "hire_date",
    "groups",
    "language",
)


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


def _is_optional_secret(value: Any) -> bool:
    return value is None or (isinstance(value, str | bytes) and len(value) >= 16)


def _is_days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3650


def _is_template_name(value: Any) -> bool:
    return isinstance(value, str) and value.endswith(".html")


def _is_whole(low: int, high: int) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

    return check


def _is_days_before(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and all(_is_whole(1, 365)(v) for v in value)
        and len(set(value)) == len(value)
    )


def _is_optional_days(value: Any) -> bool:
    return value is None or _is_days(value)


#: Weekday names as the business-day settings take them, Monday first.
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _is_weekdays(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(v, str) and v.lower() in WEEKDAYS for v in value)
    )


def _is_weekday(value: Any) -> bool:
    return isinstance(value, str) and value.lower() in WEEKDAYS


def _is_clock_time(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hours, minutes = value[:2], value[3:]
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


def _is_base_url(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, str)
        and value.startswith(("http://", "https://"))
        and not value.endswith("/")
        and " " not in value
    )


def _is_emails(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, str) and v.count("@") == 1 and " " not in v.strip() for v in value
    )


#: Directives a policy of the host's own may start with, besides any ``*-src``.
_CSP_DIRECTIVES = (
    "base-uri",
    "block-all-mixed-content",
    "form-action",
    "frame-ancestors",
    "report-to",
    "report-uri",
    "require-trusted-types-for",
    "sandbox",
    "trusted-types",
    "upgrade-insecure-requests",
)


def _is_content_security_policy(value: Any) -> bool:
    if value is None or value in ("default", "strict"):
        return True
    if not isinstance(value, str) or "\n" in value or "\r" in value or not value.strip():
        return False
    first = value.split()[0]
    return first.endswith("-src") or first in _CSP_DIRECTIVES


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
        "Keep smattest's tables in a separate database (one bind key per process).",
    ),
    "SMATTEST_USER_ID": Setting(
        None,
        "None (the user's get_id()) or a callable taking the user and returning the stable "
        "id smattest links the person by, e.g. lambda user: str(user.id)",
        _is_optional_callable,
        "The id a signed-in person is linked to their record by: the roster's employee_id, "
        "and the id recorded for HR's acts. It must not change when the person changes their "
        "password: with Flask-Security-Too set it to lambda user: str(user.id), because "
        "get_id() there is fs_uniquifier, which is regenerated on every password change.",
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
        "Where each profile field is read on the host's user object; a missing attribute reads "
        "as empty.",
    ),
    "SMATTEST_PROFILE_LOADER": Setting(
        None,
        "None or a callable taking the user and returning a dict of profile fields",
        _is_optional_callable,
        "Replaces SMATTEST_USER_FIELDS when the profile lives elsewhere (a directory, another "
        "table).",
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
    "SMATTEST_DEFAULT_LOCALE": Setting(
        "en",
        "a language tag such as 'en', 'es' or 'es-MX'",
        is_language_tag,
        "The language of smattest's pages and mails when nothing else chose one (see "
        "SMATTEST_LOCALE_SELECTOR), and of mails to people with no language on the roster.",
    ),
    "SMATTEST_LOCALE_SELECTOR": Setting(
        None,
        "None or a callable taking no arguments and returning a language tag such as 'es' "
        "(or None to let smattest choose)",
        _is_optional_callable,
        "Chooses the language of smattest's pages when the host's own Flask-Babel locale "
        "selector does not; without it, the person's roster language, then the browser's "
        "Accept-Language among the languages smattest has, then SMATTEST_DEFAULT_LOCALE.",
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
    "SMATTEST_PAGE_SIZE": Setting(
        50,
        "a whole number of rows from 10 to 1000",
        _is_whole(10, 1000),
        "Rows per page in HR's and managers' tables (people) and in HR's mail log.",
    ),
    "SMATTEST_ROSTER_SOURCE": Setting(
        None,
        "None or a callable taking no arguments and returning an iterable of dicts with the "
        "roster CSV's keys (employee_id, email, full_name, department, manager_email, "
        "hire_date, active)",
        _is_optional_callable,
        "Where 'flask smattest roster sync' reads the whole roster from.",
    ),
    "SMATTEST_BASE_URL": Setting(
        None,
        "None or the intranet's address as people reach it, starting with http:// or "
        "https:// and not ending with '/', e.g. 'https://intranet.agency.example'",
        _is_base_url,
        "Absolute links in reminder mails, which are built outside any request; required to "
        "send reminders.",
    ),
    "SMATTEST_REMINDER_DAYS_BEFORE": Setting(
        [30, 7, 1],
        "a list of distinct whole numbers of days from 1 to 365, e.g. [30, 7, 1]",
        _is_days_before,
        "How many days before a due date a reminder goes out.",
    ),
    "SMATTEST_OVERDUE_EVERY_DAYS": Setting(
        7,
        "a whole number of days from 1 to 365",
        _is_whole(1, 365),
        "Once overdue, how often the person is reminded again.",
    ),
    "SMATTEST_ESCALATE_AFTER_DAYS": Setting(
        14,
        "None (never tell the manager) or a whole number of days from 0 to 3650",
        _is_optional_days,
        "Days overdue after which the person's manager is told.",
    ),
    "SMATTEST_REMINDER_SEND_TIME": Setting(
        "08:00",
        "a local time of day as 'HH:MM' (24-hour), e.g. '08:00'",
        _is_clock_time,
        "When, in SMATTEST_TIMEZONE, the scheduler sends the day's reminders.",
    ),
    "SMATTEST_BUSINESS_DAYS": Setting(
        ["mon", "tue", "wed", "thu", "fri"],
        "a non-empty list of weekday names from " + ", ".join(WEEKDAYS),
        _is_weekdays,
        "Days on which reminders go out; a stage falling on another day waits for the next.",
    ),
    "SMATTEST_HELP_CONTACT": Setting(
        "HR",
        "non-empty text naming a person, team or address",
        lambda value: isinstance(value, str) and bool(value.strip()),
        "Whom employees are told to ask when they are stuck, e.g. after using the day's quiz "
        'attempts: "the HR team (hr@agency.example, extension 4410)".',
    ),
    "SMATTEST_HR_EMAILS": Setting(
        [],
        "a list of email addresses (empty: no weekly summary)",
        _is_emails,
        "Who receives HR's weekly summary.",
    ),
    "SMATTEST_AUDIT_EMAILS": Setting(
        [],
        "a list of email addresses (empty: checkpoints are printed, not sent)",
        _is_emails,
        "Who receives the daily evidence checkpoint (``flask smattest audit checkpoint``): "
        "the chain's head position and hash, to keep outside the database; and the daily "
        "compliance check's differences (the due-date table HR's pages read, edited outside "
        "smattest). Choose mailboxes the database administrators cannot write to.",
    ),
    "SMATTEST_SEAL_KEY": Setting(
        None,
        "None, or a secret (text or bytes) of at least 16 characters",
        _is_optional_secret,
        "The key that seals each row of the due-date table HR's pages read, so that a row "
        "edited in the database is noticed at once and the pages answer from the evidence "
        "instead. None: a key derived from the host's ``SECRET_KEY``. Keep it out of the "
        "database administrators' reach (with ``SECRET_KEY``, in the app's configuration). "
        "A new key reseals the table on HR's next look.",
    ),
    "SMATTEST_HR_SUMMARY_WEEKDAY": Setting(
        "mon",
        "a weekday name from " + ", ".join(WEEKDAYS),
        _is_weekday,
        "The day HR's weekly summary goes out.",
    ),
    "SMATTEST_REMINDER_MAX_ATTEMPTS": Setting(
        5,
        "a whole number from 1 to 100",
        _is_whole(1, 100),
        "Sending attempts before a reminder is given up and listed for HR.",
    ),
    "SMATTEST_REMINDER_RETRY_MINUTES": Setting(
        15,
        "a whole number of minutes from 1 to 1440",
        _is_whole(1, 1440),
        "Wait after a first failed send; it doubles after each further failure.",
    ),
    "SMATTEST_REMINDER_SENDING_TIMEOUT_MINUTES": Setting(
        15,
        "a whole number of minutes from 1 to 10080",
        _is_whole(1, 10080),
        "A reminder still 'sending' this long after its claim is reported to HR, not resent.",
    ),
    "SMATTEST_SECURITY_HEADERS": Setting(
        True,
        "True or False",
        lambda value: isinstance(value, bool),
        "Send Content-Security-Policy, X-Frame-Options, X-Content-Type-Options, "
        "Referrer-Policy and Cache-Control: no-store with smattest's own pages (never "
        "the host's, never replacing a header already set). Turn off only when the "
        "host sets its own on every response.",
    ),
    "SMATTEST_CONTENT_SECURITY_POLICY": Setting(
        "default",
        "'default', 'strict', a Content-Security-Policy of your own (a string with at least "
        "one directive), or None",
        _is_content_security_policy,
        "The Content-Security-Policy on smattest's pages. Every page is rendered inside your "
        "layout, so this header governs your layout too. 'default' restricts nothing your "
        "layout draws: frame-ancestors 'self'; object-src 'none'; base-uri 'self'. 'strict' "
        "adds default-src 'self', which blocks inline <style> and <script>: choose it only if "
        "your layout has none. A string of your own is sent as it is; None sends no policy. "
        "A policy your app already set on the response (for example with Flask-Talisman) is "
        "never replaced.",
    ),
    "SMATTEST_SMTP_TIMEOUT": Setting(
        30,
        "a whole number of seconds from 1 to 600",
        _is_whole(1, 600),
        "How long smattest waits to connect to the mail server and for each of its answers; "
        "a silent server delays a batch by this much, never a page.",
    ),
    "SMATTEST_MAIL_SEND_EVERY_MINUTES": Setting(
        1,
        "a whole number of minutes from 1 to 1440",
        _is_whole(1, 1440),
        "How often 'flask smattest scheduler' sends the mails waiting in the outbox "
        "(receipts); without the scheduler, run 'flask smattest mail send' from cron as often.",
    ),
    "SMATTEST_PUBLISH_APPROVALS": Setting(
        0,
        "a whole number from 0 to 10",
        _is_whole(0, 10),
        "Approvals a policy draft needs from HR users other than its author before it can be "
        "published (0: none). Saving the draft again clears them; 'flask smattest policy "
        "publish' then refuses to publish alone, and 'flask smattest policy approve' approves "
        "a draft for IT-run workflows.",
    ),
    "SMATTEST_MAIL_BATCH_SIZE": Setting(
        250,
        "a whole number from 1 to 10000",
        _is_whole(1, 10000),
        "Mails claimed, sent over one SMTP connection and recorded together (people for "
        "reminders, managers for their digests). A process killed mid-send leaves at most "
        "one batch 'sending' for HR to decide on.",
    ),
}


def apply_defaults(config: MutableMapping[str, Any]) -> None:
    """Fill in every missing setting with its default (a copy for mutable ones)."""
    for key, setting in SETTINGS.items():
        default = setting.default
        if isinstance(default, (dict, list)):
            default = type(default)(default)
        config.setdefault(key, default)


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
