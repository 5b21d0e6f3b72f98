"""Reads of person records and their duplicates for the staff pages; always scoped to one office."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from oegd.cases.models import Person
from oegd.core import audit
from oegd.core.models import Office, User
from oegd.infection.matching import COMPARISONS, compare, person_record
from oegd.infection.models import PersonMatch, PersonMerge

# Comparison levels that count as "agrees" on the pair page.
AGREEING_LEVELS = {"exact", "swapped", "jw92", "day_month_swapped"}


def review_queue(office: Office) -> QuerySet[PersonMatch]:
    """Pending possible duplicates of the office, best score first; pairs with a record merged in the
    meantime are left out (they come back if that merge is undone)."""
    return (
        PersonMatch.objects.filter(office=office, status=PersonMatch.Status.PENDING)
        .filter(person__merged_into__isnull=True, candidate__merged_into__isnull=True)
        .select_related("person", "candidate")
        .order_by("-score", "pk")
    )


def get_match_for_user(*, user: User, office: Office, pk: int) -> PersonMatch:
    """A review item of the active office (404 otherwise); showing it is a read of both persons' data."""
    match = get_object_or_404(PersonMatch.objects.select_related("person", "candidate", "office"), office=office, pk=pk)
    audit.record(user, "infection.person.read", match.person, office=office)
    audit.record(user, "infection.person.read", match.candidate, office=office)
    return match


def get_match_for_update(*, office: Office, pk: int) -> PersonMatch:
    return get_object_or_404(PersonMatch.objects.select_related("person", "candidate"), office=office, pk=pk)


def get_person_for_user(*, user: User, office: Office, pk: int) -> Person:
    """A person record of the active office (404 otherwise); the read is audited."""
    person = get_object_or_404(Person.objects.select_related("merged_into"), office=office, pk=pk)
    audit.record(user, "infection.person.read", person, office=office)
    return person


def get_merge_for_office(*, office: Office, pk: int) -> PersonMerge:
    return get_object_or_404(PersonMerge.objects.select_related("kept", "merged"), office=office, pk=pk)


def merges_of(person: Person) -> list[PersonMerge]:
    """The merges this record took part in, newest first."""
    return list(
        PersonMerge.objects.filter(Q(kept=person) | Q(merged=person))
        .select_related("kept", "merged", "merged_by", "undone_by")
        .order_by("-merged_at", "-pk")
    )


def counts_of(person: Person) -> dict[str, int]:
    return {
        "cases": person.infection_cases.count(),
        "contacts": person.infection_contacts.count(),
        "notifications": person.notifications.count(),
        "measures": person.infection_measures.count(),
        "files": person.case_links.count(),
    }


def infection_cases_of(person: Person) -> list:
    return list(person.infection_cases.order_by("-notified_at")[:100])


def contacts_of(person: Person) -> list:
    return list(person.infection_contacts.select_related("index_case").order_by("-exposure_date")[:100])


def notifications_of(person: Person) -> list:
    return list(person.notifications.order_by("-received_at")[:100])


def field_agreement(first: Person, second: Person) -> list[tuple[str, str, bool]]:
    """Per comparison of the matching model: (comparison, level, agrees) for the pair page."""
    levels = compare(person_record(first), person_record(second))
    return [(name, levels[name], levels[name] in AGREEING_LEVELS) for name in COMPARISONS]
