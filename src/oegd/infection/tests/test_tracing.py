"""Contacts of infection cases and their follow-up calls: services, pages, refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff
from oegd.infection import tracing
from oegd.infection.models import Contact, Event, FollowUpCall, InfectionCase
from oegd.infection.tests.tracing_factories import EN, contact, days_ago, measles_case, person

pytestmark = pytest.mark.django_db


def _post_contact(client, case, **overrides):
    data = {
        "contact-given_name": "Karla",
        "contact-family_name": "Kontakt",
        "contact-birth_date": "1990-05-06",
        "contact-phone": "+49 30 555",
        "contact-street": "Weg 1",
        "contact-postal_code": "12345",
        "contact-place": "Musterstadt",
        "contact-category": "household",
        "contact-setting": "household",
        "contact-exposure_date": days_ago(1).isoformat(),
        "contact-note": "",
    }
    data.update({f"contact-{key}": value for key, value in overrides.items()})
    return client.post(reverse("infection:contact_add", args=[case.reference]), data, **EN)


def test_add_contact_computes_quarantine_plans_daily_calls_and_audits(cast):
    case = measles_case(cast.office_a, assignee=cast.physician_a)
    added = contact(cast.clerk_a, case, exposure=2)
    assert added.person.family_name == "Kontakt"
    assert added.quarantine_until == days_ago(2) + timedelta(days=21)
    calls = list(FollowUpCall.objects.filter(contact=added).order_by("due_on"))
    assert calls[0].due_on == timezone.localdate()
    assert calls[-1].due_on == added.quarantine_until
    assert len(calls) == (added.quarantine_until - timezone.localdate()).days + 1
    assert {call.assignee for call in calls} == {cast.physician_a}
    assert Event.objects.filter(infection_case=case, code="contact.added").exists()
    assert AuditEvent.objects.filter(action="infection.contact.add", object_id=str(added.pk)).exists()


def test_category_two_gets_no_quarantine_and_weekly_calls_until_the_incubation_end(cast):
    case = measles_case(cast.office_a)
    added = contact(cast.clerk_a, case, category="other", exposure=1)
    assert added.quarantine_until is None
    due = list(FollowUpCall.objects.filter(contact=added).values_list("due_on", flat=True))
    assert due[0] == timezone.localdate()
    assert all((b - a).days == 7 for a, b in zip(due, due[1:], strict=False))
    assert due[-1] <= days_ago(1) + timedelta(days=21)


def test_an_existing_person_of_the_office_is_reused(cast):
    case = measles_case(cast.office_a)
    known = person(cast.office_a, "Bekannt", "Berta", birth_date=days_ago(10000))
    added = contact(cast.clerk_a, case, "Bekannt", "Berta", birth_date=known.birth_date)
    assert added.person == known
    other = measles_case(cast.office_a)
    again = tracing.add_contact(actor=cast.clerk_a, infection_case=other, category="close",
                                exposure_date=days_ago(1), person=known)  # fmt: skip
    assert again.person == known


def test_changing_category_or_exposure_recomputes_quarantine_and_calls(cast):
    case = measles_case(cast.office_a)
    added = contact(cast.clerk_a, case, exposure=2)
    tracing.update_contact(actor=cast.clerk_a, contact=added, category="other", exposure_date=days_ago(3),
                           setting="work")  # fmt: skip
    added.refresh_from_db()
    assert added.quarantine_until is None and added.setting == "work"
    tracing.update_contact(actor=cast.clerk_a, contact=added, category="close", exposure_date=days_ago(5),
                           setting="work")  # fmt: skip
    added.refresh_from_db()
    assert added.quarantine_until == days_ago(5) + timedelta(days=21)
    last = FollowUpCall.objects.filter(contact=added, status="open").order_by("-due_on").first()
    assert last.due_on == added.quarantine_until


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exposure_date": "future"}, "future"),
        ({"category": "cousin"}, "Unknown contact category"),
        ({"setting": "moon"}, "Unknown setting"),
    ],
)
def test_add_contact_refuses_bad_facts_and_writes_nothing(cast, kwargs, message):
    case = measles_case(cast.office_a)
    values = {"category": "close", "exposure_date": days_ago(1), "setting": "other"}
    values.update(kwargs)
    if values["exposure_date"] == "future":
        values["exposure_date"] = timezone.localdate() + timedelta(days=1)
    with pytest.raises(tracing.TracingError, match=message):
        tracing.add_contact(actor=cast.clerk_a, infection_case=case, given_name="A", family_name="B", **values)
    assert not Contact.objects.exists() and not FollowUpCall.objects.exists()


def test_the_index_person_cannot_be_their_own_contact(cast):
    case = measles_case(cast.office_a)
    with pytest.raises(tracing.TracingError, match="person of the case itself"):
        tracing.add_contact(actor=cast.clerk_a, infection_case=case, category="close", exposure_date=days_ago(1),
                            person=case.person)  # fmt: skip
    assert not Contact.objects.exists()


def test_a_person_of_another_office_and_a_duplicate_contact_are_refused(cast):
    case = measles_case(cast.office_a)
    stranger = person(cast.office_b, "Fremd", "Frida")
    with pytest.raises(tracing.TracingError, match="another office"):
        tracing.add_contact(actor=cast.clerk_a, infection_case=case, category="close", exposure_date=days_ago(1),
                            person=stranger)  # fmt: skip
    added = contact(cast.clerk_a, case)
    with pytest.raises(tracing.TracingError, match="already a contact"):
        tracing.add_contact(actor=cast.clerk_a, infection_case=case, category="close", exposure_date=days_ago(1),
                            person=added.person)  # fmt: skip
    assert Contact.objects.count() == 1


def test_contact_form_on_the_case_page_adds_a_contact(client, cast):
    case = measles_case(cast.office_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(reverse("infection:case", args=[case.reference]), **EN)
    assert page.status_code == 200
    assert "Add contact" in page.content.decode()
    response = _post_contact(client, case)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/staff/infection/cases/{case.reference}/#tracing")
    added = Contact.objects.get(index_case=case)
    assert added.category == "household" and added.person.phone == "+49 30 555"
    page = client.get(reverse("infection:case", args=[case.reference]), **EN).content.decode()
    assert "Kontakt, Karla" in page and "Household" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"exposure_date": (timezone.localdate() + timedelta(days=3)).isoformat()}, "cannot be in the future"),
        ({"category": "cousin"}, "Select a valid choice"),
        ({"family_name": ""}, "This field is required"),
    ],
)
def test_contact_form_bad_input_shows_a_message_and_changes_nothing(client, cast, overrides, message):
    case = measles_case(cast.office_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = _post_contact(client, case, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Contact.objects.exists()


def test_contact_of_another_offices_case_is_404_and_nothing_changes(client, cast):
    case = measles_case(cast.office_a)
    added = contact(cast.clerk_a, case)
    login_staff(client, cast.clerk_b, cast.office_b)
    assert _post_contact(client, case).status_code == 404
    assert client.get(reverse("infection:contact", args=[added.pk]), **EN).status_code == 404
    assert client.post(reverse("infection:contact_end", args=[added.pk]), **EN).status_code == 404
    assert client.get(reverse("infection:case_tracing", args=[case.reference]), **EN).status_code == 404
    assert Contact.objects.count() == 1
    added.refresh_from_db()
    assert added.status == Contact.Status.ACTIVE


def test_dpo_cannot_see_or_add_contacts(client, cast):
    case = measles_case(cast.office_a)
    login_staff(client, cast.dpo_a, cast.office_a)
    assert _post_contact(client, case).status_code == 404
    assert client.get(reverse("infection:calls"), **EN).status_code == 404
    assert not Contact.objects.exists()


def test_call_list_shows_due_and_overdue_calls_mine_and_all(client, cast):
    case = measles_case(cast.office_a, assignee=cast.clerk_a)
    added = contact(cast.clerk_a, case, "Anruf", "Anna")
    FollowUpCall.objects.create(office=cast.office_a, contact=added, due_on=days_ago(2), assignee=cast.physician_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    mine = client.get(reverse("infection:calls"), **EN).content.decode()
    assert "Anruf, Anna" in mine and "(overdue)" not in mine
    everyone = client.get(reverse("infection:calls") + "?view=all", **EN).content.decode()
    assert "(overdue)" in everyone
    foreign = measles_case(cast.office_b, person_record=person(cast.office_b, "Fremd", "Fritz"))
    contact(cast.clerk_b, foreign, "Geheim", "Gerda")
    assert "Geheim" not in client.get(reverse("infection:calls") + "?view=all", **EN).content.decode()


def test_recording_calls_reached_missed_and_symptoms(client, cast):
    case = measles_case(cast.office_a, assignee=cast.clerk_a)
    added = contact(cast.clerk_a, case)
    today = FollowUpCall.objects.get(contact=added, due_on=timezone.localdate())
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:call_record", args=[today.pk]), {"outcome": "missed"}, **EN)
    assert response.status_code == 302
    today.refresh_from_db()
    assert today.status == FollowUpCall.Status.MISSED
    tomorrow = FollowUpCall.objects.get(contact=added, due_on=timezone.localdate() + timedelta(days=1))
    assert tomorrow.status == "open"
    assert FollowUpCall.objects.filter(contact=added, due_on=tomorrow.due_on).count() == 1  # not planned twice
    response = client.post(
        reverse("infection:call_record", args=[tomorrow.pk]), {"outcome": "symptoms", "note": "Fieber"}, **EN
    )
    assert response["Location"] == reverse("infection:contact", args=[added.pk])
    tomorrow.refresh_from_db()
    assert tomorrow.status == "done" and tomorrow.symptoms_reported is True and tomorrow.note == "Fieber"
    panel = client.get(reverse("infection:case_tracing", args=[case.reference]), **EN).content.decode()
    assert "reported symptoms – became a case?" in panel
    again = client.post(reverse("infection:call_record", args=[tomorrow.pk]), {"outcome": "well"}, **EN)
    assert again.status_code == 400 and "already been recorded" in again.content.decode()


def test_call_without_outcome_is_refused(client, cast):
    case = measles_case(cast.office_a, assignee=cast.clerk_a)
    call = FollowUpCall.objects.filter(contact=contact(cast.clerk_a, case)).first()
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:call_record", args=[call.pk]), {"outcome": "maybe"}, **EN)
    assert response.status_code == 400 and "choose the outcome" in response.content.decode()
    call.refresh_from_db()
    assert call.status == "open"


def test_contact_became_a_case_opens_a_case_and_ends_calls(client, cast):
    case = measles_case(cast.office_a, assignee=cast.clerk_a)
    added = contact(cast.clerk_a, case)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:contact_became_case", args=[added.pk]), **EN)
    added.refresh_from_db()
    assert added.status == Contact.Status.BECAME_CASE
    new_case = added.became_case
    assert new_case.person == added.person and new_case.disease == "msv"
    assert response["Location"] == reverse("infection:case", args=[new_case.reference])
    assert not FollowUpCall.objects.filter(contact=added, status="open").exists()
    assert InfectionCase.objects.count() == 2
    again = client.post(reverse("infection:contact_became_case", args=[added.pk]), **EN)
    assert again.status_code == 400 and "already recorded as a case" in again.content.decode()
    assert InfectionCase.objects.count() == 2


def test_end_observation_drops_open_calls(client, cast):
    case = measles_case(cast.office_a)
    added = contact(cast.clerk_a, case)
    login_staff(client, cast.clerk_a, cast.office_a)
    client.post(reverse("infection:contact_end", args=[added.pk]), **EN)
    added.refresh_from_db()
    assert added.status == Contact.Status.ENDED
    assert not FollowUpCall.objects.filter(contact=added, status="open").exists()


def test_contact_page_updates_category_and_refuses_future_exposure(client, cast):
    case = measles_case(cast.office_a)
    added = contact(cast.clerk_a, case)
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:contact", args=[added.pk])
    assert "Follow-up calls" in client.get(url, **EN).content.decode()
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url, {"category": "close", "setting": "work", "exposure_date": future}, **EN)
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    added.refresh_from_db()
    assert added.setting == "household"
    response = client.post(url, {"category": "other", "setting": "work", "exposure_date": days_ago(1)}, **EN)
    assert response.status_code == 302
    added.refresh_from_db()
    assert added.category == "other" and added.quarantine_until is None


def test_another_offices_call_cannot_be_recorded(client, cast):
    case = measles_case(cast.office_a, assignee=cast.clerk_a)
    call = FollowUpCall.objects.filter(contact=contact(cast.clerk_a, case)).first()
    login_staff(client, cast.clerk_b, cast.office_b)
    response = client.post(reverse("infection:call_record", args=[call.pk]), {"outcome": "well"}, **EN)
    assert response.status_code == 404
    call.refresh_from_db()
    assert call.status == "open" and call.done_by is None


def test_ending_an_ended_observation_is_refused(client, cast):
    added = contact(cast.clerk_a, measles_case(cast.office_a))
    tracing.end_observation(actor=cast.clerk_a, contact=added)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:contact_end", args=[added.pk]), **EN)
    assert response.status_code == 400 and "already ended" in response.content.decode()
    assert Event.objects.filter(code="contact.ended").count() == 1
