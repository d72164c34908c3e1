"""HR's people list and search can include the people who have left."""

from __future__ import annotations

import pytest

from .dashboard_helpers import NOW
from .html import page_of


@pytest.fixture
def hr(client, login_as, make_staff, freeze):
    freeze(NOW)
    make_staff(1, full_name="Lee Left", department="Finance", active=False)
    make_staff(1, full_name="Sam Stays", department="Finance")
    return login_as(name="Hana Reyes", is_hr=True)


def test_people_who_left_are_left_out_unless_hr_asks(client, hr):
    assert "Lee Left" not in page_of(client.get("/compliance/hr/people")).names()

    names = page_of(client.get("/compliance/hr/people?left=1")).names()

    assert "Lee Left (has left)" in names and "Sam Stays" in names


def test_a_search_for_someone_who_left_offers_to_include_them(client, hr):
    html = client.get("/compliance/hr/people?q=lee").get_data(as_text=True)

    assert "Nobody matches these filters." in html
    assert 'href="/compliance/hr/people?q=lee&amp;left=1">Include people who have left</a>' in html
    assert page_of(client.get("/compliance/hr/people?q=lee&left=1")).names() == [
        "Lee Left (has left)"
    ]


def test_the_left_box_takes_only_yes(client, hr):
    response = client.get("/compliance/hr/people?left=maybe")

    assert response.status_code == 400
    assert "Left &#39;maybe&#39; is not understood" in response.get_data(as_text=True)
