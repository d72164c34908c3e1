"""The people page stays small at the size smattest is designed for: 50,000 staff."""

import datetime as dt

import pytest

from smattest.publishing.policies import publish

#: The most the first people page may weigh at 50,000 staff (issue 12: under 150 KiB).
LIMIT = 150 * 1024


@pytest.mark.settings(SMATTEST_PAGE_SIZE=50)
def test_the_people_page_at_50000_staff_is_under_150_kib(client, login_as, make_staff, freeze):
    freeze("2026-03-02T14:30:00+00:00")
    publish("social-media", "Social Media Policy", "# Policy\n\nBe careful.\n", "First.",
            effective=dt.date(2026, 1, 5))  # fmt: skip
    # 5,000 managers among them, as in an agency of this size; 40 departments.
    ids = make_staff(
        50_000,
        department=lambda i: f"Department {i % 40}",
        manager_email=lambda i: f"person{1_000_000 + (i // 10) * 10}@agency.example",
    )
    assert len(ids) == 50_000
    login_as(name="Dana Whitfield", is_hr=True)

    response = client.get("/compliance/hr/people")

    body = response.get_data()
    assert response.status_code == 200
    assert "Showing 1–50 of 50000 people.".encode() in body
    print(f"people page at 50,000 staff: {len(body) / 1024:.1f} KiB")
    assert len(body) < LIMIT, f"{len(body) / 1024:.1f} KiB"
    assert b"<datalist" not in body  # 5,000 managers: a text field, no list of them
