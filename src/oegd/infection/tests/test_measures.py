"""Measures: quarantine orders for contacts in bulk and isolation orders for cases, with their letters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oegd.cases.documents import document_bytes
from oegd.cases.models import Case, CaseType, Document, ProcessInstance
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff
from oegd.infection import letters, tracing
from oegd.infection.models import Event, Measure
from oegd.infection.tests.tracing_factories import EN, contact, days_ago, measles_case, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_ensure_case_file_opens_one_e_file_without_a_process(cast):
    case = measles_case(cast.office_a)
    first = letters.ensure_case_file(actor=cast.clerk_a, infection_case=case)
    again = letters.ensure_case_file(actor=cast.clerk_a, infection_case=case)
    assert first == again
    case.refresh_from_db()
    assert case.file == first
    assert first.case_type == "ifsg-case" and first.office == cast.office_a
    assert CaseType.objects.get(slug="ifsg-case").process_key == ""
    assert not ProcessInstance.objects.filter(case=first).exists()
    assert first.subjects.get().person == case.person


def test_bulk_quarantine_orders_one_measure_and_letter_per_contact(client, cast):
    case = measles_case(cast.office_a, assignee=cast.clerk_a)
    karl = contact(cast.clerk_a, case, "Kontakt", "Karl", exposure=2)
    lena = contact(cast.clerk_a, case, "Lieb", "Lena", exposure=3)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(
        reverse("infection:quarantine_orders", args=[case.reference]), {"contact": [karl.pk, lena.pk]}, **EN
    )
    assert response.status_code == 302
    measures = {m.contact_id: m for m in Measure.objects.filter(kind="quarantine")}
    assert set(measures) == {karl.pk, lena.pk}
    case.refresh_from_db()
    assert Document.objects.filter(case=case.file).count() == 2
    for person_contact in (karl, lena):
        measure = measures[person_contact.pk]
        assert measure.starts_on == timezone.localdate()
        assert measure.ends_on == person_contact.quarantine_until
        assert measure.document.case == case.file and not measure.document.citizen_visible
        text = pdf_text(document_bytes(measure.document))
        assert f"{person_contact.person.given_name} {person_contact.person.family_name}" in text
        assert "Quarantäne" in text and "Masern" in text
        assert measure.ends_on.strftime("%Y") in text
        assert f"{measure.ends_on.day}." in text
        assert case.file.reference in text  # the e-file's reference as “Unser Zeichen”
        assert case.reference not in text and "Ida" not in text  # nothing about the index person
        assert "Index" not in text.split("Guten Tag")[1].split(",")[0]  # addressed to the contact
    assert Event.objects.filter(infection_case=case, code="measure.issued").count() == 2
    assert AuditEvent.objects.filter(action="infection.measure.issue").count() == 2
    page = client.get(reverse("infection:case", args=[case.reference]), **EN).content.decode()
    for measure in measures.values():
        assert reverse("case_documents:download", args=[measure.document.identifier]) in page
    download = client.get(reverse("case_documents:download", args=[measures[karl.pk].document.identifier]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_skipped_contacts_are_named_and_not_ordered(client, cast):
    case = measles_case(cast.office_a)
    close = contact(cast.clerk_a, case, "Nah", "Nora", exposure=1)
    other = contact(cast.clerk_a, case, "Fern", "Fred", category="other", exposure=1)
    tracing.issue_quarantine_orders(actor=cast.clerk_a, infection_case=case, contacts=[close])
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(
        reverse("infection:quarantine_orders", args=[case.reference]),
        {"contact": [close.pk, other.pk]},
        follow=True,
        **EN,
    )
    page = response.content.decode()
    assert "Not ordered:" in page
    assert "Nora Nah (already has an active quarantine order)" in page
    assert "Fred Fern (no quarantine for this category or disease)" in page
    assert Measure.objects.count() == 1 and Document.objects.count() == 1


def test_bulk_with_nothing_selected_shows_a_message_and_changes_nothing(client, cast):
    case = measles_case(cast.office_a)
    contact(cast.clerk_a, case)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:quarantine_orders", args=[case.reference]), {}, **EN)
    assert response.status_code == 400
    assert "Please select at least one contact." in response.content.decode()
    assert not Measure.objects.exists() and not Case.objects.exists()


def test_bulk_with_another_cases_or_offices_contact_is_refused(client, cast):
    case = measles_case(cast.office_a)
    other_case = measles_case(cast.office_a)
    theirs = contact(cast.clerk_a, other_case)
    foreign_case = measles_case(cast.office_b)
    foreign = contact(cast.clerk_b, foreign_case, "Fremd", "Franz")
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:quarantine_orders", args=[case.reference])
    response = client.post(url, {"contact": [theirs.pk]}, **EN)
    assert response.status_code == 400 and "does not belong to this case" in response.content.decode()
    response = client.post(url, {"contact": [foreign.pk]}, **EN)
    assert response.status_code == 400 and "was not found" in response.content.decode()
    foreign_url = reverse("infection:quarantine_orders", args=[foreign_case.reference])
    assert client.post(foreign_url, {"contact": [foreign.pk]}, **EN).status_code == 404
    assert not Measure.objects.exists()


def test_a_failing_letter_rolls_back_only_that_contacts_order(client, cast, monkeypatch):
    """Each contact's order is a transaction of its own: the failing letter's contact gets no order
    and no document and is named with the reason; the others are ordered."""
    case = measles_case(cast.office_a)
    first = contact(cast.clerk_a, case, "Erst", "Emil", exposure=3)
    second = contact(cast.clerk_a, case, "Zweit", "Zoe", exposure=2)
    third = contact(cast.clerk_a, case, "Dritt", "Dora", exposure=1)
    real = letters.write_measure_letter

    def failing(**kwargs):
        if kwargs["measure"].contact_id == second.pk:
            raise RuntimeError("printer on fire")
        return real(**kwargs)

    monkeypatch.setattr(letters, "write_measure_letter", failing)
    result = tracing.issue_quarantine_orders(actor=cast.clerk_a, infection_case=case, contacts=[first, second, third])
    assert [m.contact_id for m in result.measures] == [first.pk, third.pk]
    assert result.skipped == [(second, "the letter could not be written")]
    assert set(Measure.objects.values_list("contact_id", flat=True)) == {first.pk, third.pk}
    assert Document.objects.count() == 2
    assert all(measure.document_id for measure in Measure.objects.all())
    assert Event.objects.filter(code="measure.issued").count() == 2
    assert AuditEvent.objects.filter(action="infection.measure.issue").count() == 2
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(
        reverse("infection:quarantine_orders", args=[case.reference]), {"contact": [second.pk]}, follow=True, **EN
    )
    assert "Zoe Zweit (the letter could not be written)" in response.content.decode()
    assert Measure.objects.count() == 2 and Document.objects.count() == 2


def test_the_letter_is_rendered_before_any_audit_event_of_its_transaction(cast, monkeypatch):
    """The audit chain lock (taken by audit.record until the transaction ends) is not held while a
    letter renders: no audit event is recorded between the start of an order and its rendering."""
    from oegd.cases import documents

    case = measles_case(cast.office_a)
    added = [contact(cast.clerk_a, case, "Erst", "Emil"), contact(cast.clerk_a, case, "Zweit", "Zoe")]
    letters.ensure_case_file(actor=cast.clerk_a, infection_case=case)
    letters.ensure_letter_templates(actor=cast.clerk_a, office=cast.office_a)
    audited_before_render = []
    real_render = documents.render_letter_pdf
    real_record = tracing.audit.record
    recorded = []

    def render(**kwargs):
        audited_before_render.append(len(recorded))
        return real_render(**kwargs)

    def record(*args, **kwargs):
        recorded.append(args[1])
        return real_record(*args, **kwargs)

    monkeypatch.setattr(documents, "render_letter_pdf", render)
    monkeypatch.setattr(documents.audit, "record", record)
    result = tracing.issue_quarantine_orders(actor=cast.clerk_a, infection_case=case, contacts=added)
    assert len(result.measures) == 2
    # per contact two audit events follow its rendering: document.create, infection.measure.issue
    assert audited_before_render == [0, 2]
    assert recorded == ["document.create", "infection.measure.issue"] * 2


def test_a_crafted_non_ascii_digit_is_a_bad_request_and_changes_nothing(client, cast):
    case = measles_case(cast.office_a)
    contact(cast.clerk_a, case)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:quarantine_orders", args=[case.reference]), {"contact": ["²"]}, **EN)
    assert response.status_code == 400
    assert "Please select at least one contact." in response.content.decode()
    assert not Measure.objects.exists() and not Case.objects.exists() and not Document.objects.exists()


def test_isolation_order_for_the_case_person(client, cast):
    case = measles_case(cast.office_a, onset_date=days_ago(1))
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:isolation_order", args=[case.reference])
    response = client.post(url, {"isolation-ends_on": ""}, **EN)
    assert response.status_code == 302
    measure = Measure.objects.get(kind="isolation")
    assert measure.person == case.person and measure.ends_on == days_ago(1) + timedelta(days=5)
    text = pdf_text(document_bytes(measure.document))
    assert "Ida Index" in text and "Absonderung" in text and "Isolation" in text
    again = client.post(url, {"isolation-ends_on": ""}, **EN)
    assert again.status_code == 400 and "already has an active isolation order" in again.content.decode()
    assert Measure.objects.count() == 1


def test_isolation_end_in_the_past_is_refused(client, cast):
    case = measles_case(cast.office_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(
        reverse("infection:isolation_order", args=[case.reference]), {"isolation-ends_on": days_ago(1)}, **EN
    )
    assert response.status_code == 400 and "already be over" in response.content.decode()
    assert not Measure.objects.exists()


def test_lifting_an_order(client, cast):
    case = measles_case(cast.office_a)
    added = contact(cast.clerk_a, case)
    measure = tracing.issue_quarantine_orders(actor=cast.clerk_a, infection_case=case, contacts=[added]).measures[0]
    login_staff(client, cast.clerk_b, cast.office_b)
    assert client.post(reverse("infection:measure_lift", args=[measure.pk]), **EN).status_code == 404
    measure.refresh_from_db()
    assert measure.status == "ordered"
    login_staff(client, cast.clerk_a, cast.office_a)
    client.post(reverse("infection:measure_lift", args=[measure.pk]), **EN)
    measure.refresh_from_db()
    assert measure.status == "lifted"
    again = client.post(reverse("infection:measure_lift", args=[measure.pk]), **EN)
    assert again.status_code == 400 and "already been lifted" in again.content.decode()
    # with the order lifted, a new one may be issued
    assert tracing.issue_quarantine_orders(actor=cast.clerk_a, infection_case=case, contacts=[added]).measures


def test_the_issue_journey_through_the_test_client(client, cast):
    """The browser journey's data flow without a browser (Chromium is not always installed):
    two notifications of one person with a typo, review and merge, contacts, bulk letters, outbreak."""
    from oegd.infection.models import Notification, Outbreak, PersonMatch
    from oegd.infection.tests.tracing_factories import ANNA, ingest_lab, review_variant

    office = cast.office_a
    now = timezone.now().replace(microsecond=0)
    first = ingest_lab(office, ANNA, 1, now - timedelta(days=1))
    second = ingest_lab(office, review_variant(), 2, now)
    case = first.infection_case
    assert second.state == Notification.State.REVIEW
    login_staff(client, cast.clerk_a, office)
    client.post(reverse("infection:notification_assign", args=[first.pk]), {"action": "me"}, **EN)
    first.refresh_from_db()
    assert first.assignee == cast.clerk_a
    match = PersonMatch.objects.get(status="pending")
    merge = client.post(reverse("infection_persons:match_merge", args=[match.pk]), {"keep": case.person_id}, **EN)
    assert merge.status_code == 302, merge.content.decode()[:2000]
    second.refresh_from_db()
    assert second.person_id == case.person_id
    if second.infection_case_id is None:
        client.post(reverse("infection:notification_link", args=[second.pk]), {"case": case.reference}, **EN)
        second.refresh_from_db()
        assert second.infection_case_id == case.pk
    for given, family in (("Karl", "Kontakt"), ("Lena", "Lieb")):
        response = client.post(
            reverse("infection:contact_add", args=[case.reference]),
            {
                "contact-given_name": given,
                "contact-family_name": family,
                "contact-category": "household",
                "contact-setting": "household",
                "contact-exposure_date": days_ago(1).isoformat(),
            },
            **EN,
        )
        assert response.status_code == 302
    ids = list(case.contacts.values_list("pk", flat=True))
    client.post(reverse("infection:quarantine_orders", args=[case.reference]), {"contact": ids}, **EN)
    assert Measure.objects.filter(infection_case=case, kind="quarantine").count() == 2
    client.post(
        reverse("infection:outbreaks"),
        {"outbreak-name": "Kita", "outbreak-disease": "msv", "outbreak-setting": "school"},
        **EN,
    )
    outbreak = Outbreak.objects.get()
    client.post(reverse("infection:case_outbreak_link", args=[case.reference]), {"outbreak": outbreak.reference}, **EN)
    assert list(outbreak.cases.all()) == [case]
    page = client.get(reverse("infection:outbreak", args=[outbreak.reference]), **EN).content.decode()
    assert "Kontakt, Karl" in page and "Quarantine order issued" in page
