"""The wheel, installed in a fresh virtualenv, serves pages from its packaged templates."""

import shutil
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parents[1]


def shipped_files() -> set[str]:
    """Every file of the source tree a user's install needs, as named inside the wheel."""
    wanted = {
        f"smattest/{p.relative_to(ROOT / 'smattest')}" for p in (ROOT / "smattest").rglob("*.py")
    }
    wanted |= {f"smattest/static/{p.name}" for p in (ROOT / "smattest" / "static").glob("*")}
    wanted |= {
        f"smattest/{p.relative_to(ROOT / 'smattest')}"
        for p in (ROOT / "smattest" / "translations").rglob("smattest.[mp]o")
    }
    wanted.add("smattest/py.typed")  # PEP 561: a host's type checker reads smattest's annotations
    for folder in ("templates", "migrations"):
        wanted |= {
            f"smattest/{p.relative_to(ROOT)}"
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and p.suffix in {".py", ".html", ".txt", ".mako"}
        }
    return wanted


SOURCES = ["smattest", "templates", "migrations", "setup.cfg", "pyproject.toml", "README.md"]

HOST_APP = textwrap.dedent(
    """
    from flask import Flask
    from flask_login import LoginManager, UserMixin
    from flask_sqlalchemy import SQLAlchemy

    from smattest import SMAttest

    db = SQLAlchemy()
    login_manager = LoginManager()


    class Employee(UserMixin, db.Model):
        id = db.Column(db.Integer, primary_key=True)
        email = db.Column(db.String(255))
        name = db.Column(db.String(200))


    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(Employee, int(user_id))


    def create_app():
        app = Flask(__name__)
        app.config["SECRET_KEY"] = "packaging-test"
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///intranet.sqlite"
        db.init_app(app)
        login_manager.init_app(app)
        SMAttest(app, db=db)
        return app
    """
)

VISIT = textwrap.dedent(
    """
    from importlib.resources import files

    from flask_login import login_user

    from host import Employee, create_app, db

    app = create_app()
    with app.app_context():
        db.create_all()
        db.session.add(Employee(id=7, email="rosa@agency.example", name="Rosa Diaz"))
        db.session.commit()

    @app.post("/sign-in")
    def sign_in():
        login_user(db.session.get(Employee, 7))
        return "ok"

    client = app.test_client()
    client.post("/sign-in")
    response = client.get("/compliance/")
    print(response.status_code)
    print(files("smattest.templates"))
    print(response.get_data(as_text=True))
    """
)


@pytest.mark.slow
def test_wheel_installs_migrates_and_serves_the_employee_page(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("smattest-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = shipped_files() - names
    assert missing == set(), f"left out of the wheel: {sorted(missing)}"

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", wheel],
        check=True,
        capture_output=True,
    )
    host = tmp_path / "host"
    host.mkdir()
    (host / "host.py").write_text(HOST_APP)
    (host / "visit.py").write_text(VISIT)

    upgrade = subprocess.run(
        [bin_dir / "flask", "--app", "host", "smattest", "db", "upgrade"],
        cwd=host,
        capture_output=True,
        text=True,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    # The head of the migration graph, not the highest file number: the graph
    # is what `db upgrade` follows.
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    assert upgrade.stdout.strip() == f"smattest tables are at revision {head}."

    visit = subprocess.run(
        [bin_dir / "python", "visit.py"], cwd=host, capture_output=True, text=True
    )
    assert visit.returncode == 0, visit.stderr
    status, templates, page = visit.stdout.split("\n", 2)
    assert status == "200"
    assert templates.startswith(str(env_dir)) and "site-packages" in templates
    assert "My compliance" in page
    assert "Rosa Diaz" in page
