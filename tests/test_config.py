"""Bad configuration fails at start-up with one message naming the key."""

import pytest

from smattest import ConfigurationError
from smattest.config import SETTINGS

from . import hostapp


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"SMATTEST_URL_PREFX": "/compliance"},
            "SMATTEST_URL_PREFX is not a smattest setting. Did you mean SMATTEST_URL_PREFIX?",
        ),
        (
            {"SMATTEST_URL_PREFIX": "compliance"},
            "SMATTEST_URL_PREFIX = 'compliance' is not valid: expected a URL path starting with",
        ),
        (
            {"SMATTEST_URL_PREFIX": "/compliance/"},
            "SMATTEST_URL_PREFIX = '/compliance/' is not valid",
        ),
        (
            {"SMATTEST_IS_HR": "is_hr"},
            "SMATTEST_IS_HR = 'is_hr' is not valid: expected None (use the user's is_hr "
            "attribute) or a callable",
        ),
        (
            {"SMATTEST_PROFILE_LOADER": {"email": "mail"}},
            "SMATTEST_PROFILE_LOADER = {'email': 'mail'} is not valid: expected None or a callable",
        ),
        (
            {"SMATTEST_TIMEZONE": "Mars/Olympus_Mons"},
            "SMATTEST_TIMEZONE = 'Mars/Olympus_Mons' is not valid: expected an IANA time zone",
        ),
        (
            {"SMATTEST_USER_FIELDS": {"fullname": "name"}},
            "SMATTEST_USER_FIELDS = {'fullname': 'name'} is not valid: expected a mapping from "
            "smattest fields (email, full_name, department, manager_email, hire_date)",
        ),
        (
            {"SMATTEST_BASE_TEMPLATE": "layout"},
            "SMATTEST_BASE_TEMPLATE = 'layout' is not valid: expected the name of a Jinja template",
        ),
        (
            {"SMATTEST_BIND_KEY": "compliance"},
            "SMATTEST_BIND_KEY = 'compliance' is not valid: expected a key of SQLALCHEMY_BINDS "
            "(have: none)",
        ),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_bad_setting_fails_at_start_up_naming_the_key(config, message):
    with pytest.raises(ConfigurationError) as caught:
        hostapp.create_app(config)

    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unknown_key_with_no_close_match_lists_known_settings():
    with pytest.raises(ConfigurationError, match="SMATTEST_COLOUR is not a smattest setting"):
        hostapp.create_app({"SMATTEST_COLOUR": "blue"})


def test_every_setting_gets_its_default(app):
    for key, setting in SETTINGS.items():
        assert app.config[key] == setting.default, key


def test_every_setting_is_documented_in_readme():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    missing = [key for key in SETTINGS if f"`{key}`" not in readme]
    assert missing == []
