"""Staff pages of the duplicate review: queue, pair page, merge, different persons, person page, undo."""

from datetime import date

import pytest
from django.urls import reverse

from oegd.cases.models import Person
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff
from oegd.infection.models import InfectionCase, PersonMatch, PersonMerge

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def person(office, given="Anna", family="Schmidt", **kwargs):
    kwargs.setdefault("birth_date", date(1980, 3, 4))
    return Person.objects.create(office=office, given_name=given, family_name=family, **kwargs)


@pytest.fixture
def pair(cast):
    older = person(cast.office_a, "Anna", "Müller", sex="female", postal_code="12345", street="Hauptstraße 5")
    newer = person(cast.office_a, "Anna", "Mueller", sex="female", postal_code="12345", phone="0123 456")
    InfectionCase.objects.create(office=cast.office_a, reference="IC-VIEW-1", person=newer, disease="msv")
    return PersonMatch.objects.create(office=cast.office_a, person=newer, candidate=older, score=0.87)


def test_review_queue_lists_pending_pairs_best_first(client, cast, pair):
    low = PersonMatch.objects.create(
        office=cast.office_a, person=person(cast.office_a, "Ben"), candidate=person(cast.office_a, "Benn"), score=0.55
    )
    PersonMatch.objects.create(
        office=cast.office_a,
        person=person(cast.office_a, "Carl"),
        candidate=person(cast.office_a, "Karl"),
        score=0.9,
        status=PersonMatch.Status.DISTINCT,
    )
    PersonMatch.objects.create(
        office=cast.office_b, person=person(cast.office_b, "Dora"), candidate=person(cast.office_b, "Dora"), score=0.99
    )
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("infection_persons:review"), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Possible duplicates" in text
    assert text.index(reverse("infection_persons:match", args=[pair.pk])) < text.index(
        reverse("infection_persons:match", args=[low.pk])
    )
    assert "87 %" in text
    assert "Carl" not in text and "Dora" not in text


def test_pair_page_shows_both_records_and_agreement(client, cast, pair):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("infection_persons:match", args=[pair.pk]), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Müller, Anna" in text and "Mueller, Anna" in text
    assert "Hauptstraße 5" in text and "0123 456" in text
    assert "Same person: merge" in text and "Different persons" in text
    assert f'value="{pair.candidate_id}" checked' in text  # the older record is kept by default
    assert AuditEvent.objects.filter(action="infection.person.read", object_id=str(pair.person_id)).exists()


def test_merge_via_post_then_undo_via_post(client, cast, pair):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection_persons:match_merge", args=[pair.pk]), {"keep": pair.candidate_id}, **EN)
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PersonMatch.Status.MERGED
    merge = PersonMerge.objects.get()
    assert (merge.kept_id, merge.merged_id) == (pair.candidate_id, pair.person_id)
    assert InfectionCase.objects.get(reference="IC-VIEW-1").person_id == pair.candidate_id

    page = client.get(reverse("infection_persons:person", args=[pair.candidate_id]), **EN)
    assert page.status_code == 200
    text = page.content.decode()
    assert "IC-VIEW-1" in text and "Merge history" in text and "Undo merge of" in text

    response = client.post(reverse("infection_persons:merge_undo", args=[merge.pk]), **EN)
    assert response.status_code == 302
    assert InfectionCase.objects.get(reference="IC-VIEW-1").person_id == pair.person_id
    assert Person.objects.get(pk=pair.person_id).merged_into_id is None

    again = client.post(reverse("infection_persons:merge_undo", args=[merge.pk]), **EN)
    assert again.status_code == 409
    assert "already been undone" in again.content.decode()


def test_merge_without_a_valid_choice_is_refused(client, cast, pair):
    login_staff(client, cast.clerk_a, cast.office_a)
    other = person(cast.office_a, "Zoe")
    for keep in ("", "abc", str(other.pk)):
        response = client.post(reverse("infection_persons:match_merge", args=[pair.pk]), {"keep": keep}, **EN)
        assert response.status_code == 400
        assert "Choose which of the two records to keep" in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == PersonMatch.Status.PENDING
    assert not PersonMerge.objects.exists()


def test_different_persons_via_post_and_deciding_twice_is_409(client, cast, pair):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection_persons:match_distinct", args=[pair.pk]), **EN)
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PersonMatch.Status.DISTINCT

    again = client.post(reverse("infection_persons:match_merge", args=[pair.pk]), {"keep": pair.candidate_id}, **EN)
    assert again.status_code == 409
    assert "already been decided" in again.content.decode()
    assert not PersonMerge.objects.exists()
    assert client.post(reverse("infection_persons:match_distinct", args=[pair.pk]), **EN).status_code == 409


def test_other_office_gets_404_and_nothing_changes(client, cast, pair):
    login_staff(client, cast.admin_b, cast.office_b)
    assert client.get(reverse("infection_persons:match", args=[pair.pk]), **EN).status_code == 404
    assert client.get(reverse("infection_persons:person", args=[pair.person_id]), **EN).status_code == 404
    response = client.post(reverse("infection_persons:match_merge", args=[pair.pk]), {"keep": pair.candidate_id}, **EN)
    assert response.status_code == 404
    assert client.post(reverse("infection_persons:match_distinct", args=[pair.pk]), **EN).status_code == 404
    pair.refresh_from_db()
    assert pair.status == PersonMatch.Status.PENDING


def test_undo_of_other_offices_merge_is_404(client, cast):
    from oegd.infection.persons import merge_persons

    merge = merge_persons(actor=cast.admin_b, kept=person(cast.office_b), merged=person(cast.office_b))
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.post(reverse("infection_persons:merge_undo", args=[merge.pk]), **EN).status_code == 404
    merge.refresh_from_db()
    assert merge.undone_at is None


def test_staff_without_infection_permission_gets_404(client, cast, pair):
    login_staff(client, cast.dpo_a, cast.office_a)
    assert client.get(reverse("infection_persons:review"), **EN).status_code == 404
    assert client.get(reverse("infection_persons:match", args=[pair.pk]), **EN).status_code == 404
    response = client.post(reverse("infection_persons:match_distinct", args=[pair.pk]), **EN)
    assert response.status_code == 404
    pair.refresh_from_db()
    assert pair.status == PersonMatch.Status.PENDING


def test_view_only_staff_sees_no_decision_buttons_and_cannot_post(client, cast, pair, monkeypatch):
    from oegd.core import access
    from oegd.core.models import Role

    monkeypatch.setitem(access.ROLE_PERMISSIONS, Role.CLERK, {"office.view", "infection.view"})
    login_staff(client, cast.clerk_a, cast.office_a)
    text = client.get(reverse("infection_persons:match", args=[pair.pk]), **EN).content.decode()
    assert "Same person: merge" not in text
    assert client.post(reverse("infection_persons:match_distinct", args=[pair.pk]), **EN).status_code == 404
    pair.refresh_from_db()
    assert pair.status == PersonMatch.Status.PENDING


def test_anonymous_is_sent_to_login(client, pair):
    response = client.get(reverse("infection_persons:review"), **EN)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_clerk_reviews_merges_and_undoes_in_the_browser(page, log_in_as, axe_check, cast):
    from playwright.sync_api import expect

    older = person(cast.office_a, "Anna", "Müller", sex="female", postal_code="12345", street="Hauptstraße 5")
    newer = person(cast.office_a, "Anna", "Mueller", sex="female", postal_code="12345")
    InfectionCase.objects.create(office=cast.office_a, reference="IC-BROWSER-1", person=newer, disease="msv")
    PersonMatch.objects.create(office=cast.office_a, person=newer, candidate=older, score=0.9)
    log_in_as(cast.clerk_a, cast.office_a)

    page.goto(reverse("infection_persons:review"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicates")
    axe_check(page)
    page.get_by_role("link", name="Compare Mueller, Anna").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicate")
    axe_check(page)
    expect(page.get_by_role("radio", name="Müller, Anna")).to_be_checked()
    page.get_by_role("button", name="Same person: merge").click()
    expect(page.get_by_text("The records were merged into Müller, Anna.")).to_be_visible()
    axe_check(page)
    assert InfectionCase.objects.get(reference="IC-BROWSER-1").person_id == older.pk

    page.goto(reverse("infection_persons:person", args=[older.pk]))
    expect(page.get_by_role("link", name="IC-BROWSER-1")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Undo merge of Mueller, Anna").click()
    expect(page.get_by_text("The merge was undone")).to_be_visible()
    axe_check(page)
    assert InfectionCase.objects.get(reference="IC-BROWSER-1").person_id == newer.pk
