"""Reads of infection protection: the notification inbox, the case directory, one case and its
timeline, always scoped to the acting staff member's office (other offices' rows → 404).

The lists are built for offices with a million cases: a page is ONE query on the indexes of
``InfectionCase.Meta.indexes`` / ``Notification.Meta.indexes`` (office, filter column, newest
first) with LIMIT page size + 1 — never a COUNT over the office. Counts per inbox tab are capped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from oegd.cases.models import Person
from oegd.core import audit
from oegd.core.models import Office, User
from oegd.infection.models import (
    Event,
    Forwarding,
    InfectionCase,
    LabResult,
    Notification,
    PersonMatch,
    RefusedBundle,
    SavedView,
)

UNASSIGNED = "unassigned"
MINE = "me"
# What a typed (part of a) case reference looks like, e.g. "IF-7QM2" or "if-7q".
_REFERENCE_LIKE = re.compile(r"[0-9A-Z-]+")


def _looks_like_reference(query: str) -> bool:
    upper = query.upper()
    if not _REFERENCE_LIKE.fullmatch(upper):
        return False
    return upper.startswith("IF-") or any(char.isdigit() for char in upper)  # names hold no digits


# --- notifications (Meldungen) ---------------------------------------------------------------------


# Who is responsible for a notification, by the residence of the notified person (§ 11 IfSG).
RESPONSIBILITY_OURS, RESPONSIBILITY_OTHER, RESPONSIBILITY_UNCLEAR = "ours", "other", "unclear"


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is narrowed to; empty values filter nothing."""

    state: str = ""
    disease: str = ""
    pathogen: str = ""
    kind: str = ""
    assignee: str = ""  # "me", "unassigned" or ""
    responsibility: str = ""  # "ours", "other" (another authority: forward by hand), "unclear" or ""
    received_from: date | None = None
    received_to: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def inbox(*, user: User, office: Office, filters: InboxFilters | None = None) -> QuerySet[Notification]:
    """The office's notifications, newest received first, narrowed by ``filters``.

    Each filter column leads one of the ``notif_inbox_*`` indexes after the office, so the first
    page is an index scan in ``received_at`` order that stops after one page.
    """
    filters = filters or InboxFilters()
    rows = Notification.objects.filter(office=office)
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.disease:
        rows = rows.filter(disease=filters.disease)
    if filters.pathogen:
        rows = rows.filter(pathogen=filters.pathogen)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.assignee == MINE:
        rows = rows.filter(assignee=user)
    elif filters.assignee == UNASSIGNED:
        rows = rows.filter(assignee__isnull=True)
    if filters.responsibility == RESPONSIBILITY_OURS:
        rows = rows.filter(responsible_code=office.rki_code) if office.rki_code else rows.none()
    elif filters.responsibility == RESPONSIBILITY_OTHER:
        rows = rows.exclude(responsible_code="").exclude(responsible_code=office.rki_code)
    elif filters.responsibility == RESPONSIBILITY_UNCLEAR:
        rows = rows.filter(responsible_code="")
    if filters.received_from:
        rows = rows.filter(received_at__gte=_day_start(filters.received_from))
    if filters.received_to:
        rows = rows.filter(received_at__lt=_day_start(filters.received_to + timedelta(days=1)))
    # The (encrypted, large) bundle is not needed for a list; deferring it skips its TOAST reads.
    rows = rows.select_related("person", "assignee", "infection_case").defer("bundle")
    return rows.order_by("-received_at", "-id")


def inbox_counts(*, office: Office, cap: int) -> dict[str, tuple[int, bool]]:
    """Per state: how many notifications (counting at most ``cap`` + 1; (cap, True) = "more")."""
    counts = {}
    for state in Notification.State.values:
        found = Notification.objects.filter(office=office, state=state).order_by()[: cap + 1].count()
        counts[state] = (min(found, cap), found > cap)
    return counts


def get_notification_for_user(*, user: User, office: Office, pk: int, audited: bool = True) -> Notification:
    """A notification of the active office; 404 for every other office's. The read of its health
    data is audited."""
    notification = get_object_or_404(
        Notification.objects.select_related("office", "person", "assignee", "infection_case"),
        office=office,
        pk=pk,
    )
    if audited:
        audit.record(user, "infection.notification.read", notification, office=office)
    return notification


def refused_bundles(*, office: Office) -> QuerySet[RefusedBundle]:
    """Fetched bundles the office's pull client refused, latest first (without the bundle itself)."""
    return RefusedBundle.objects.filter(office=office).defer("bundle").order_by("-last_seen_at")


def notifications_of_office(*, office: Office, ids: list[int]) -> QuerySet[Notification]:
    """The office's notifications among ``ids`` (others are silently left out)."""
    return Notification.objects.filter(office=office, pk__in=ids)


def forwardings_of(notification: Notification) -> QuerySet[Forwarding]:
    return notification.forwardings.select_related("from_office", "to_office", "forwarded_by").order_by("forwarded_at")


def lab_results_of_notification(notification: Notification) -> QuerySet[LabResult]:
    return LabResult.objects.filter(notification=notification).order_by("-reported_at", "-id")


def cases_of_person(*, office: Office, person: Person | None) -> QuerySet[InfectionCase]:
    """The office's infection cases of a person (to link a notification to), newest first."""
    if person is None:
        return InfectionCase.objects.none()
    return InfectionCase.objects.filter(office=office, person=person).order_by("-notified_at")


def related_notifications(*, office: Office, notification: Notification, limit: int = 20) -> list[Notification]:
    """Other notifications of the same person not yet on a case: candidates to link to the same case."""
    if notification.person_id is None:
        return []
    rows = (
        Notification.objects.filter(office=office, person_id=notification.person_id, infection_case__isnull=True)
        .exclude(pk=notification.pk)
        .order_by("-received_at")
    )
    return list(rows[:limit])


def unlinked_notifications_of_person(*, office: Office, case: InfectionCase, limit: int = 20) -> list[Notification]:
    """Notifications of the case's person not linked to any case (for "link to this case")."""
    if case.person_id is None:
        return []
    rows = Notification.objects.filter(office=office, person_id=case.person_id, infection_case__isnull=True)
    return list(rows.order_by("-received_at")[:limit])


def other_offices(office: Office) -> QuerySet[Office]:
    """The platform's other offices (receivers of a § 11 forwarding)."""
    return Office.objects.exclude(pk=office.pk).order_by("name")


def pending_person_matches(*, office: Office, cap: int = 100) -> tuple[int, bool]:
    """How many possible duplicates wait for review (capped)."""
    found = PersonMatch.objects.filter(office=office, status=PersonMatch.Status.PENDING).order_by()[: cap + 1].count()
    return min(found, cap), found > cap


# --- infection cases (Meldefälle) -------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFilters:
    """What the case directory is narrowed to; empty values filter nothing."""

    status: str = ""
    disease: str = ""
    classification: str = ""
    assignee: str = ""  # "me", "unassigned" or ""
    notified_from: date | None = None
    notified_to: date | None = None
    postal_code: str = ""  # prefix
    query: str = ""  # reference prefix or family-name prefix
    oldest_first: bool = False  # sort by notification date ascending instead of newest first


def _digit_prefix_range(prefix: str) -> dict[str, str]:
    """``postal_code`` bounds of a digit prefix ("157" → >= "157", < "158"): a range a plain B-tree
    index on (office, postal_code, …) can serve, which LIKE 'x%' cannot under a non-C collation."""
    if not prefix.isdigit():
        return {}
    bounds = {"postal_code__gte": prefix}
    if prefix.strip("9"):
        bounds["postal_code__lt"] = str(int(prefix) + 1).zfill(len(prefix))
    return bounds


def case_directory(*, user: User, office: Office, filters: CaseFilters | None = None) -> QuerySet[InfectionCase]:
    """The office's infection cases, newest notified first (or oldest first), narrowed by ``filters``.

    Status, disease, classification and assignee each lead an ``infcase_dir_*`` index after the
    office (the date range is the index's second part), so a page is one index scan with LIMIT.
    The search matches the start of the reference (unique index) or of the person's family name
    (``person_family_name_prefix``: office, UPPER(family_name) text_pattern_ops).
    """
    filters = filters or CaseFilters()
    rows = InfectionCase.objects.filter(office=office)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.disease:
        rows = rows.filter(disease=filters.disease)
    if filters.classification:
        rows = rows.filter(classification=filters.classification)
    if filters.assignee == MINE:
        rows = rows.filter(assignee=user)
    elif filters.assignee == UNASSIGNED:
        rows = rows.filter(assignee__isnull=True)
    if filters.notified_from:
        rows = rows.filter(notified_at__gte=_day_start(filters.notified_from))
    if filters.notified_to:
        rows = rows.filter(notified_at__lt=_day_start(filters.notified_to + timedelta(days=1)))
    if filters.postal_code:
        rows = rows.filter(postal_code__startswith=filters.postal_code, **_digit_prefix_range(filters.postal_code))
    query = " ".join(filters.query.split())[:100]
    if query:
        if _looks_like_reference(query):
            rows = rows.filter(reference__startswith=query.upper())
        else:
            persons = Person.objects.filter(office=office, family_name__istartswith=query).values("pk")
            rows = rows.filter(person_id__in=persons)
    ordering = ("notified_at", "id") if filters.oldest_first else ("-notified_at", "-id")
    return rows.select_related("person", "assignee").order_by(*ordering)


def get_infection_case_for_user(*, user: User, office: Office, reference: str, audited: bool = True) -> InfectionCase:
    """An infection case of the active office; 404 for every other office's. The read is audited."""
    case = get_object_or_404(
        InfectionCase.objects.select_related("office", "person", "assignee", "team"),
        office=office,
        reference=reference,
    )
    if audited:
        audit.record(user, "infection.case.read", case, office=office)
    return case


def find_infection_case(*, office: Office, reference: str) -> InfectionCase | None:
    """The office's case with a typed reference (spaces and letter case do not matter)."""
    reference = "".join(reference.split()).upper()
    if not reference:
        return None
    return InfectionCase.objects.filter(office=office, reference=reference).first()


def lab_results_of(case: InfectionCase) -> QuerySet[LabResult]:
    return case.lab_results.order_by("-reported_at", "-id")


def notifications_of_case(case: InfectionCase) -> QuerySet[Notification]:
    return case.notifications.order_by("-received_at")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a case's timeline."""

    at: datetime | None
    kind: str  # "event", "notification", "lab"
    code: str
    actor: Any
    text: str
    data: dict
    obj: Any = None


def case_timeline(case: InfectionCase, limit: int = 200) -> list[TimelineEntry]:
    """What happened on the case, newest first: its events (with staff notes), the notifications
    received for it and its lab results."""
    entries: list[TimelineEntry] = []
    for event in case.events.select_related("actor").order_by("-at", "-pk")[:limit]:
        entries.append(TimelineEntry(event.at, "event", event.code, event.actor, event.text, event.data, event))
    for notification in case.notifications.order_by("-received_at")[:limit]:
        entries.append(
            TimelineEntry(
                notification.received_at,
                "notification",
                notification.kind,
                None,
                notification.notifier,
                {},
                notification,
            )
        )
    for result in case.lab_results.order_by("-reported_at")[:limit]:
        entries.append(
            TimelineEntry(result.reported_at or result.collected_at, "lab", result.interpretation, None, "", {}, result)
        )
    epoch = datetime.min.replace(tzinfo=UTC)
    entries.sort(key=lambda entry: entry.at or epoch, reverse=True)
    return entries[:limit]


def events_of(case: InfectionCase) -> QuerySet[Event]:
    return case.events.select_related("actor").order_by("-at", "-pk")


# --- saved views ----------------------------------------------------------------------------------


def saved_views(*, user: User, office: Office, page: str) -> QuerySet[SavedView]:
    """The staff member's own saved filters of one page (``cases`` or ``inbox``)."""
    return SavedView.objects.filter(owner=user, office=office, page=page).order_by("name")


def get_saved_view_for_user(*, user: User, office: Office, pk: int) -> SavedView:
    """One of the staff member's own saved views; 404 for anyone else's."""
    return get_object_or_404(SavedView, owner=user, office=office, pk=pk)
