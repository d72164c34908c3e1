"""SQLite under four worker processes with concurrent signers: no 'database is locked', no
duplicate, and a chain that verifies."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from smattest.models import Attestation
from smattest.publishing.policies import publish

from .. import hostapp
from ..conftest import _free_port, create_tables

ROOT = Path(__file__).parents[2]
WORKERS, SIGNERS = 4, 20


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_as(port: int, user_id: int, name: str) -> int:
    """Sign in and sign through one worker, as a browser would; the signing POST's status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    base = f"http://127.0.0.1:{port}"

    def post(path: str, data: dict) -> int:
        body = urllib.parse.urlencode(data).encode()
        try:
            with opener.open(base + path, body, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert post(f"/login/{user_id}", {}) == 302
    return post(
        "/compliance/policies/social-media/attest",
        {"version": "1", "agree": "y", "signature": name},
    )


@pytest.mark.slow
def test_four_worker_processes_on_one_sqlite_file_sign_twenty_people_at_once(
    make_app, database_url, freeze, runner
):
    app = make_app()
    create_tables(app)
    with app.app_context():
        publish("social-media", "Social Media Policy", "Be careful online.", "First.",
                effective=dt.date(2026, 1, 1))  # fmt: skip
        users = [hostapp.User(name=f"Signer {n}", email=f"s{n}@agency.example",
                              hire_date=dt.date(2020, 1, 6)) for n in range(SIGNERS)]  # fmt: skip
        hostapp.db.session.add_all(users)
        hostapp.db.session.commit()
        people = [(u.id, u.name) for u in users]

    config = json.dumps({"SQLALCHEMY_DATABASE_URI": database_url})
    ports = [_free_port() for _ in range(WORKERS)]
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.sqlite_worker", config, str(port)],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for port in ports
    ]  # fmt: skip
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready"
        results: dict[int, int] = {}
        start = threading.Barrier(SIGNERS)

        def signer(n: int) -> None:
            user_id, name = people[n]
            start.wait()
            results[n] = sign_as(ports[n % WORKERS], user_id, name)

        threads = [threading.Thread(target=signer, args=(n,)) for n in range(SIGNERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for worker in workers:
            worker.terminate()
        errors = "".join(worker.communicate(timeout=30)[1] for worker in workers)

    assert sorted(results.values()) == [303] * SIGNERS, results
    assert "database is locked" not in errors and "Traceback" not in errors, errors[-2000:]
    with app.app_context():
        rows = hostapp.db.session.scalars(sa.select(Attestation.staff_id)).all()
        assert len(rows) == len(set(rows)) == SIGNERS
        verified = runner.invoke(args=["smattest", "audit", "verify"])
        assert verified.exit_code == 0, verified.output
