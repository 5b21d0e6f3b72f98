"""Writes on notifications (Meldungen) and infection cases (Meldefälle) by staff: assignment,
triage (link to a case, open a case, mark done), the case's clinical facts, notes, closing and
reopening, and saved views. Each write is one transaction with its audit event; what changes a
case also writes a line of its timeline (``Event``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oegd.core import audit
from oegd.core.codes import group_code, random_code
from oegd.core.models import Office, User
from oegd.core.services import DomainError
from oegd.infection.models import Event, InfectionCase, LabResult, Notification, Outbreak, SavedView, Sex

REFERENCE_PREFIX = "IF"

# Common symptoms (SNOMED CT) offered on the case page; stored on the case as codes.
COMMON_SYMPTOMS: dict[str, Any] = {
    "386661006": gettext_lazy("Fever"),
    "49727002": gettext_lazy("Cough"),
    "267036007": gettext_lazy("Shortness of breath"),
    "162397003": gettext_lazy("Sore throat"),
    "64531003": gettext_lazy("Runny nose"),
    "44169009": gettext_lazy("Loss of smell"),
    "36955009": gettext_lazy("Loss of taste"),
    "25064002": gettext_lazy("Headache"),
    "68962001": gettext_lazy("Muscle pain"),
    "84229001": gettext_lazy("Fatigue"),
    "62315008": gettext_lazy("Diarrhoea"),
    "422400008": gettext_lazy("Vomiting"),
    "21522001": gettext_lazy("Abdominal pain"),
    "271807003": gettext_lazy("Rash"),
    "9826008": gettext_lazy("Conjunctivitis"),
    "233604007": gettext_lazy("Pneumonia"),
    "74360001": gettext_lazy("Swelling of the parotid gland"),
    "43025008": gettext_lazy("Paroxysmal cough"),
    "18165001": gettext_lazy("Jaundice"),
    "7180009": gettext_lazy("Meningitis"),
    "91302008": gettext_lazy("Sepsis"),
}

# Kinds of notification whose case knows no name (§ 7.3 IfSG).
NON_NOMINAL_KINDS = {
    Notification.Kind.LABORATORY_NON_NOMINAL,
    Notification.Kind.LABORATORY_ANONYMOUS,
    Notification.Kind.DISEASE_NON_NOMINAL,
}


class NotificationAlreadyHandled(DomainError):
    pass


def new_case_reference() -> str:
    """A fresh case reference, e.g. ``IF-7QM2-K4XD`` (Crockford base 32, 40 random bits)."""
    return f"{REFERENCE_PREFIX}-{group_code(random_code(8))}"


def create_with_reference[M: models.Model](model: type[M], make_reference: Callable[[], str], **fields: Any) -> M:
    """Create a row under a fresh random reference (case, outbreak); a collision, astronomically
    rare with 40 random bits, is retried."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return model._default_manager.create(reference=make_reference(), **fields)
        except IntegrityError:
            continue
    raise DomainError(_("The record could not be created. Please try again."))


def add_event(
    *,
    actor: Any,
    code: str,
    infection_case: InfectionCase | None = None,
    outbreak: Outbreak | None = None,
    data: dict | None = None,
    text: str = "",
) -> Event:
    """One line of a case's or an outbreak's timeline: a code, coded details, staff text (encrypted)."""
    return Event.objects.create(
        infection_case=infection_case,
        outbreak=outbreak,
        actor=actor if isinstance(actor, User) else None,
        code=code,
        data=data or {},
        text=text,
    )


def _require_same_office(office: Office, *objects: Any) -> None:
    for obj in objects:
        if obj.office_id != office.pk:
            raise DomainError(_("This belongs to another office."))


# --- notifications ------------------------------------------------------------------------------


def assign_notifications(
    *, actor: Any, office: Office, notifications: Iterable[Notification], assignee: User | None
) -> int:
    """Assign notifications of the office to a staff member, or hand them back (``assignee=None``);
    returns how many changed."""
    if assignee is not None and not assignee.memberships.filter(office=office).exists():
        raise DomainError(_("This person does not work for the office."))
    wanted = assignee.pk if assignee else None
    with transaction.atomic():
        # Locked by office: a notification forwarded meanwhile is no longer ours to assign.
        rows = list(
            Notification.objects.select_for_update()
            .filter(office=office, pk__in=[notification.pk for notification in notifications])
            .exclude(assignee_id=wanted)
            .order_by("pk")
        )
        for notification in rows:
            notification.assignee = assignee
        Notification.objects.bulk_update(rows, ["assignee"])
        audit.record_many(
            [
                audit.Entry(actor, "infection.notification.assign", row, office=office, purpose=str(assignee or ""))
                for row in rows
            ]
        )
    return len(rows)


def _attach(*, actor: Any, notification: Notification, case: InfectionCase, code: str) -> None:
    """Put a notification (and its lab results) on a case: state ASSIGNED, timeline line."""
    notification.infection_case = case
    notification.state = Notification.State.ASSIGNED
    notification.save(update_fields=["infection_case", "state"])
    LabResult.objects.filter(notification=notification).exclude(infection_case=case).update(infection_case=case)
    add_event(
        actor=actor,
        code=code,
        infection_case=case,
        data={"notification": notification.pk, "kind": notification.kind, "bundle": notification.bundle_identifier},
    )


def _lock_notification(notification: Notification) -> Notification:
    """Lock the row in the office it was read in; refused when a colleague forwarded it meanwhile."""
    locked = (
        Notification.objects.select_for_update().filter(pk=notification.pk, office_id=notification.office_id).first()
    )
    if locked is None:
        raise NotificationAlreadyHandled(_("The notification was forwarded to another office."))
    return locked


def link_notification_to_case(*, actor: Any, notification: Notification, case: InfectionCase) -> InfectionCase:
    """Link a notification to an existing case of the same person (Zuordnung zu einem Meldefall);
    also used to put a related notification on the same case. Its lab results move with it."""
    _require_same_office(case.office, notification)
    if notification.person_id and case.person_id and notification.person_id != case.person_id:
        raise DomainError(_("This notification is about another person than the case."))
    if case.status == InfectionCase.Status.CLOSED:
        raise DomainError(_("The case is closed. Reopen it first."))
    with transaction.atomic():
        notification = _lock_notification(notification)
        if notification.infection_case_id == case.pk:
            raise NotificationAlreadyHandled(_("The notification is already linked to this case."))
        if notification.state == Notification.State.FORWARDED:
            raise NotificationAlreadyHandled(_("The notification was forwarded to another office."))
        previous = notification.infection_case_id
        _attach(actor=actor, notification=notification, case=case, code="notification.linked")
        audit.record(
            actor,
            "infection.notification.link",
            notification,
            office=case.office,
            purpose=f"{case.reference}" + (f" (was {previous})" if previous else ""),
        )
    return case


def open_case_from_notification(*, actor: Any, notification: Notification) -> InfectionCase:
    """Open a new infection case for a notification (neuer Meldefall): disease, pathogen, person and
    what a non-nominal notification knows are taken over; the notification is linked to it."""
    if not notification.disease:
        raise DomainError(_("The notification names no disease; a case cannot be opened for it."))
    with transaction.atomic():
        notification = _lock_notification(notification)
        if notification.infection_case_id is not None:
            raise NotificationAlreadyHandled(_("The notification is already linked to a case."))
        if notification.state == Notification.State.FORWARDED:
            raise NotificationAlreadyHandled(_("The notification was forwarded to another office."))
        summary = notification.summary or {}
        sex = str(summary.get("sex") or "")
        case = create_with_reference(
            InfectionCase,
            new_case_reference,
            office=notification.office,
            person=notification.person,
            disease=notification.disease,
            pathogen=notification.pathogen,
            non_nominal=notification.kind in NON_NOMINAL_KINDS,
            sex=sex if sex in Sex.values else Sex.UNKNOWN,
            birth_month=str(summary.get("birth_month", ""))[:7],
            postal_code=notification.residence_postal_code,
            notified_at=notification.notified_at,
            assignee=actor if isinstance(actor, User) else None,
        )
        add_event(actor=actor, code="case.opened", infection_case=case, data={"notification": notification.pk})
        _attach(actor=actor, notification=notification, case=case, code="notification.linked")
        audit.record(actor, "infection.case.open", case, office=case.office, purpose=notification.bundle_identifier)
    return case


def mark_notification_done(*, actor: Any, notification: Notification) -> Notification:
    """Mark a notification as done without a case (erledigt), e.g. a duplicate or a negative result."""
    with transaction.atomic():
        notification = _lock_notification(notification)
        if notification.state == Notification.State.CLOSED:
            raise NotificationAlreadyHandled(_("The notification is already done."))
        notification.state = Notification.State.CLOSED
        notification.save(update_fields=["state"])
        audit.record(actor, "infection.notification.done", notification, office=notification.office)
    return notification


# --- infection cases ------------------------------------------------------------------------------


def assign_case(*, actor: Any, case: InfectionCase, assignee: User | None) -> InfectionCase:
    """Assign a case to a staff member of its office, or hand it back to the office (``None``)."""
    if assignee is not None and not assignee.memberships.filter(office_id=case.office_id).exists():
        raise DomainError(_("This person does not work for the office."))
    with transaction.atomic():
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        add_event(
            actor=actor, code="case.assigned", infection_case=case, data={"assignee": assignee.pk if assignee else None}
        )
        audit.record(actor, "infection.case.assign", case, office=case.office, purpose=str(assignee or ""))
    return case


def classify_case(*, actor: Any, case: InfectionCase, classification: str) -> InfectionCase:
    """Set the case's category of the RKI reference definition (Falldefinition, A–E or not met)."""
    if classification not in InfectionCase.Classification.values:
        raise DomainError(_("Unknown classification."))
    if classification == case.classification:
        return case
    with transaction.atomic():
        previous = case.classification
        case.classification = classification
        case.save(update_fields=["classification", "updated_at"])
        add_event(
            actor=actor, code="case.classified", infection_case=case, data={"from": previous, "to": classification}
        )
        audit.record(actor, "infection.case.classify", case, office=case.office, purpose=classification)
    return case


CLINICAL_FIELDS = ("onset_date", "symptoms", "hospitalised", "hospitalised_on", "deceased", "vaccination")


def update_case_clinical(
    *,
    actor: Any,
    case: InfectionCase,
    onset_date: date | None,
    symptoms: list[str],
    hospitalised: bool | None,
    hospitalised_on: date | None,
    deceased: bool | None,
    vaccination: str,
) -> InfectionCase:
    """Record the clinical facts the reference definitions need: onset of illness, symptoms (SNOMED
    codes), hospitalisation, death, vaccination status. Dates may not lie in the future."""
    today = timezone.localdate()
    if onset_date is not None and onset_date > today:
        raise DomainError(_("The onset of illness cannot be in the future."))
    if hospitalised_on is not None and hospitalised_on > today:
        raise DomainError(_("The date of admission cannot be in the future."))
    if hospitalised_on is not None and hospitalised is False:
        raise DomainError(_("A date of admission needs “hospitalised: yes”."))
    # Codes from the list, or already on the case (a DEMIS notification may bring others).
    unknown = [code for code in symptoms if code not in COMMON_SYMPTOMS and code not in (case.symptoms or [])]
    if unknown:
        raise DomainError(_("Unknown symptom code."))
    if vaccination not in InfectionCase.Vaccination.values:
        raise DomainError(_("Unknown vaccination status."))
    values = {
        "onset_date": onset_date,
        "symptoms": sorted(set(symptoms)),
        "hospitalised": hospitalised,
        "hospitalised_on": hospitalised_on,
        "deceased": deceased,
        "vaccination": vaccination,
    }
    changed = [name for name, value in values.items() if getattr(case, name) != value]
    if not changed:
        return case
    with transaction.atomic():
        for name in changed:
            setattr(case, name, values[name])
        case.save(update_fields=[*changed, "updated_at"])
        add_event(actor=actor, code="case.updated", infection_case=case, data={"fields": changed})
        audit.record(actor, "infection.case.update", case, office=case.office, purpose=",".join(changed))
    return case


def close_case(*, actor: Any, case: InfectionCase) -> InfectionCase:
    """Close a case (Fall abschließen)."""
    if case.status == InfectionCase.Status.CLOSED:
        raise DomainError(_("The case is already closed."))
    with transaction.atomic():
        case.status = InfectionCase.Status.CLOSED
        case.closed_at = timezone.now()
        case.save(update_fields=["status", "closed_at", "updated_at"])
        add_event(actor=actor, code="case.closed", infection_case=case)
        audit.record(actor, "infection.case.close", case, office=case.office)
    return case


def reopen_case(*, actor: Any, case: InfectionCase) -> InfectionCase:
    """Reopen a closed case (Fall wieder aufnehmen)."""
    if case.status == InfectionCase.Status.OPEN:
        raise DomainError(_("The case is open."))
    with transaction.atomic():
        case.status = InfectionCase.Status.OPEN
        case.closed_at = None
        case.save(update_fields=["status", "closed_at", "updated_at"])
        add_event(actor=actor, code="case.reopened", infection_case=case)
        audit.record(actor, "infection.case.reopen", case, office=case.office)
    return case


def add_case_note(*, actor: Any, case: InfectionCase, text: str) -> Event:
    """Add a staff note to the case's timeline (stored encrypted)."""
    text = text.strip()
    if not text:
        raise DomainError(_("Please write the note."))
    if len(text) > 5000:
        raise DomainError(_("The note is too long (at most 5,000 characters)."))
    with transaction.atomic():
        event = add_event(actor=actor, code="note.added", infection_case=case, text=text)
        audit.record(actor, "infection.case.note", case, office=case.office)
    return event


# --- saved views ----------------------------------------------------------------------------------


def save_view(*, actor: User, office: Office, page: str, name: str, query: str) -> SavedView:
    """Save the current filter of the case directory or inbox under a name (replacing one of the
    same name)."""
    name = " ".join(name.split())[:100]
    if not name:
        raise DomainError(_("Please give the view a name."))
    if page not in SavedView.Page.values:
        raise DomainError(_("Unknown page."))
    if len(query) > 500:
        raise DomainError(_("The filter is too long to save."))
    with transaction.atomic():
        view, _created = SavedView.objects.update_or_create(
            owner=actor, office=office, page=page, name=name, defaults={"query": query}
        )
        audit.record(actor, "infection.view.save", view, office=office, purpose=name)
    return view


def delete_saved_view(*, actor: User, view: SavedView) -> None:
    """Delete one of the staff member's saved views."""
    if view.owner_id != actor.pk:
        raise DomainError(_("This view belongs to someone else."))
    with transaction.atomic():
        audit.record(actor, "infection.view.delete", view, office=view.office, purpose=view.name)
        view.delete()
