"""Merging person records, undoing a merge, deciding review items; the batch duplicate search."""

from datetime import date

import pytest
from django.utils import timezone

from oegd.cases.models import Case, CaseSubject, Person
from oegd.core.models import AuditEvent
from oegd.infection.matching import find_duplicates
from oegd.infection.models import Contact, InfectionCase, Measure, Notification, PersonMatch, PersonMerge
from oegd.infection.persons import (
    AlreadyDecided,
    PersonMergeRefused,
    mark_distinct,
    merge_match,
    merge_persons,
    person_references,
    undo_merge,
)

pytestmark = pytest.mark.django_db


def person(office, given="Anna", family="Schmidt", born=date(1980, 3, 4), **kwargs):
    return Person.objects.create(office=office, given_name=given, family_name=family, birth_date=born, **kwargs)


_counter = iter(range(1, 10_000))


def infection_case(office, who, disease="msv"):
    return InfectionCase.objects.create(
        office=office, reference=f"IC-{next(_counter):05d}", person=who, disease=disease
    )


def notification(office, who):
    number = next(_counter)
    return Notification.objects.create(
        office=office,
        bundle_identifier=f"bundle-{number}",
        bundle_sha256="0" * 64,
        bundle="{}",
        kind=Notification.Kind.LABORATORY,
        notified_at=timezone.now(),
        person=who,
    )


def contact(office, index_case, who):
    return Contact.objects.create(
        office=office, index_case=index_case, person=who, category="close", exposure_date=date(2026, 11, 1)
    )


def linked_world(office):
    """Two records of one person, each with cases, notifications, contacts, measures and a case subject."""
    kept = person(office, street="", postal_code="", place="", phone="", email="anna@example.org")
    merged = person(office, street="Hauptstraße 5", postal_code="12345", place="Musterstadt", phone="0123 456")
    other = person(office, "Bernd", "Becker", date(1970, 1, 1))
    rows = {
        "kept_case": infection_case(office, kept),
        "merged_case": infection_case(office, merged),
        "merged_case_2": infection_case(office, merged, "cvd"),
        "kept_notification": notification(office, kept),
        "merged_notification": notification(office, merged),
    }
    index_case = infection_case(office, other)
    rows["merged_contact"] = contact(office, index_case, merged)
    rows["kept_contact"] = contact(office, infection_case(office, other, "cvd"), kept)
    rows["merged_measure"] = Measure.objects.create(
        office=office, kind="isolation", person=merged, starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 10)
    )
    file = Case.objects.create(office=office, reference=f"K-{next(_counter)}", case_type="x", title="Akte")
    rows["merged_subject"] = CaseSubject.objects.create(case=file, role="affected", person=merged)
    return kept, merged, rows


def snapshot(*people):
    """Every row that points at the given persons, per reference, and the persons' own fields."""
    state = {}
    for field in person_references():
        for who in people:
            pks = sorted(field.model._base_manager.filter(**{field.name: who}).values_list("pk", flat=True))
            state[(field.model._meta.label, field.name, who.pk)] = pks
    for who in people:
        fresh = Person.objects.get(pk=who.pk)
        state[("person", who.pk)] = (
            fresh.given_name, fresh.family_name, fresh.birth_date, fresh.street, fresh.postal_code, fresh.place,
            fresh.phone, fresh.email, fresh.sex, fresh.user_id, fresh.merged_into_id,
        )  # fmt: skip
    return state


def test_references_are_found_generically():
    labels = {(field.model._meta.label, field.name) for field in person_references()}
    assert {
        ("cases.CaseSubject", "person"),
        ("infection.InfectionCase", "person"),
        ("infection.Notification", "person"),
        ("infection.Contact", "person"),
        ("infection.Measure", "person"),
    } <= labels
    assert ("cases.Person", "merged_into") not in labels
    assert not any(label.startswith(("infection.PersonMatch", "infection.PersonMerge")) for label, _ in labels)


def test_merge_moves_every_reference_and_fills_empty_fields(cast):
    kept, merged, rows = linked_world(cast.office_a)
    merge = merge_persons(actor=cast.clerk_a, kept=kept, merged=merged)

    kept.refresh_from_db()
    merged.refresh_from_db()
    assert merged.merged_into == kept
    assert set(kept.infection_cases.values_list("pk", flat=True)) == {
        rows["kept_case"].pk, rows["merged_case"].pk, rows["merged_case_2"].pk
    }  # fmt: skip
    assert set(kept.notifications.values_list("pk", flat=True)) == {
        rows["kept_notification"].pk, rows["merged_notification"].pk
    }  # fmt: skip
    assert set(kept.infection_contacts.values_list("pk", flat=True)) == {
        rows["kept_contact"].pk, rows["merged_contact"].pk
    }  # fmt: skip
    assert list(kept.infection_measures.values_list("pk", flat=True)) == [rows["merged_measure"].pk]
    assert list(kept.case_links.values_list("pk", flat=True)) == [rows["merged_subject"].pk]
    assert not merged.infection_cases.exists() and not merged.case_links.exists()
    # kept had no address and no phone: taken from the merged record; its own e-mail stays
    assert (kept.street, kept.postal_code, kept.place, kept.phone) == (
        "Hauptstraße 5",
        "12345",
        "Musterstadt",
        "0123 456",
    )
    assert kept.email == "anna@example.org"
    assert merge.moved["infection.InfectionCase.person"] == sorted([rows["merged_case"].pk, rows["merged_case_2"].pk])
    assert set(merge.moved["_filled"]) == {"street", "postal_code", "place", "phone"}
    events = AuditEvent.objects.filter(action="infection.person.merged")
    assert {(event.object_type, event.object_id) for event in events} == {
        ("cases.person", str(kept.pk)), ("cases.person", str(merged.pk))
    }  # fmt: skip
    assert all(event.actor == cast.clerk_a and event.office == cast.office_a for event in events)


def test_merge_and_undo_restore_every_reference_exactly(cast):
    kept, merged, _rows = linked_world(cast.office_a)
    before = snapshot(kept, merged)
    merge = merge_persons(actor=cast.clerk_a, kept=kept, merged=merged)
    assert snapshot(kept, merged) != before

    undo_merge(actor=cast.clerk_a, merge=merge)

    assert snapshot(kept, merged) == before
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == cast.clerk_a
    assert AuditEvent.objects.filter(action="infection.person.merge_undone").count() == 2


def test_undo_keeps_fields_changed_after_the_merge(cast):
    kept, merged, _rows = linked_world(cast.office_a)
    merge = merge_persons(actor=cast.clerk_a, kept=kept, merged=merged)
    Person.objects.filter(pk=kept.pk).update(phone="0999 111")
    undo_merge(actor=cast.clerk_a, merge=merge)
    kept.refresh_from_db()
    assert kept.phone == "0999 111"
    assert kept.street == ""


def test_undo_twice_is_refused(cast):
    kept, merged, _rows = linked_world(cast.office_a)
    merge = merge_persons(actor=cast.clerk_a, kept=kept, merged=merged)
    undo_merge(actor=cast.clerk_a, merge=merge)
    state = snapshot(kept, merged)
    with pytest.raises(PersonMergeRefused, match="already been undone"):
        undo_merge(actor=cast.clerk_a, merge=merge)
    assert snapshot(kept, merged) == state


def test_merge_across_offices_is_refused(cast):
    kept = person(cast.office_a)
    merged = person(cast.office_b)
    infection_case(cast.office_b, merged)
    state = snapshot(kept, merged)
    with pytest.raises(PersonMergeRefused, match="same office"):
        merge_persons(actor=cast.clerk_a, kept=kept, merged=merged)
    assert snapshot(kept, merged) == state
    assert not PersonMerge.objects.exists()


def test_merging_an_already_merged_record_is_refused(cast):
    kept = person(cast.office_a)
    merged = person(cast.office_a)
    third = person(cast.office_a)
    merge_persons(actor=cast.clerk_a, kept=kept, merged=merged)
    with pytest.raises(PersonMergeRefused):
        merge_persons(actor=cast.clerk_a, kept=third, merged=merged)
    with pytest.raises(PersonMergeRefused):
        merge_persons(actor=cast.clerk_a, kept=kept, merged=kept)


def test_contact_unique_clash_is_refused_with_nothing_changed(cast):
    kept = person(cast.office_a)
    merged = person(cast.office_a)
    index_case = infection_case(cast.office_a, person(cast.office_a, "Bernd", "Becker"))
    contact(cast.office_a, index_case, kept)
    contact(cast.office_a, index_case, merged)
    infection_case(cast.office_a, merged)
    state = snapshot(kept, merged)
    with pytest.raises(PersonMergeRefused, match="contact"):
        merge_persons(actor=cast.clerk_a, kept=kept, merged=merged)
    assert snapshot(kept, merged) == state
    assert not PersonMerge.objects.exists()
    assert not AuditEvent.objects.filter(action="infection.person.merged").exists()


def test_undo_is_refused_when_the_kept_record_was_merged_since(cast):
    first = person(cast.office_a)
    second = person(cast.office_a)
    third = person(cast.office_a)
    merge = merge_persons(actor=cast.clerk_a, kept=first, merged=second)
    merge_persons(actor=cast.clerk_a, kept=third, merged=first)
    with pytest.raises(PersonMergeRefused, match="Undo that merge first"):
        undo_merge(actor=cast.clerk_a, merge=merge)


def test_merge_match_decides_the_review_item(cast):
    older = person(cast.office_a)
    newer = person(cast.office_a, "Ana")
    match = PersonMatch.objects.create(office=cast.office_a, person=newer, candidate=older, score=0.8)
    merge = merge_match(actor=cast.clerk_a, match=match, keep=older)
    match.refresh_from_db()
    assert match.status == PersonMatch.Status.MERGED and match.decided_by == cast.clerk_a
    assert merge.kept == older and merge.merged == newer
    undo_merge(actor=cast.clerk_a, merge=merge)
    match.refresh_from_db()
    assert match.status == PersonMatch.Status.PENDING


def test_deciding_twice_is_refused(cast):
    older = person(cast.office_a)
    newer = person(cast.office_a, "Ana")
    match = PersonMatch.objects.create(office=cast.office_a, person=newer, candidate=older, score=0.8)
    mark_distinct(actor=cast.clerk_a, match=match)
    match.refresh_from_db()
    assert match.status == PersonMatch.Status.DISTINCT
    assert AuditEvent.objects.filter(action="infection.person.marked_distinct").count() == 1
    with pytest.raises(AlreadyDecided):
        mark_distinct(actor=cast.clerk_a, match=match)
    with pytest.raises(AlreadyDecided):
        merge_match(actor=cast.clerk_a, match=match, keep=older)
    newer.refresh_from_db()
    assert newer.merged_into is None
    assert not PersonMerge.objects.exists()


def test_find_duplicates_writes_pending_pairs_once(cast):
    anna = person(cast.office_a, "Anna", "Müller", sex="female", postal_code="12345", street="Hauptstraße 5")
    anna_again = person(cast.office_a, "Anna", "Mueller", sex="female", postal_code="12345", street="Hauptstr. 5")
    person(cast.office_a, "Mehmet", "Öztürk", sex="male", postal_code="12399")
    person(cast.office_b, "Anna", "Müller", sex="female", postal_code="12345", street="Hauptstraße 5")

    assert find_duplicates(cast.office_a) == 1
    match = PersonMatch.objects.get()
    assert (match.person, match.candidate, match.office) == (anna_again, anna, cast.office_a)
    assert match.score >= 0.5
    assert find_duplicates(cast.office_a) == 0  # already in the queue

    mark_distinct(actor=cast.clerk_a, match=match)
    assert find_duplicates(cast.office_a) == 0  # decided: not suggested again


def test_find_duplicates_ignores_merged_persons(cast):
    anna = person(cast.office_a, "Anna", "Müller")
    person(cast.office_a, "Anna", "Mueller", merged_into=anna)
    assert find_duplicates(cast.office_a) == 0


def test_the_nightly_duplicate_search_is_registered_and_runs(cast):
    from datetime import timedelta

    from oegd.core.tasks import PERIODIC_JOBS
    from oegd.infection.tasks import find_duplicate_persons_nightly

    job = next(job for job in PERIODIC_JOBS if job.name == "find_duplicate_persons")
    assert job.every == timedelta(days=1) and job.task is find_duplicate_persons_nightly
    person(cast.office_a, "Anna", "Müller")
    person(cast.office_a, "Anna", "Mueller")
    person(cast.office_b, "Jürgen", "Weiß", date(1960, 5, 6))
    person(cast.office_b, "Juergen", "Weiss", date(1960, 5, 6))
    result = find_duplicate_persons_nightly.enqueue()
    assert result.return_value == 2
    assert set(PersonMatch.objects.values_list("office_id", flat=True)) == {cast.office_a.pk, cast.office_b.pk}


def test_find_duplicate_persons_command(cast):
    from io import StringIO

    from django.core.management import CommandError, call_command

    person(cast.office_a, "Anna", "Müller")
    person(cast.office_a, "Anna", "Mueller")
    out = StringIO()
    call_command("find_duplicate_persons", office=cast.office_a.slug, stdout=out)
    assert "1 new possible duplicates" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("find_duplicate_persons", office="nowhere")
