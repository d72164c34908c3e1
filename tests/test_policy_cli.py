"""`flask smattest policy publish` and `policy list`."""

import hashlib

import pytest
import sqlalchemy as sa

from smattest.models import PolicyVersion

from . import hostapp


@pytest.fixture(autouse=True)
def _clock(freeze):
    freeze("2026-03-01T09:00:00+00:00")


def publish(runner, tmp_path, *extra, text="# Policy\n\nBe kind.\n", slug="social-media"):
    path = tmp_path / "policy.md"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(
        args=["smattest", "policy", "publish", "--slug", slug, "--title", "Social Media Policy",
              "--file", str(path), "--summary", "First version.", *extra]
    )  # fmt: skip


def versions():
    return hostapp.db.session.scalars(sa.select(PolicyVersion)).all()


def test_publish_prints_the_version_and_the_texts_sha256(runner, tmp_path):
    result = publish(runner, tmp_path, "--effective", "2026-03-01")

    digest = hashlib.sha256(b"# Policy\n\nBe kind.\n").hexdigest()
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Published social-media version 1 (material: everyone must sign it),\n"
        "in force from 2026-03-01.\n"
        f"SHA-256 {digest}\n"
    )
    assert [v.text_sha256 for v in versions()] == [digest]


def test_publish_again_makes_version_two_and_minor_is_marked(runner, tmp_path):
    publish(runner, tmp_path)

    result = publish(runner, tmp_path, "--minor", text="# Policy\n\nBe kind, always.\n")

    assert "Published social-media version 2 (minor: nobody has to sign again)" in result.output
    assert [(v.number, v.requires_reattestation) for v in versions()] == [(1, True), (2, False)]


def test_missing_file_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(
        args=["smattest", "policy", "publish", "--slug", "x", "--title", "X",
              "--file", str(tmp_path / "nope.md"), "--summary", "S"]
    )  # fmt: skip

    assert result.exit_code == 2
    assert "File '" in result.output and "nope.md' does not exist." in result.output
    assert versions() == []


def test_empty_text_is_a_clear_error(runner, tmp_path):
    result = publish(runner, tmp_path, text="\n   \n")

    assert result.exit_code == 1
    assert "Error: Nothing published: the policy text is empty." in result.output
    assert versions() == []


def test_unparseable_effective_date_is_a_clear_error(runner, tmp_path):
    result = publish(runner, tmp_path, "--effective", "03/05/2026")

    assert result.exit_code == 2
    assert "'03/05/2026' is not a date: write it as YYYY-MM-DD, e.g. 2026-03-01." in result.output
    assert versions() == []


def test_non_utf8_file_is_a_clear_error(runner, tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("Café policy".encode("latin-1"))

    result = runner.invoke(
        args=["smattest", "policy", "publish", "--slug", "x", "--title", "X",
              "--file", str(path), "--summary", "S"]
    )  # fmt: skip

    assert result.exit_code == 1
    assert "is not UTF-8 text (byte 3): save it as UTF-8 and try again." in result.output


def test_list_shows_each_policy_and_its_newest_version(runner, tmp_path):
    assert "No policies yet" in runner.invoke(args=["smattest", "policy", "list"]).output
    publish(runner, tmp_path, "--effective", "2026-03-01")

    result = runner.invoke(args=["smattest", "policy", "list"])

    header, row = result.output.splitlines()
    assert header.split() == ["SLUG", "TITLE", "IN", "FORCE", "SCHEDULED", "SHA-256", "(IN",
                              "FORCE)", "FOR"]  # fmt: skip
    assert row.startswith("social-media  Social Media Policy  version 1 since 2026-03-01  none")


def test_list_says_which_version_is_in_force_and_which_is_scheduled(runner, tmp_path, freeze):
    freeze("2026-03-01T09:00:00+00:00")
    publish(runner, tmp_path, "--effective", "2026-03-01")
    publish(runner, tmp_path, "--effective", "2026-12-07", text="# Policy\n\nNew rule.\n")

    result = runner.invoke(args=["smattest", "policy", "list"])

    (row,) = result.output.splitlines()[1:]
    assert "version 1 since 2026-03-01" in row and "version 2 from 2026-12-07" in row


def test_a_backdated_effective_date_is_refused_as_in_the_browser(runner, tmp_path, freeze):
    freeze("2026-03-02T09:00:00+00:00")

    result = publish(runner, tmp_path, "--effective", "2026-03-01")

    assert result.exit_code == 1
    assert result.output == (
        "Error: Nothing published: the effective date 2026-03-01 is in the past; "
        "a new version takes effect today or later (a version in force before smattest: "
        "add --historical SOURCE).\n"
    )
    assert versions() == []
