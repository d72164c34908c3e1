"""The host app the signing benchmark serves with gunicorn (``bench.wsgi:app``).

The host of ``tests/hostapp.py`` on ``BENCH_DATABASE_URL``, sending mail to the
sink at ``BENCH_SMTP_PORT``, plus the floor: ``POST /bench/insert``, a bare
endpoint behind the same sign-in that inserts one row and commits, so both
figures pay for the same server, session cookie, user loading and database
round trip, and differ only in what smattest does.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import sqlalchemy as sa
from flask_login import current_user, login_required

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import hostapp  # noqa: E402

bench_metadata = sa.MetaData()
#: The floor's table (created by the benchmark before gunicorn starts).
inserts = sa.Table(
    "perf_bench_insert",
    bench_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)


def mail_config(port: int) -> dict:
    """Flask-Mail settings for the aiosmtpd sink on ``port``."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "SMATTEST_BASE_URL": "http://127.0.0.1",
    }


def create_app():
    app = hostapp.create_app(
        {
            "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
            "TESTING": False,
            # As a host runs it: every signature carries the policy page's CSRF token.
            "WTF_CSRF_ENABLED": True,
            **mail_config(int(os.environ["BENCH_SMTP_PORT"])),
        }
    )

    @app.post("/bench/insert")
    @login_required
    def bench_insert():
        hostapp.db.session.execute(
            inserts.insert().values(user_id=current_user.id, at=dt.datetime.now(dt.UTC))
        )
        hostapp.db.session.commit()
        return "inserted"

    return app


if os.environ.get("BENCH_DATABASE_URL"):
    app = create_app()
