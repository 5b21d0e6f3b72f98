"""Reads of contact tracing, follow-up calls, outbreaks and measures, always scoped to the acting
staff member's office (another office's row → 404). Reads of one person's health data are audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.models import Office, User
from oegd.infection import catalogue
from oegd.infection.models import Contact, Event, FollowUpCall, InfectionCase, Measure, Outbreak
from oegd.infection.selectors import (
    find_infection_case,  # noqa: F401 - the typed-reference lookup
    get_infection_case_for_user,  # noqa: F401 - the one scoped case lookup
)

CALL_VIEWS = ("mine", "all")
OUTBREAK_LIST_LIMIT = 200


# --- contacts ------------------------------------------------------------------------------------


def contacts_of_case(infection_case: InfectionCase) -> QuerySet[Contact]:
    """The contacts of a case with their persons, by last exposure."""
    return (
        Contact.objects.filter(index_case=infection_case, office_id=infection_case.office_id)
        .select_related("person", "became_case")
        .order_by("exposure_date", "pk")
    )


def contacts_of_office(*, office: Office, ids: list[int]) -> QuerySet[Contact]:
    """The office's contacts among ``ids`` (other offices' ids are simply not found)."""
    return Contact.objects.filter(office=office, pk__in=ids)


def get_contact_for_user(*, user: User, office: Office, pk: int) -> Contact:
    """A contact of the active office; 404 for every other office's. The read is audited."""
    contact = get_object_or_404(
        Contact.objects.select_related("person", "index_case", "became_case"), office=office, pk=pk
    )
    audit.record(user, "infection.contact.read", contact, office=office)
    return contact


def calls_of_contact(contact: Contact) -> QuerySet[FollowUpCall]:
    return FollowUpCall.objects.filter(contact=contact).select_related("assignee", "done_by").order_by("due_on", "pk")


def symptomatic_contacts(infection_case: InfectionCase) -> set[int]:
    """Ids of the case's active contacts that reported symptoms in a call (suggest "became a case")."""
    return set(
        FollowUpCall.objects.filter(
            contact__index_case=infection_case, contact__status=Contact.Status.ACTIVE, symptoms_reported=True
        ).values_list("contact_id", flat=True)
    )


# --- follow-up calls -----------------------------------------------------------------------------


def calls_due(
    *, user: User, office: Office, view: str = "mine", today: date | None = None, limit: int = 500
) -> list[FollowUpCall]:
    """The open calls due today or overdue (Anrufliste), oldest first; ``view`` "mine" = assigned to
    the user, "all" = the whole office. Uses the ``followup_due`` index (office, status, due_on)."""
    today = today or timezone.localdate()
    rows = FollowUpCall.objects.filter(office=office, status=FollowUpCall.Status.OPEN, due_on__lte=today)
    if view == "mine":
        rows = rows.filter(assignee=user)
    return list(
        rows.select_related("contact__person", "contact__index_case", "assignee").order_by("due_on", "pk")[:limit]
    )


def get_call_for_user(*, office: Office, pk: int) -> FollowUpCall:
    """A follow-up call of the active office; 404 for every other office's."""
    return get_object_or_404(FollowUpCall.objects.select_related("contact__index_case"), office=office, pk=pk)


# --- measures ------------------------------------------------------------------------------------


def measures_of_case(infection_case: InfectionCase) -> QuerySet[Measure]:
    """The orders of a case: the isolation of its person and the quarantine of its contacts."""
    return (
        Measure.objects.filter(infection_case=infection_case, office_id=infection_case.office_id)
        .select_related("person", "document", "contact")
        .order_by("-issued_at", "-pk")
    )


def active_quarantine_contacts(infection_case: InfectionCase) -> set[int]:
    """Ids of the case's contacts with a quarantine order in force today."""
    return set(
        Measure.objects.filter(
            infection_case=infection_case,
            kind=Measure.Kind.QUARANTINE,
            status=Measure.Status.ORDERED,
            ends_on__gte=timezone.localdate(),
        ).values_list("contact_id", flat=True)
    )


def get_measure_for_user(*, office: Office, pk: int) -> Measure:
    return get_object_or_404(Measure.objects.select_related("infection_case", "contact"), office=office, pk=pk)


# --- outbreaks -----------------------------------------------------------------------------------


def outbreaks_of_office(*, office: Office, status: str = "") -> QuerySet[Outbreak]:
    """The office's outbreaks, newest first, with the number of member cases."""
    rows = Outbreak.objects.filter(office=office)
    if status:
        rows = rows.filter(status=status)
    return rows.annotate(case_count=Count("cases", distinct=True)).order_by("-opened_at", "-pk")[:OUTBREAK_LIST_LIMIT]


def find_outbreak(*, office: Office, reference: str) -> Outbreak | None:
    """The office's outbreak with this reference, or None (other offices' outbreaks are not found)."""
    return Outbreak.objects.filter(office=office, reference=reference).first() if reference else None


def outbreaks_of_case(infection_case: InfectionCase) -> QuerySet[Outbreak]:
    return infection_case.outbreaks.filter(office_id=infection_case.office_id).order_by("-opened_at")


def outbreaks_to_link(infection_case: InfectionCase) -> QuerySet[Outbreak]:
    """Open outbreaks of the case's office and disease that the case is not yet part of."""
    entry = catalogue.disease_for_code(infection_case.disease)
    key = entry.key if entry else infection_case.disease
    return (
        Outbreak.objects.filter(office_id=infection_case.office_id, status=Outbreak.Status.OPEN, disease=key)
        .exclude(cases=infection_case)
        .order_by("-opened_at")
    )


def get_outbreak_for_user(*, user: User, office: Office, reference: str) -> Outbreak:
    """An outbreak of the active office; 404 for every other office's. The read is audited."""
    outbreak = get_object_or_404(Outbreak.objects.select_related("created_by"), office=office, reference=reference)
    audit.record(user, "infection.outbreak.read", outbreak, office=office)
    return outbreak


def cases_of_outbreak(outbreak: Outbreak) -> QuerySet[InfectionCase]:
    return (
        outbreak.cases.filter(office_id=outbreak.office_id)
        .select_related("person")
        .annotate(contact_count=Count("contacts", distinct=True))
        .order_by("notified_at", "pk")
    )


def contacts_of_outbreak(outbreak: Outbreak) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(office_id=outbreak.office_id, index_case__outbreaks=outbreak)
        .select_related("person", "index_case")
        .order_by("exposure_date", "pk")
    )


@dataclass(frozen=True)
class TimelineLine:
    """One line of an outbreak's timeline."""

    at: datetime
    label: str
    reference: str = ""  # the case concerned, if any
    text: str = ""
    actor: Any = None


def _start_of(day: date) -> datetime:
    # the same as selectors._day_start, which is private to that module
    return timezone.make_aware(datetime.combine(day, time.min))


def outbreak_timeline(outbreak: Outbreak, limit: int = 500) -> list[TimelineLine]:
    """The outbreak's history in order: its member cases' onsets and notifications, contacts added,
    orders issued, and the outbreak's own events (opened, cases linked, notes, closed). At most
    the newest ``limit`` lines: each source is read newest first up to ``limit`` rows, then the
    lines are merged and the oldest beyond ``limit`` dropped."""
    lines: list[TimelineLine] = []
    cases = list(outbreak.cases.filter(office_id=outbreak.office_id).order_by("-notified_at", "-pk")[:limit])
    for case in cases:
        if case.onset_date:
            lines.append(
                TimelineLine(at=_start_of(case.onset_date), label=_("Onset of illness"), reference=case.reference)
            )
        lines.append(TimelineLine(at=case.notified_at, label=_("Case notified"), reference=case.reference))
    case_ids = [case.pk for case in cases]
    contacts = (
        Contact.objects.filter(index_case_id__in=case_ids)
        .select_related("index_case", "created_by")
        .order_by("-created_at", "-pk")[:limit]
    )
    for contact in contacts:
        lines.append(
            TimelineLine(
                at=contact.created_at,
                label=_("Contact added (%(category)s)") % {"category": contact.get_category_display()},
                reference=contact.index_case.reference,
                actor=contact.created_by,
            )
        )
    measures = (
        Measure.objects.filter(infection_case_id__in=case_ids)
        .select_related("infection_case", "issued_by")
        .order_by("-issued_at", "-pk")[:limit]
    )
    for measure in measures:
        lines.append(
            TimelineLine(
                at=measure.issued_at,
                label=_("%(kind)s issued, until %(date)s")
                % {"kind": measure.get_kind_display(), "date": date_format(measure.ends_on, "SHORT_DATE_FORMAT")},
                reference=measure.infection_case.reference if measure.infection_case else "",
                actor=measure.issued_by,
            )
        )
    labels = {
        "outbreak.opened": _("Outbreak opened"),
        "outbreak.case_added": _("Case linked"),
        "outbreak.case_removed": _("Case unlinked"),
        "outbreak.note": _("Note"),
        "outbreak.closed": _("Outbreak closed"),
    }
    for event in Event.objects.filter(outbreak=outbreak).select_related("actor").order_by("-at", "-pk")[:limit]:
        lines.append(
            TimelineLine(
                at=event.at,
                label=labels.get(event.code, event.code),
                reference=str(event.data.get("case", "")) if isinstance(event.data, dict) else "",
                text=event.text,
                actor=event.actor,
            )
        )
    lines.reverse()  # each source was read newest first; equal times then keep their rows' order
    lines.sort(key=lambda line: line.at)
    return lines[-limit:] if limit > 0 else []
