"""Contact tracing (Kontaktpersonennachverfolgung), follow-up calls, outbreaks (Ausbrüche) and
measures (Anordnungen: isolation of cases, quarantine of contacts) with their letters.

Every write here is one service function: it checks what a person could get wrong (a translated
``TracingError``, nothing written), writes in one transaction, adds a line to the case's or the
outbreak's timeline (``Event``) and records the audit event inside that transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.cases.models import Case, Person
from oegd.core import audit
from oegd.core.codes import random_code
from oegd.core.models import Office, User
from oegd.core.services import DomainError
from oegd.infection import catalogue, letters
from oegd.infection.models import Contact, Event, FollowUpCall, InfectionCase, Measure, Outbreak, Sex
from oegd.infection.services import add_event, create_with_reference, new_case_reference

logger = logging.getLogger(__name__)

DEFAULT_OBSERVATION_DAYS = 14  # when the catalogue knows no incubation period
WEEKLY = 7  # contacts not in quarantine (category II) are called weekly during the incubation period


class TracingError(DomainError):
    """A refusal of a tracing, outbreak or measure action; ``message`` is translated."""


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def _refuse_other_office(office: Office | int, *objects: Any) -> None:
    office_id = office if isinstance(office, int) else office.pk
    for obj in objects:
        if obj is not None and obj.office_id != office_id:
            raise TracingError(_("This belongs to another office."))


def _refuse_closed_case(infection_case: InfectionCase) -> None:
    if infection_case.status == InfectionCase.Status.CLOSED:
        raise TracingError(_("The case %(reference)s is closed.") % {"reference": infection_case.reference})


# --- contacts (Kontaktpersonen) ------------------------------------------------------------------


def _check_contact_facts(*, category: str, setting: str, exposure_date: date | None) -> None:
    if category not in Contact.Category.values:
        raise TracingError(_("Unknown contact category."))
    if setting not in Contact.Setting.values:
        raise TracingError(_("Unknown setting of the exposure."))
    if exposure_date is None:
        raise TracingError(_("Please give the date of the last exposure."))
    if exposure_date > timezone.localdate():
        raise TracingError(_("The last exposure cannot be in the future."))


def observation_end(contact: Contact, disease_key: str) -> date:
    """Last day a contact is followed up: the quarantine end, else the longest incubation period
    after the last exposure (14 days when the catalogue knows none)."""
    if contact.quarantine_until:
        return contact.quarantine_until
    entry = catalogue.disease_for_code(disease_key)
    days = entry.incubation_days_max if entry and entry.incubation_days_max else DEFAULT_OBSERVATION_DAYS
    return contact.exposure_date + timedelta(days=days)


def _plan_calls(*, contact: Contact, assignee: User | None) -> int:
    """Replace the contact's open calls by a plan from today (or the day after exposure) to the end
    of observation: daily while in quarantine, weekly for contacts without quarantine."""
    FollowUpCall.objects.filter(contact=contact, status=FollowUpCall.Status.OPEN).delete()
    if contact.status != Contact.Status.ACTIVE:
        return 0
    end = observation_end(contact, contact.index_case.disease)
    first = max(timezone.localdate(), contact.exposure_date + timedelta(days=1))
    step = 1 if contact.quarantine_until else WEEKLY
    days = []
    day = first
    while day <= end:
        days.append(day)
        day += timedelta(days=step)
    FollowUpCall.objects.bulk_create(
        FollowUpCall(office_id=contact.office_id, contact=contact, due_on=day, assignee=assignee) for day in days
    )
    return len(days)


def _person_for_contact(*, office: Office, person: Person | None, details: dict[str, Any]) -> tuple[Person, bool]:
    """The contact's person record: the given one, a sure match among the office's persons, or a new one."""
    if person is not None:
        _refuse_other_office(office, person)
        if person.merged_into is not None:
            person = person.merged_into
        return person, False
    given_name = (details.get("given_name") or "").strip()
    family_name = (details.get("family_name") or "").strip()
    if not given_name or not family_name:
        raise TracingError(_("Please give the contact person's given and family name."))
    birth_date = details.get("birth_date")
    if birth_date and birth_date > timezone.localdate():
        raise TracingError(_("The date of birth cannot be in the future."))
    from oegd.infection.matching import IncomingPerson, match_persons

    incoming = IncomingPerson(
        given_name=given_name,
        family_name=family_name,
        birth_date=birth_date,
        sex="",
        street=(details.get("street") or "").strip(),
        postal_code=(details.get("postal_code") or "").strip(),
        place=(details.get("place") or "").strip(),
    )
    outcome = match_persons(office, [incoming])[0]
    if outcome.match is not None:
        return outcome.match, False
    created = Person.objects.create(
        office=office,
        given_name=given_name[:100],
        family_name=family_name[:100],
        birth_date=birth_date,
        street=incoming.street[:200],
        postal_code=incoming.postal_code[:10],
        place=incoming.place[:100],
        phone=(details.get("phone") or "").strip()[:50],
        email=(details.get("email") or "").strip()[:254],
    )
    return created, True


def add_contact(
    *,
    actor: Any,
    infection_case: InfectionCase,
    category: str,
    exposure_date: date | None,
    setting: str = Contact.Setting.OTHER,
    person: Person | None = None,
    note: str = "",
    **person_details: Any,
) -> Contact:
    """Record a contact person of a case (Kontaktperson erfassen): an existing person of the office
    or a new one (``given_name``, ``family_name``, ``birth_date``, address, ``phone``), with the last
    exposure, its setting and category. The quarantine end follows the disease's rule; follow-up
    calls are planned for the observation period, assigned to the case's assignee (else the actor)."""
    _refuse_closed_case(infection_case)
    _check_contact_facts(category=category, setting=setting, exposure_date=exposure_date)
    assert exposure_date is not None  # noqa: S101 - checked above
    with transaction.atomic():
        person, created = _person_for_contact(office=infection_case.office, person=person, details=person_details)
        if infection_case.person_id and person.pk == infection_case.person_id:
            raise TracingError(_("The contact person cannot be the person of the case itself."))
        if Contact.objects.filter(index_case=infection_case, person=person).exists():
            raise TracingError(
                _("%(name)s is already a contact of this case.") % {"name": f"{person.given_name} {person.family_name}"}
            )
        contact = Contact(
            office_id=infection_case.office_id,
            index_case=infection_case,
            person=person,
            category=category,
            setting=setting,
            exposure_date=exposure_date,
            quarantine_until=catalogue.quarantine_end(infection_case.disease, category, exposure_date),
            note=note,
            created_by=_user(actor),
        )
        try:
            with transaction.atomic():
                contact.save()
        except IntegrityError as exc:  # the same person added twice at the same time
            raise TracingError(_("This person is already a contact of this case.")) from exc
        calls = _plan_calls(contact=contact, assignee=infection_case.assignee or _user(actor))
        add_event(
            actor=actor,
            code="contact.added",
            infection_case=infection_case,
            data={
                "contact": contact.pk,
                "category": category,
                "exposure_date": exposure_date.isoformat(),
                "calls": calls,
            },
        )
        audit.record(
            actor,
            "infection.contact.add",
            contact,
            office=infection_case.office,
            purpose=f"{infection_case.reference}" + (" (new person)" if created else ""),
        )
    return contact


def update_contact(
    *, actor: Any, contact: Contact, category: str, exposure_date: date | None, setting: str, note: str | None = None
) -> Contact:
    """Change a contact's category, setting or last exposure; the quarantine end is recomputed
    and the open follow-up calls are planned anew."""
    _check_contact_facts(category=category, setting=setting, exposure_date=exposure_date)
    assert exposure_date is not None  # noqa: S101 - checked above
    if contact.status != Contact.Status.ACTIVE:
        raise TracingError(_("The observation of this contact has ended."))
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("index_case").get(pk=contact.pk)
        contact.category = category
        contact.setting = setting
        contact.exposure_date = exposure_date
        contact.quarantine_until = catalogue.quarantine_end(contact.index_case.disease, category, exposure_date)
        fields = ["category", "setting", "exposure_date", "quarantine_until"]
        if note is not None:
            contact.note = note
            fields.append("note")
        contact.save(update_fields=fields)
        assignee = contact.index_case.assignee or _user(actor)
        _plan_calls(contact=contact, assignee=assignee)
        add_event(
            actor=actor,
            code="contact.updated",
            infection_case=contact.index_case,
            data={"contact": contact.pk, "category": category, "exposure_date": exposure_date.isoformat()},
        )
        audit.record(actor, "infection.contact.update", contact, office=contact.office)
    return contact


def end_observation(*, actor: Any, contact: Contact) -> Contact:
    """End a contact's observation (Beobachtung beenden): open calls are dropped."""
    if contact.status != Contact.Status.ACTIVE:
        raise TracingError(_("The observation of this contact has already ended."))
    with transaction.atomic():
        contact.status = Contact.Status.ENDED
        contact.save(update_fields=["status"])
        FollowUpCall.objects.filter(contact=contact, status=FollowUpCall.Status.OPEN).delete()
        add_event(actor=actor, code="contact.ended", infection_case=contact.index_case, data={"contact": contact.pk})
        audit.record(actor, "infection.contact.end", contact, office=contact.office)
    return contact


def _open_case_for_contact(*, actor: Any, contact: Contact) -> InfectionCase:
    """A new case of the index case's disease for the contact person; a reference collision is
    retried like ``services.open_case_from_notification`` does."""
    index_case = contact.index_case
    person = contact.person
    return create_with_reference(
        InfectionCase,
        new_case_reference,
        office_id=contact.office_id,
        person=person,
        disease=index_case.disease,
        pathogen=index_case.pathogen,
        sex=person.sex if person.sex in Sex.values else Sex.UNKNOWN,
        birth_month=person.birth_date.strftime("%Y-%m") if person.birth_date else "",
        postal_code=person.postal_code,
        assignee=index_case.assignee or _user(actor),
        team=index_case.team,
    )


def contact_became_case(*, actor: Any, contact: Contact, infection_case: InfectionCase | None = None) -> InfectionCase:
    """The contact fell ill (Kontaktperson wird Fall): link the contact to the given case of the
    contact person, else to the person's open case of the same disease, else a new case opened for
    them. Observation ends; open calls are dropped."""
    index_case = contact.index_case
    if contact.status == Contact.Status.BECAME_CASE:
        raise TracingError(_("This contact is already recorded as a case."))
    if infection_case is not None:
        _refuse_other_office(contact.office_id, infection_case)
        if infection_case.person_id != contact.person_id:
            raise TracingError(_("That case is about another person."))
        if infection_case.pk == index_case.pk:
            raise TracingError(_("A contact cannot become its own index case."))
    with transaction.atomic():
        opened = False
        if infection_case is None:
            infection_case = InfectionCase.objects.filter(
                office_id=contact.office_id,
                person_id=contact.person_id,
                disease=index_case.disease,
                status=InfectionCase.Status.OPEN,
            ).first()
        if infection_case is None:
            infection_case = _open_case_for_contact(actor=actor, contact=contact)
            opened = True
            add_event(actor=actor, code="case.opened", infection_case=infection_case, data={"from_contact": contact.pk})
            audit.record(actor, "infection.case.open", infection_case, office=infection_case.office)
        contact.status = Contact.Status.BECAME_CASE
        contact.became_case = infection_case
        contact.save(update_fields=["status", "became_case"])
        FollowUpCall.objects.filter(contact=contact, status=FollowUpCall.Status.OPEN).delete()
        add_event(
            actor=actor,
            code="contact.became_case",
            infection_case=index_case,
            data={"contact": contact.pk, "case": infection_case.reference, "opened": opened},
        )
        for outbreak in index_case.outbreaks.filter(status=Outbreak.Status.OPEN):
            if not outbreak.cases.filter(pk=infection_case.pk).exists() and outbreak.disease == infection_case.disease:
                outbreak.cases.add(infection_case)
                add_event(
                    actor=actor,
                    code="outbreak.case_added",
                    outbreak=outbreak,
                    data={"case": infection_case.reference, "from_contact": contact.pk},
                )
        audit.record(
            actor, "infection.contact.became_case", contact, office=contact.office, purpose=infection_case.reference
        )
    return infection_case


# --- follow-up calls (Nachverfolgung) ------------------------------------------------------------


def record_call(
    *, actor: Any, call: FollowUpCall, reached: bool, symptoms: bool | None = None, note: str = ""
) -> FollowUpCall:
    """Record the outcome of a follow-up call: reached (with or without symptoms, and a note) or not
    reached, which plans another call for the next day. Symptoms reported are for staff to decide
    whether the contact became a case; nothing changes by itself."""
    if reached and symptoms is None:
        raise TracingError(_("Please say whether the contact reported symptoms."))
    with transaction.atomic():
        call = FollowUpCall.objects.select_for_update().select_related("contact__index_case").get(pk=call.pk)
        if call.status != FollowUpCall.Status.OPEN:
            raise TracingError(_("This call has already been recorded."))
        contact = call.contact
        if contact.status != Contact.Status.ACTIVE:
            raise TracingError(_("The observation of this contact has ended."))
        call.status = FollowUpCall.Status.DONE if reached else FollowUpCall.Status.MISSED
        call.symptoms_reported = symptoms if reached else None
        call.note = note
        call.done_at = timezone.now()
        call.done_by = _user(actor)
        call.save(update_fields=["status", "symptoms_reported", "note", "done_at", "done_by"])
        replanned = None
        if not reached:
            tomorrow = timezone.localdate() + timedelta(days=1)
            exists = FollowUpCall.objects.filter(contact=contact, status=FollowUpCall.Status.OPEN, due_on=tomorrow)
            if not exists.exists():
                replanned = FollowUpCall.objects.create(
                    office_id=call.office_id, contact=contact, due_on=tomorrow, assignee=call.assignee
                )
        add_event(
            actor=actor,
            code="call.recorded",
            infection_case=contact.index_case,
            data={
                "contact": contact.pk,
                "reached": reached,
                "symptoms": call.symptoms_reported,
                "replanned": replanned.due_on.isoformat() if replanned else None,
            },
        )
        audit.record(
            actor, "infection.call.record", call, office=contact.office, purpose="reached" if reached else "not reached"
        )
    return call


# --- outbreaks (Ausbrüche) -----------------------------------------------------------------------


def new_outbreak_reference() -> str:
    """A fresh outbreak reference, e.g. ``AB-7QM2K4`` (Ausbruch)."""
    return f"AB-{random_code(6)}"


def create_outbreak(
    *, actor: Any, office: Office, name: str, disease: str, setting: str = Contact.Setting.OTHER, description: str = ""
) -> Outbreak:
    """Open an outbreak (Ausbruch anlegen) with a name, the disease and the setting."""
    name = (name or "").strip()
    if not name:
        raise TracingError(_("Please give the outbreak a name."))
    entry = catalogue.disease_for_code(disease)
    if entry is None:
        raise TracingError(_("Unknown disease."))
    if setting not in Contact.Setting.values:
        raise TracingError(_("Unknown setting of the exposure."))
    disease = entry.key
    with transaction.atomic():
        outbreak = create_with_reference(
            Outbreak,
            new_outbreak_reference,
            office=office,
            name=name[:200],
            disease=disease,
            setting=setting,
            description=description,
            created_by=_user(actor),
        )
        add_event(actor=actor, code="outbreak.opened", outbreak=outbreak, data={"disease": disease, "setting": setting})
        audit.record(actor, "infection.outbreak.create", outbreak, office=office, purpose=outbreak.reference)
    return outbreak


def _refuse_closed_outbreak(outbreak: Outbreak) -> None:
    if outbreak.status == Outbreak.Status.CLOSED:
        raise TracingError(_("The outbreak %(reference)s is closed.") % {"reference": outbreak.reference})


def add_case_to_outbreak(*, actor: Any, outbreak: Outbreak, infection_case: InfectionCase) -> Outbreak:
    """Link a case to an outbreak (Fall dem Ausbruch zuordnen); the case must be of the same office
    and disease."""
    _refuse_other_office(outbreak.office_id, infection_case)
    _refuse_closed_outbreak(outbreak)
    if catalogue.disease_for_code(infection_case.disease) != catalogue.disease_for_code(outbreak.disease):
        raise TracingError(
            _("The case %(reference)s is about %(case_disease)s, the outbreak about %(outbreak_disease)s.")
            % {
                "reference": infection_case.reference,
                "case_disease": catalogue.disease_label(infection_case.disease),
                "outbreak_disease": catalogue.disease_label(outbreak.disease),
            }
        )
    if outbreak.cases.filter(pk=infection_case.pk).exists():
        raise TracingError(
            _("The case %(reference)s already belongs to this outbreak.") % {"reference": infection_case.reference}
        )
    with transaction.atomic():
        outbreak.cases.add(infection_case)
        add_event(actor=actor, code="outbreak.case_added", outbreak=outbreak, data={"case": infection_case.reference})
        add_event(
            actor=actor, code="outbreak.linked", infection_case=infection_case, data={"outbreak": outbreak.reference}
        )
        audit.record(
            actor, "infection.outbreak.case_add", outbreak, office=outbreak.office, purpose=infection_case.reference
        )
    return outbreak


def remove_case_from_outbreak(*, actor: Any, outbreak: Outbreak, infection_case: InfectionCase) -> Outbreak:
    """Unlink a case from an outbreak (Zuordnung lösen)."""
    _refuse_other_office(outbreak.office_id, infection_case)
    _refuse_closed_outbreak(outbreak)
    if not outbreak.cases.filter(pk=infection_case.pk).exists():
        raise TracingError(
            _("The case %(reference)s does not belong to this outbreak.") % {"reference": infection_case.reference}
        )
    with transaction.atomic():
        outbreak.cases.remove(infection_case)
        add_event(actor=actor, code="outbreak.case_removed", outbreak=outbreak, data={"case": infection_case.reference})
        add_event(
            actor=actor, code="outbreak.unlinked", infection_case=infection_case, data={"outbreak": outbreak.reference}
        )
        audit.record(
            actor, "infection.outbreak.case_remove", outbreak, office=outbreak.office, purpose=infection_case.reference
        )
    return outbreak


def add_outbreak_note(*, actor: Any, outbreak: Outbreak, text: str) -> Event:
    """Add a note to the outbreak's timeline (e.g. an inspection or a call with the institution)."""
    text = (text or "").strip()
    if not text:
        raise TracingError(_("Please write the note."))
    with transaction.atomic():
        event = add_event(actor=actor, code="outbreak.note", outbreak=outbreak, text=text[:10000])
        audit.record(actor, "infection.outbreak.note", outbreak, office=outbreak.office)
    return event


def close_outbreak(*, actor: Any, outbreak: Outbreak) -> Outbreak:
    """Declare an outbreak over (Ausbruch beenden)."""
    _refuse_closed_outbreak(outbreak)
    with transaction.atomic():
        outbreak.status = Outbreak.Status.CLOSED
        outbreak.closed_at = timezone.now()
        outbreak.save(update_fields=["status", "closed_at"])
        add_event(actor=actor, code="outbreak.closed", outbreak=outbreak)
        audit.record(actor, "infection.outbreak.close", outbreak, office=outbreak.office)
    return outbreak


# --- measures (Anordnungen) ----------------------------------------------------------------------


@dataclass
class MeasuresIssued:
    """What a bulk order did: the measures issued and the contacts skipped, each with the reason."""

    measures: list[Measure] = field(default_factory=list)
    skipped: list[tuple[Contact, str]] = field(default_factory=list)


def _active_measure(*, kind: str, person_id: int, today: date) -> Measure | None:
    return Measure.objects.filter(
        kind=kind, person_id=person_id, status=Measure.Status.ORDERED, ends_on__gte=today
    ).first()


def _quarantine_refusal(contact: Contact, today: date) -> str:
    """Why a contact gets no quarantine order now (translated), or "" when it may be ordered."""
    if contact.status != Contact.Status.ACTIVE:
        return _("not under observation")
    if contact.quarantine_until is None:
        return _("no quarantine for this category or disease")
    if contact.quarantine_until < today:
        return _("quarantine already over")
    if _active_measure(kind=Measure.Kind.QUARANTINE, person_id=contact.person_id, today=today):
        return _("already has an active quarantine order")
    return ""


def _prepare_letters(*, actor: Any, infection_case: InfectionCase) -> Case:
    """The case's e-file (opened on first use) and the office's letter templates, each in a short
    transaction of its own, before any letter is rendered."""
    case_file = letters.ensure_case_file(actor=actor, infection_case=infection_case)
    letters.ensure_letter_templates(actor=actor, office=infection_case.office)
    return case_file


def _letter_failure(exc: Exception) -> str:
    """The reason shown for an order whose letter could not be written (translated)."""
    if isinstance(exc, DomainError):
        return _("the letter could not be written: %(reason)s") % {"reason": exc.message}
    logger.exception("measure letter failed")
    return _("the letter could not be written")


def _order_quarantine(
    *, actor: Any, infection_case: InfectionCase, contact: Contact, case_file: Case, today: date
) -> Measure | str:
    """One contact's quarantine order in one transaction: the letter is rendered first, then the
    measure, the timeline line and the audit event are written. Returns the measure, or the reason
    why the contact is skipped after all (it changed since it was selected)."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("person").get(pk=contact.pk)
        reason = _quarantine_refusal(contact, today)
        if reason:
            return reason
        assert contact.quarantine_until is not None  # noqa: S101 - checked above
        measure = Measure(
            office_id=infection_case.office_id,
            kind=Measure.Kind.QUARANTINE,
            person=contact.person,
            infection_case=infection_case,
            contact=contact,
            starts_on=today,
            ends_on=contact.quarantine_until,
            issued_by=_user(actor),
        )
        measure.document = letters.write_measure_letter(actor=actor, measure=measure, case_file=case_file)
        measure.save()
        add_event(
            actor=actor,
            code="measure.issued",
            infection_case=infection_case,
            data={
                "measure": measure.pk,
                "kind": measure.kind,
                "contact": contact.pk,
                "starts_on": measure.starts_on.isoformat(),
                "ends_on": measure.ends_on.isoformat(),
            },
        )
        audit.record(
            actor,
            "infection.measure.issue",
            measure,
            office=infection_case.office,
            purpose=f"{infection_case.reference} quarantine",
        )
    return measure


def issue_quarantine_orders(*, actor: Any, infection_case: InfectionCase, contacts: list[Contact]) -> MeasuresIssued:
    """Order quarantine for the selected contacts of a case, in one go (Quarantäneanordnungen): per
    contact one measure from today to its quarantine end and one letter to the contact, filed in the
    case's e-file (opened on first use). A contact without a quarantine end, no longer under
    observation, already in quarantine, or whose quarantine is already over is skipped, with the reason.

    Each contact's order is a transaction of its own, its letter rendered before anything is
    written (so the audit chain lock is not held while PDFs render). A letter that fails rolls back
    only that contact's order, which is reported among the skipped ones with the reason."""
    if not contacts:
        raise TracingError(_("Please select at least one contact."))
    _refuse_closed_case(infection_case)
    for contact in contacts:
        if contact.index_case_id != infection_case.pk:
            raise TracingError(_("A selected contact does not belong to this case."))
    today = timezone.localdate()
    result = MeasuresIssued()
    to_order: list[Contact] = []
    selected = (
        Contact.objects.select_related("person")
        .filter(pk__in=[contact.pk for contact in contacts])
        .order_by("exposure_date", "pk")
    )
    for contact in selected:
        reason = _quarantine_refusal(contact, today)
        if reason:
            result.skipped.append((contact, reason))
        else:
            to_order.append(contact)
    if not to_order:
        return result
    case_file = _prepare_letters(actor=actor, infection_case=infection_case)
    for contact in to_order:
        try:
            outcome = _order_quarantine(
                actor=actor, infection_case=infection_case, contact=contact, case_file=case_file, today=today
            )
        except Exception as exc:  # one failing letter must not stop the others
            result.skipped.append((contact, _letter_failure(exc)))
            continue
        if isinstance(outcome, Measure):
            result.measures.append(outcome)
        else:
            result.skipped.append((contact, outcome))
    return result


def isolation_end(infection_case: InfectionCase) -> date | None:
    """Last day of a case's isolation by the disease's rule: isolation days after onset (else after
    diagnosis, else after today); None when the disease has no fixed period."""
    entry = catalogue.disease_for_code(infection_case.disease)
    if entry is None or entry.isolation_days is None:
        return None
    start = infection_case.onset_date or infection_case.diagnosed_on or timezone.localdate()
    return start + timedelta(days=entry.isolation_days)


def issue_isolation_order(*, actor: Any, infection_case: InfectionCase, ends_on: date | None = None) -> Measure:
    """Order the isolation of the case's person (Absonderungsanordnung) from today until ``ends_on``
    (default: the disease's isolation period), with the letter filed in the case's e-file. The
    letter is rendered before the order is written, so the audit chain lock is not held meanwhile."""
    _refuse_closed_case(infection_case)
    if infection_case.person_id is None:
        raise TracingError(_("The case names no person; an order cannot be issued."))
    today = timezone.localdate()
    ends_on = ends_on or isolation_end(infection_case)
    if ends_on is None:
        raise TracingError(_("The disease has no fixed isolation period; please give the last day."))
    if ends_on < today:
        raise TracingError(_("The isolation would already be over; please give a later last day."))
    if _active_measure(kind=Measure.Kind.ISOLATION, person_id=infection_case.person_id, today=today):
        raise TracingError(_("The person already has an active isolation order."))
    case_file = _prepare_letters(actor=actor, infection_case=infection_case)
    with transaction.atomic():
        InfectionCase.objects.select_for_update().filter(pk=infection_case.pk).first()
        if _active_measure(kind=Measure.Kind.ISOLATION, person_id=infection_case.person_id, today=today):
            raise TracingError(_("The person already has an active isolation order."))
        measure = Measure(
            office_id=infection_case.office_id,
            kind=Measure.Kind.ISOLATION,
            person_id=infection_case.person_id,
            infection_case=infection_case,
            starts_on=today,
            ends_on=ends_on,
            issued_by=_user(actor),
        )
        # rendered first, before any write of this transaction (see letters.write_measure_letter)
        measure.document = letters.write_measure_letter(actor=actor, measure=measure, case_file=case_file)
        measure.save()
        add_event(
            actor=actor,
            code="measure.issued",
            infection_case=infection_case,
            data={"measure": measure.pk, "kind": measure.kind, "ends_on": ends_on.isoformat()},
        )
        audit.record(
            actor,
            "infection.measure.issue",
            measure,
            office=infection_case.office,
            purpose=f"{infection_case.reference} isolation",
        )
    return measure


def lift_measure(*, actor: Any, measure: Measure) -> Measure:
    """Lift an order before its end (Aufhebung), e.g. after a negative test or a wrong category."""
    if measure.status != Measure.Status.ORDERED:
        raise TracingError(_("This order has already been lifted."))
    with transaction.atomic():
        measure.status = Measure.Status.LIFTED
        measure.save(update_fields=["status"])
        case = measure.infection_case or (measure.contact.index_case if measure.contact is not None else None)
        add_event(
            actor=actor, code="measure.lifted", infection_case=case, data={"measure": measure.pk, "kind": measure.kind}
        )
        audit.record(actor, "infection.measure.lift", measure, office=measure.office)
    return measure
