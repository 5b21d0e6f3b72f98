"""The journey of issue 7 in Chromium, axe-core on every page: two DEMIS notifications of the same
person (the second with a typo) arrive; staff triage the inbox item, merge the duplicate person
(the second notification then joins the case), add contacts on the case page, issue quarantine letters in bulk and
link the case to an outbreak."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oegd.cases.documents import document_bytes
from oegd.infection.models import Contact, InfectionCase, Measure, Notification, Outbreak, PersonMatch
from oegd.infection.tests.tracing_factories import ANNA, pdf_text, review_variant
from oegd.infection.tests.tracing_factories import ingest_lab as _ingest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")


def test_staff_walk_the_infection_journey(page, log_in_as, axe_check, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    office = cast.office_a
    now = timezone.now().astimezone(BERLIN).replace(microsecond=0)
    first = _ingest(office, ANNA, 1, now - timedelta(days=1))
    second = _ingest(office, review_variant(), 2, now)
    case = first.infection_case
    assert case is not None and case.disease == "msv"
    assert second.state == Notification.State.REVIEW, "the typo variant should go to the duplicate review"
    log_in_as(cast.clerk_a, office)

    # 1. Triage: the inbox, the first notification, assign it to me, open its case.
    page.goto("/staff/infection/inbox/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)
    page.goto(f"/staff/infection/notifications/{first.pk}/")
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Assign to me").click()
    first.refresh_from_db()
    assert first.assignee == cast.clerk_a
    page.get_by_role("link", name=case.reference).first.click()
    expect(page).to_have_url(re.compile(f"/staff/infection/cases/{case.reference}/$"))
    axe_check(page)

    # 2. The duplicate: review queue, open the pair, merge.
    match = PersonMatch.objects.get(status=PersonMatch.Status.PENDING)
    page.goto("/staff/infection/persons/review/")
    axe_check(page)
    page.get_by_role("link", name=f"Compare {match.person}").click()
    axe_check(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Same person: merge").click()
    match.refresh_from_db()
    assert match.status == PersonMatch.Status.MERGED

    # The second notification waited for the review without a case; after the merge it is on ours.
    second.refresh_from_db()
    assert second.person_id == case.person_id
    assert second.infection_case_id == case.pk and second.state == Notification.State.ASSIGNED
    assert InfectionCase.objects.filter(person=case.person, disease="msv").count() == 1
    assert case.lab_results.count() == 2

    # 3. Contacts on the case page.
    page.goto(f"/staff/infection/cases/{case.reference}/")
    for given, family, category, days in (("Karl", "Kontakt", "household", 1), ("Lena", "Lieb", "close", 2)):
        page.get_by_text("Add contact", exact=True).first.click()
        page.locator("#id_contact-given_name").fill(given)
        page.locator("#id_contact-family_name").fill(family)
        page.locator("#id_contact-category").select_option(category)
        page.locator("#id_contact-exposure_date").fill((timezone.localdate() - timedelta(days=days)).isoformat())
        page.locator("form[action$='/contacts/add/'] button[type=submit]").click()
        expect(page.get_by_text(f"{given} {family} is recorded as a contact.")).to_be_visible()
    expect(page.get_by_role("link", name="Kontakt, Karl")).to_be_visible()
    axe_check(page)

    # 4. Quarantine letters in bulk.
    page.get_by_label("Select Karl Kontakt").check()
    page.get_by_label("Select Lena Lieb").check()
    page.get_by_role("button", name="Issue quarantine orders").click()
    expect(page.get_by_text("2 quarantine order(s) issued")).to_be_visible()
    expect(page.get_by_role("link", name="Letter to Kontakt (PDF)")).to_be_visible()
    expect(page.get_by_role("link", name="Letter to Lieb (PDF)")).to_be_visible()
    axe_check(page)
    karl = Contact.objects.get(person__family_name="Kontakt")
    letter = Measure.objects.get(contact=karl).document
    text = pdf_text(document_bytes(letter))
    assert "Karl Kontakt" in text and "Quarantäne" in text
    with page.expect_download() as download:
        page.get_by_role("link", name="Letter to Kontakt (PDF)").click()
    assert download.value.suggested_filename.endswith(".pdf")

    # 5. An outbreak, and the case linked to it from the case panel.
    page.goto("/staff/infection/outbreaks/")
    axe_check(page)
    page.get_by_label("Name", exact=True).fill("Kita Sonnenschein")
    page.get_by_label("Disease", exact=True).select_option("msv")
    page.get_by_label("Setting", exact=True).select_option("school")
    page.get_by_role("button", name="Open outbreak").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kita Sonnenschein")
    outbreak = Outbreak.objects.get()
    axe_check(page)
    page.goto(f"/staff/infection/cases/{case.reference}/")
    page.get_by_label("Link to outbreak").select_option(outbreak.reference)
    page.get_by_role("button", name="Link to outbreak").click()
    expect(page.get_by_role("link", name="Kita Sonnenschein")).to_be_visible()
    page.get_by_role("link", name="Kita Sonnenschein").click()
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    expect(page.get_by_text("Quarantine order issued").first).to_be_visible()
    axe_check(page)
    assert list(outbreak.cases.all()) == [InfectionCase.objects.get(pk=case.pk)]

    # The call list has today's calls for the two contacts.
    page.goto("/staff/infection/calls/?view=all")
    expect(page.get_by_role("link", name="Kontakt, Karl")).to_be_visible()
    axe_check(page)
