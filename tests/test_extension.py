"""Mounting smattest in a host intranet: blueprint, session, login, tables, binds."""

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

from smattest import SMAttest
from smattest.models import Staff

from . import hostapp


def test_my_compliance_page_shows_signed_in_person(client, login_as):
    login_as(name="Maya Okafor", department="Child Protection")

    response = client.get("/compliance/")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "My compliance" in page
    assert "Maya Okafor" in page
    assert "Child Protection" in page


def test_anonymous_visitor_is_sent_to_host_login(client):
    response = client.get("/compliance/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_first_visit_creates_staff_row_from_user_attributes(app, client, login_as):
    user = login_as(
        name="Sam Reyes", department="Adult Services", manager_email="Boss@Agency.example"
    )

    client.get("/compliance/")

    staff = hostapp.db.session.scalars(sa.select(Staff)).one()
    assert staff.external_id == str(user.id)
    assert staff.full_name == "Sam Reyes"
    assert staff.email == user.email
    assert staff.department == "Adult Services"
    assert staff.manager_email == "boss@agency.example"
    assert staff.hire_date == user.hire_date
    assert staff.active is True


def test_later_visit_refreshes_profile_but_keeps_inactive_flag(app, client, login_as):
    user = login_as(name="Sam Reyes")
    client.get("/compliance/")
    staff = hostapp.db.session.scalars(sa.select(Staff)).one()
    staff.active = False
    user.name = "Sam Reyes-Lopez"
    user.department = "Family Support"
    hostapp.db.session.commit()

    page = client.get("/compliance/").get_data(as_text=True)

    hostapp.db.session.expire_all()
    staff = hostapp.db.session.scalars(sa.select(Staff)).one()
    assert "Sam Reyes-Lopez" in page
    assert (staff.full_name, staff.department, staff.active) == (
        "Sam Reyes-Lopez",
        "Family Support",
        False,
    )
    assert hostapp.db.session.scalar(sa.select(sa.func.count()).select_from(Staff)) == 1


@pytest.mark.settings(SMATTEST_USER_FIELDS={"full_name": "email", "department": "manager_email"})
def test_user_fields_map_profile_to_other_attributes(app, client, login_as):
    login_as(name="Ignored", email="kim@agency.example", manager_email="lead@agency.example")

    client.get("/compliance/")

    staff = hostapp.db.session.scalars(sa.select(Staff)).one()
    assert staff.full_name == "kim@agency.example"
    assert staff.department == "lead@agency.example"
    assert staff.email is None  # not mapped any more


@pytest.mark.settings(
    SMATTEST_PROFILE_LOADER=lambda user: {
        "full_name": f"Dr {user.name}",
        "email": "dr@agency.example",
        "hire_date": "2024-02-29",
    }
)
def test_profile_loader_replaces_user_fields(app, client, login_as):
    login_as(name="Ada Byron")

    assert "Dr Ada Byron" in client.get("/compliance/").get_data(as_text=True)
    staff = hostapp.db.session.scalars(sa.select(Staff)).one()
    assert (staff.email, staff.hire_date.isoformat()) == ("dr@agency.example", "2024-02-29")


@pytest.mark.settings(SMATTEST_URL_PREFIX="/intranet/policies")
def test_url_prefix_moves_the_blueprint(client, login_as):
    login_as(name="Lee Chan")

    assert client.get("/intranet/policies/").status_code == 200
    assert client.get("/compliance/").status_code == 404
    css = client.get("/intranet/policies/static/smattest.css")
    assert css.status_code == 200 and b".smattest-page" in css.data


def test_second_registration_on_same_app_is_refused(app):
    with pytest.raises(RuntimeError, match="already registered"):
        SMAttest(app, db=hostapp.db)


def test_one_extension_object_serves_two_apps(make_app):
    first, second = make_app(), make_app(SMATTEST_URL_PREFIX="/other")

    assert first.extensions["smattest"].extension is second.extensions["smattest"].extension
    assert "/compliance/" in {r.rule for r in first.url_map.iter_rules()}
    assert "/other/" in {r.rule for r in second.url_map.iter_rules()}
    assert not hasattr(hostapp.smattest, "app")


def test_host_create_all_and_drop_all_leave_smattest_tables_alone(make_app):
    app = make_app()
    with app.app_context():
        hostapp.db.create_all(bind_key=None)
        tables = set(sa.inspect(hostapp.db.engine).get_table_names())
        assert "host_user" in tables
        assert not any(t.startswith("smattest_") for t in tables)

        from smattest.db import metadata

        metadata.create_all(hostapp.db.engine)
        hostapp.db.drop_all(bind_key=None)
        tables = set(sa.inspect(hostapp.db.engine).get_table_names())
        assert "host_user" not in tables
        assert "smattest_staff" in tables


def test_bind_key_keeps_smattest_tables_in_separate_database(make_app, tmp_path):
    compliance_url = f"sqlite:///{tmp_path / 'compliance.sqlite'}"
    app = make_app(SQLALCHEMY_BINDS={"compliance": compliance_url}, SMATTEST_BIND_KEY="compliance")
    runner = app.test_cli_runner()
    with app.app_context():
        hostapp.db.create_all(bind_key=None)
        assert runner.invoke(args=["smattest", "db", "upgrade"]).exit_code == 0
        user = hostapp.User(name="Noor Haddad", email="noor@agency.example")
        hostapp.db.session.add(user)
        hostapp.db.session.commit()
        client = app.test_client()
        client.post(f"/login/{user.id}")

        assert "Noor Haddad" in client.get("/compliance/").get_data(as_text=True)
        main_tables = set(sa.inspect(hostapp.db.engine).get_table_names())
        bound_tables = set(sa.inspect(hostapp.db.engines["compliance"]).get_table_names())
        assert not any(t.startswith("smattest_") for t in main_tables)
        assert {"smattest_staff", "smattest_alembic_version"} <= bound_tables
        with hostapp.db.engines["compliance"].connect() as conn:
            names = conn.execute(sa.text("SELECT full_name FROM smattest_staff")).scalars()
            assert list(names) == ["Noor Haddad"]


def test_host_routes_and_pages_keep_working(client):
    assert client.get("/login").get_data(as_text=True) == "Host sign-in page"


def test_mounting_without_flask_login_is_a_clear_error():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = SQLAlchemy(app)
    with pytest.raises(RuntimeError, match="needs Flask-Login"):
        SMAttest(app, db=db)


def test_mounting_without_db_is_a_clear_error():
    app = Flask(__name__)
    LoginManager(app)
    with pytest.raises(RuntimeError, match="Flask-SQLAlchemy"):
        SMAttest(app)


def test_is_hr_reads_the_users_is_hr_attribute_by_default(app, make_user):
    from smattest.people.staff import is_hr

    assert is_hr(make_user(name="Grace Kim", is_hr=True)) is True
    assert is_hr(make_user(name="Sam Reyes")) is False


@pytest.mark.settings(SMATTEST_IS_HR=lambda user: user.department == "Human Resources")
def test_is_hr_asks_the_configured_callable(app, make_user):
    from smattest.people.staff import is_hr

    assert is_hr(make_user(name="Grace Kim", department="Human Resources")) is True
    assert is_hr(make_user(name="Ana Lima", department="Adult Services", is_hr=True)) is False


def test_a_manager_is_someone_named_as_anothers_manager(app):
    from smattest.people.staff import is_manager

    boss = Staff(external_id="1", full_name="Team Lead", email="lead@agency.example")
    report = Staff(external_id="2", full_name="Worker", manager_email="lead@agency.example")
    leaver = Staff(external_id="3", full_name="Gone", manager_email="old@agency.example",
                   active=False)  # fmt: skip
    old_boss = Staff(external_id="4", full_name="Old Lead", email="old@agency.example")
    hostapp.db.session.add_all([boss, report, leaver, old_boss])
    hostapp.db.session.commit()

    assert is_manager(boss) is True
    assert is_manager(report) is False
    assert is_manager(old_boss) is False  # only an inactive person reported to them
