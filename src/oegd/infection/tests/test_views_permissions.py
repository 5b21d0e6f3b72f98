"""Who may open the infection protection pages: anonymous and citizens are sent to the login, staff
without ``infection.view`` (the data protection officer) and other offices get 404, and writes need
``infection.edit``; refused writes change nothing. The navigation shows the entry to those allowed."""

import pytest
from django.urls import reverse

from oegd.core.tests.factories import login_staff
from oegd.infection.models import InfectionCase, Notification
from oegd.infection.tests.ui_factories import EN, infection_case, notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(cast):
    return infection_case(cast.office_a), notification(cast.office_a)


def _pages(case, item):
    return [
        reverse("infection:inbox"),
        reverse("infection:cases"),
        reverse("infection:case", args=[case.reference]),
        reverse("infection:notification", args=[item.pk]),
    ]


def _writes(case, item):
    return [
        (reverse("infection:notification_done", args=[item.pk]), {}),
        (reverse("infection:notification_open_case", args=[item.pk]), {}),
        (reverse("infection:inbox_assign"), {"notification": item.pk, "action": "me"}),
        (reverse("infection:case_close", args=[case.reference]), {}),
        (reverse("infection:case_classify", args=[case.reference]), {"classification": "C"}),
        (reverse("infection:case_note", args=[case.reference]), {"text": "x"}),
    ]


def _unchanged(case, item):
    case.refresh_from_db()
    item.refresh_from_db()
    assert (case.status, case.classification, case.assignee_id) == (InfectionCase.Status.OPEN, "pending", None)
    assert (item.state, item.assignee_id, item.infection_case_id) == (Notification.State.NEW, None, None)
    assert not case.events.exists()


def test_anonymous_and_citizens_are_sent_to_the_login(client, cast, objects):
    for url in _pages(*objects):
        assert client.get(url).status_code == 302
    for url, data in _writes(*objects):
        assert client.post(url, data).status_code == 302
    client.force_login(cast.citizen)
    for url in _pages(*objects):
        response = client.get(url, **EN)
        assert response.status_code == 302
    for url, data in _writes(*objects):
        assert client.post(url, data, **EN).status_code == 302
    _unchanged(*objects)


def test_staff_without_infection_permission_get_404(client, cast, objects):
    login_staff(client, cast.dpo_a, cast.office_a)
    for url in _pages(*objects):
        assert client.get(url, **EN).status_code == 404
    for url, data in _writes(*objects):
        assert client.post(url, data, **EN).status_code == 404
    _unchanged(*objects)


def test_other_offices_staff_get_404_for_this_offices_rows(client, cast, objects):
    login_staff(client, cast.clerk_b, cast.office_b)
    case, item = objects
    assert client.get(reverse("infection:inbox"), **EN).status_code == 200
    assert client.get(reverse("infection:case", args=[case.reference]), **EN).status_code == 404
    assert client.get(reverse("infection:notification", args=[item.pk]), **EN).status_code == 404
    for url, data in _writes(*objects):
        if url == reverse("infection:inbox_assign"):
            assert client.post(url, data, **EN).status_code == 400  # nothing of its own selected
        else:
            assert client.post(url, data, **EN).status_code == 404
    _unchanged(*objects)


@pytest.mark.parametrize("member", ["clerk_a", "physician_a", "admin_a"])
def test_infection_staff_open_every_page(client, cast, objects, member):
    login_staff(client, getattr(cast, member), cast.office_a)
    for url in _pages(*objects):
        assert client.get(url, **EN).status_code == 200


def test_writes_are_get_proof(client, cast, objects):
    login_staff(client, cast.clerk_a, cast.office_a)
    for url, _data in _writes(*objects):
        assert client.get(url, **EN).status_code == 405
    _unchanged(*objects)


def test_navigation_entry_only_with_infection_view(client, cast):
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(reverse("cases:list"), **EN).content.decode()
    assert "Infection protection" in page and reverse("infection:inbox") in page
    login_staff(client, cast.dpo_a, cast.office_a)
    page = client.get(reverse("core:staff_audit"), **EN).content.decode()
    assert "Infection protection" not in page
