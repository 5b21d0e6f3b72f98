"""The case directory: filters, search, paging without COUNT, a bounded number of queries, and
saved views of the directory and the inbox."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oegd.core.tests.factories import login_staff
from oegd.infection import selectors
from oegd.infection.models import SavedView
from oegd.infection.tests.ui_factories import EN, infection_case, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(cast):
    office = cast.office_a
    return {
        "covid_mine": infection_case(
            office,
            disease="cvd",
            assignee=cast.clerk_a,
            classification="C",
            person=person(office, "Müller", "Anna"),
            postal_code="12345",
            days_ago=1,
        ),
        "measles": infection_case(
            office, disease="msv", person=person(office, "Meyer", "Ben"), postal_code="13055", days_ago=4
        ),
        "closed": infection_case(
            office, disease="cvd", status="closed", person=person(office, "Schulz", "Carla"), days_ago=20
        ),
        "anonymous": infection_case(office, disease="hiv", non_nominal=True, postal_code="12399", days_ago=8),
        "foreign": infection_case(cast.office_b, disease="cvd", person=person(cast.office_b, "Müller", "Zoe")),
    }


def _ids(cast, **filters):
    rows = selectors.case_directory(user=cast.clerk_a, office=cast.office_a, filters=selectors.CaseFilters(**filters))
    return {case.pk for case in rows}


def test_filters_return_the_right_rows(cast, cases):
    pk = {name: case.pk for name, case in cases.items()}
    assert _ids(cast) == {pk["covid_mine"], pk["measles"], pk["closed"], pk["anonymous"]}
    assert _ids(cast, status="open") == {pk["covid_mine"], pk["measles"], pk["anonymous"]}
    assert _ids(cast, status="closed") == {pk["closed"]}
    assert _ids(cast, disease="cvd") == {pk["covid_mine"], pk["closed"]}
    assert _ids(cast, classification="C") == {pk["covid_mine"]}
    assert _ids(cast, classification="pending") == {pk["measles"], pk["closed"], pk["anonymous"]}
    assert _ids(cast, assignee="me") == {pk["covid_mine"]}
    assert _ids(cast, assignee="unassigned") == {pk["measles"], pk["closed"], pk["anonymous"]}
    today = timezone.localdate()
    assert _ids(cast, notified_from=today - timedelta(days=5)) == {pk["covid_mine"], pk["measles"]}
    assert _ids(cast, notified_to=today - timedelta(days=5)) == {pk["closed"], pk["anonymous"]}
    assert _ids(cast, postal_code="123") == {pk["covid_mine"], pk["anonymous"]}
    assert _ids(cast, postal_code="1239") == {pk["anonymous"]}
    north = infection_case(cast.office_a, postal_code="99123")
    assert _ids(cast, postal_code="99") == {north.pk}
    assert _ids(cast, postal_code="1") == {pk["covid_mine"], pk["measles"], pk["anonymous"]}


def test_search_by_family_name_prefix_and_reference(cast, cases):
    assert _ids(cast, query="mül") == {cases["covid_mine"].pk}  # not the other office's Müller
    assert _ids(cast, query="M") == {cases["covid_mine"].pk, cases["measles"].pk}
    assert _ids(cast, query=cases["closed"].reference.lower()) == {cases["closed"].pk}
    assert _ids(cast, query=cases["closed"].reference[:6]) >= {cases["closed"].pk}
    assert _ids(cast, query=cases["foreign"].reference) == set()
    lettered = infection_case(cast.office_a, reference="IF-ABCD-EFGH")  # references need not hold digits
    assert _ids(cast, query="if-abcd") == {lettered.pk}


def test_directory_page_newest_first_and_through_the_query_string(client, cast, cases):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("infection:cases"), **EN)
    assert response.status_code == 200
    assert [case.pk for case in response.context["cases"]] == [
        cases["covid_mine"].pk,
        cases["measles"].pk,
        cases["anonymous"].pk,
        cases["closed"].pk,
    ]
    text = response.content.decode()
    assert "Müller, Anna" in text and "Müller, Zoe" not in text
    oldest = client.get(reverse("infection:cases"), {"sort": "oldest"}, **EN)
    assert [case.pk for case in oldest.context["cases"]][0] == cases["closed"].pk
    assert "oldest notified first" in oldest.content.decode()
    response = client.get(reverse("infection:cases"), {"disease": "msv", "status": "open"}, **EN)
    assert [case.pk for case in response.context["cases"]] == [cases["measles"].pk]
    assert "Measles" in response.content.decode()


def test_invalid_filter_values_are_not_applied(client, cast, cases):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(
        reverse("infection:cases"), {"notified_from": "gestern", "classification": "Z", "postal_code": "ab"}, **EN
    )
    assert response.status_code == 200
    assert len(response.context["cases"]) == 4


def test_paging_fetches_one_row_more_and_no_count(client, cast, django_assert_max_num_queries):
    from oegd.infection import views

    for number in range(views.PAGE_SIZE + 3):
        infection_case(cast.office_a, person=person(cast.office_a, f"Name{number}", "X"), days_ago=number)
    login_staff(client, cast.clerk_a, cast.office_a)
    # Session, user, membership/permission checks, the page query, saved views – but nothing per row.
    with django_assert_max_num_queries(12) as captured:
        response = client.get(reverse("infection:cases"), **EN)
    assert len(response.context["cases"]) == views.PAGE_SIZE and response.context["has_next"]
    assert not any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)
    second = client.get(reverse("infection:cases"), {"page": 2}, **EN)
    assert len(second.context["cases"]) == 3 and not second.context["has_next"]


def test_inbox_query_count_is_bounded(client, cast, django_assert_max_num_queries):
    from oegd.infection.tests.ui_factories import notification

    for number in range(30):
        notification(cast.office_a, person=person(cast.office_a, f"Name{number}", "X"), assignee=cast.clerk_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("infection:inbox"), **EN)
    assert len(response.context["notifications"]) == 30


def test_saved_views_round_trip(client, cast, cases):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(
        reverse("infection:save_view"),
        {"name": "Meine COVID-Fälle", "page": "cases", "query": "disease=cvd&assignee=me"},
        **EN,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("infection:cases") + "?disease=cvd&assignee=me"
    view = SavedView.objects.get(owner=cast.clerk_a, page="cases")
    assert (view.name, view.query, view.office) == ("Meine COVID-Fälle", "disease=cvd&assignee=me", cast.office_a)
    page = client.get(reverse("infection:cases"), **EN).content.decode()
    assert "Meine COVID-Fälle" in page and "?disease=cvd&amp;assignee=me" in page
    followed = client.get(reverse("infection:cases") + "?" + view.query, **EN)
    assert [case.pk for case in followed.context["cases"]] == [cases["covid_mine"].pk]
    # Saving under the same name replaces the filter.
    client.post(reverse("infection:save_view"), {"name": "Meine COVID-Fälle", "page": "cases", "query": "x=1"}, **EN)
    assert SavedView.objects.get(pk=view.pk).query == "x=1"
    # An inbox view is listed on the inbox only.
    client.post(reverse("infection:save_view"), {"name": "Neue Masern", "page": "inbox", "query": "disease=msv"}, **EN)
    assert "Neue Masern" in client.get(reverse("infection:inbox"), **EN).content.decode()
    assert "Neue Masern" not in client.get(reverse("infection:cases"), **EN).content.decode()
    # Someone else cannot delete it; the owner can.
    login_staff(client, cast.physician_a, cast.office_a)
    assert client.post(reverse("infection:delete_view", args=[view.pk]), **EN).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.post(reverse("infection:delete_view", args=[view.pk]), **EN).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_a_saved_view_needs_a_name(client, cast):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:save_view"), {"name": " ", "page": "cases", "query": "a=b"}, **EN)
    assert response.status_code == 422
    assert "Please give the view a name." in response.content.decode()
    assert not SavedView.objects.exists()
