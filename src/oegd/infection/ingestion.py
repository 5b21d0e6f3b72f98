"""Receiving DEMIS notifications (Meldungseingang): store, route (§ 11 IfSG), match and link.

``ingest_demis_bundle`` takes one bundle (the ``$process-notification`` endpoint),
``ingest_demis_bundles`` a batch (the pull client, imports, the benchmark) with a few statements
per batch. Both share one path:

1. parse and check each bundle (``demis.parse_notification``); a refused one changes nothing;
2. idempotency: a bundle identifier we already have (or that repeats in the batch) is not stored
   again, the existing notification is returned;
3. responsibility by the notified person's residence postal code (``route_by_postal_code``): if
   another office of this platform is responsible, the notification is stored for that office
   with a ``Forwarding`` record; otherwise it stays with the receiving office and the summary
   says why;
4. the person (nominal notifications only): a sure match reuses the person record, uncertain
   candidates go to the review queue (``PersonMatch``), else a new person;
5. the case: the person's open case of the same disease (follow-up results, § 6 plus § 7 for the
   same illness) or a new one; lab results, a timeline event, one audit event per notification.

All of a batch is one transaction: nothing is half-stored. A concurrent delivery of the same
bundle loses the race on the unique bundle identifier and is answered with the stored one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.cases.models import Person
from oegd.core import audit
from oegd.core.models import Office, User
from oegd.core.services import DomainError
from oegd.infection.demis import NotificationRefused, ParsedNotification, parse_notification
from oegd.infection.models import Event, Forwarding, InfectionCase, LabResult, Notification, PersonMatch
from oegd.infection.services import add_event, new_case_reference

__all__ = [
    "BatchResult",
    "IngestResult",
    "NotificationRefused",
    "forward_notification",
    "ingest_demis_bundle",
    "ingest_demis_bundles",
    "settle_reviewed_notifications",
]


@dataclass(frozen=True)
class IngestResult:
    created: bool
    notification: Notification


@dataclass
class BatchResult:
    created: list[Notification] = field(default_factory=list)
    existing: list[Notification] = field(default_factory=list)  # repeats: already stored, unchanged
    refused: list[tuple[int, NotificationRefused]] = field(default_factory=list)  # (index in the batch, why)


@dataclass(frozen=True)
class Route:
    """Where a notification goes and why (coded, for the summary)."""

    office: Office
    outcome: str  # "responsible" (receiving office), "forwarded", "kept"
    reason: str  # "residence", "not_on_platform", "postal_code_missing", "postal_code_unknown", "ambiguous"
    authority_code: str = ""
    authority_name: str = ""


def ingest_demis_bundle(
    *, receiving_office: Office, raw: bytes, source: str = Notification.Source.PUSH, actor: Any = None
) -> IngestResult:
    """Store one DEMIS notification bundle for the responsible office (idempotent on the bundle
    identifier); raise ``NotificationRefused`` for a bundle that is not a valid notification."""
    parsed = parse_notification(raw)
    existing = _stored(parsed.bundle_identifier)
    if existing is not None:
        return IngestResult(created=False, notification=existing)
    try:
        with transaction.atomic():
            created = _store([parsed], receiving_office=receiving_office, source=source, actor=actor)
    except IntegrityError:
        # Another delivery of the same bundle was stored meanwhile: answer with that one.
        existing = Notification.objects.filter(bundle_identifier=parsed.bundle_identifier).first()
        if existing is None:
            raise
        return IngestResult(created=False, notification=existing)
    return IngestResult(created=True, notification=created[0])


def ingest_demis_bundles(
    *, receiving_office: Office, raws: Sequence[bytes], source: str = Notification.Source.PULL, actor: Any = None
) -> BatchResult:
    """Store a batch of DEMIS bundles in one transaction; refused bundles are reported, repeats
    returned as existing. A lost race on a bundle identifier falls back to one bundle at a time."""
    result = BatchResult()
    parsed: list[ParsedNotification] = []
    for number, raw in enumerate(raws):
        try:
            parsed.append(parse_notification(raw))
        except NotificationRefused as refusal:
            result.refused.append((number, refusal))
    identifiers = {item.bundle_identifier for item in parsed}
    known = _known(identifiers)
    fresh: list[ParsedNotification] = []
    seen: set[str] = set()
    for item in parsed:
        if item.bundle_identifier in known or item.bundle_identifier in seen:
            continue
        seen.add(item.bundle_identifier)
        fresh.append(item)
    try:
        with transaction.atomic():
            result.created = _store(fresh, receiving_office=receiving_office, source=source, actor=actor)
    except IntegrityError:
        result.created = []
        for item in fresh:
            single = ingest_demis_bundle(receiving_office=receiving_office, raw=item.raw, source=source, actor=actor)
            if single.created:
                result.created.append(single.notification)
    stored = {n.bundle_identifier: n for n in result.created}
    created_ids = set(stored)
    stored.update(known)
    missing = {item.bundle_identifier for item in parsed} - set(stored)
    if missing:
        stored.update({n.bundle_identifier: n for n in Notification.objects.filter(bundle_identifier__in=missing)})
    seen.clear()
    for item in parsed:  # repeats (in the database or earlier in the batch), in batch order
        identifier = item.bundle_identifier
        if identifier in seen or identifier not in created_ids:
            result.existing.append(stored[identifier])
        seen.add(identifier)
    return result


def _known(identifiers: set[str]) -> dict[str, Notification]:
    """The stored notifications among these identifiers (without decrypting their bundles)."""
    stored = Notification.objects.filter(bundle_identifier__in=identifiers).defer("bundle")
    return {n.bundle_identifier: n for n in stored}


def _stored(bundle_identifier: str) -> Notification | None:
    return Notification.objects.filter(bundle_identifier=bundle_identifier).defer("bundle").first()


# --- routing (§ 11) -----------------------------------------------------------------------------


def route_notifications(
    *, receiving_office: Office, residences: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Route]:
    """The office each notification belongs to, by the notified person's residence (postal code,
    place); all residences of a batch in three queries."""
    from oegd.directory.selectors import PostalCodeInvalid, PostalCodeUnknown, route_by_postal_codes

    answers = route_by_postal_codes([(code, place) for code, place in residences if code])
    routes: dict[tuple[str, str], Route] = {}
    for key in residences:
        answer = answers.get(key)
        if answer is None or isinstance(answer, PostalCodeInvalid):  # none, or §7.3: only 3 digits are sent
            routes[key] = Route(receiving_office, "kept", "postal_code_missing")
        elif isinstance(answer, PostalCodeUnknown):
            routes[key] = Route(receiving_office, "kept", "postal_code_unknown")
        elif (candidate := answer.responsible) is None:
            routes[key] = Route(receiving_office, "kept", "ambiguous")
        else:
            code, name = candidate.authority.code, candidate.authority.name[:200]
            if candidate.office is None:
                routes[key] = Route(receiving_office, "kept", "not_on_platform", code, name)
            elif candidate.office.pk == receiving_office.pk:
                routes[key] = Route(receiving_office, "responsible", "residence", code, name)
            else:
                routes[key] = Route(candidate.office, "forwarded", "residence", code, name)
    return routes


# --- storing -------------------------------------------------------------------------------------


def _incoming(parsed: ParsedNotification) -> Any:
    from oegd.infection.matching import IncomingPerson

    residence = parsed.person.residence
    return IncomingPerson(
        given_name=parsed.person.given_name,
        family_name=parsed.person.family_name,
        birth_date=parsed.person.birth_date,
        sex=parsed.person.sex,
        street=residence.street,
        postal_code=residence.postal_code,
        place=residence.place,
    )


def _person_key(office: Office, parsed: ParsedNotification) -> tuple:
    from oegd.core.names import normalise_name

    person = parsed.person
    return (
        office.pk,
        normalise_name(person.family_name),
        normalise_name(person.given_name),
        person.birth_date,
        person.residence.postal_code,
    )


def _summary(parsed: ParsedNotification, route: Route, candidates: int) -> dict[str, Any]:
    """The coded extract the inbox shows and filters by (no names, no free text)."""
    summary: dict[str, Any] = {
        "profile": parsed.bundle_profile,
        "composition_profile": parsed.composition_profile,
        "notification_id": parsed.notification_id,
        "person_profile": parsed.person.profile,
        "nominal": parsed.nominal,
        "sex": parsed.person.sex,
        "birth_month": parsed.person.birth_month,
        "disease_code": parsed.disease_code,
        "routing": {
            "outcome": route.outcome,
            "reason": route.reason,
            "postal_code": parsed.person.residence.postal_code,
            "authority": route.authority_code,
            "authority_name": route.authority_name,
        },
    }
    if parsed.findings:
        summary["interpretation"] = parsed.interpretation
        summary["findings"] = [
            {
                "code": f.code,
                "interpretation": f.interpretation,
                "method": f.method,
                "material": f.material,
                "value": f.value,
                "collected_at": f.collected_at.isoformat() if f.collected_at else "",
            }
            for f in parsed.findings
        ]
        summary["laboratory"] = parsed.laboratory
    if parsed.diagnosis is not None:
        d = parsed.diagnosis
        summary["diagnosis"] = {
            "verification": d.verification,
            "onset": d.onset_date.isoformat() if d.onset_date else "",
            "recorded": d.recorded_date.isoformat() if d.recorded_date else "",
            "symptoms": list(d.symptoms),
        }
        summary["hospitalised"] = parsed.hospitalised
        summary["deceased"] = parsed.deceased
        summary["vaccination"] = parsed.vaccination
        summary["vaccinations"] = [list(v) for v in parsed.vaccinations]
    if candidates:
        summary["match_candidates"] = candidates
    return summary


def _new_case(office: Office, parsed: ParsedNotification, person: Person | None) -> InfectionCase:
    diagnosis = parsed.diagnosis
    residence = parsed.person.residence
    return InfectionCase(
        office=office,
        reference=new_case_reference(),
        person=person,
        disease=parsed.disease,
        pathogen=parsed.pathogen,
        non_nominal=not parsed.nominal,
        sex=parsed.person.sex,
        birth_month=parsed.person.birth_month if person is None else "",
        # The directory filters by it; a non-nominal case keeps 3 digits, as DEMIS pseudonymises.
        postal_code=residence.postal_code[:3] if person is None else residence.postal_code[:10],
        onset_date=diagnosis.onset_date if diagnosis else None,
        diagnosed_on=(diagnosis.recorded_date if diagnosis else None)
        or (parsed.findings[0].reported_at.date() if parsed.findings and parsed.findings[0].reported_at else None),
        notified_at=parsed.notified_at,
        symptoms=list(diagnosis.symptoms) if diagnosis else [],
        hospitalised=parsed.hospitalised,
        hospitalised_on=parsed.hospitalised_on,
        deceased=parsed.deceased,
        vaccination=parsed.vaccination,
    )


def _complete_case(case: InfectionCase, parsed: ParsedNotification) -> bool:
    """Fill what an existing case does not know yet from a further notification; whether it changed."""
    changed = False
    diagnosis = parsed.diagnosis
    updates: dict[str, Any] = {
        "pathogen": parsed.pathogen,
        "onset_date": diagnosis.onset_date if diagnosis else None,
        "diagnosed_on": diagnosis.recorded_date if diagnosis else None,
        "hospitalised": parsed.hospitalised,
        "hospitalised_on": parsed.hospitalised_on,
        "deceased": parsed.deceased,
    }
    for name, value in updates.items():
        if value not in (None, "") and getattr(case, name) in (None, ""):
            setattr(case, name, value)
            changed = True
    if diagnosis and diagnosis.symptoms:
        merged = list(dict.fromkeys([*case.symptoms, *diagnosis.symptoms]))
        if merged != case.symptoms:
            case.symptoms = merged
            changed = True
    if (
        parsed.vaccination != InfectionCase.Vaccination.UNKNOWN
        and case.vaccination == InfectionCase.Vaccination.UNKNOWN
    ):
        case.vaccination = parsed.vaccination
        changed = True
    return changed


@dataclass
class _Plan:
    parsed: ParsedNotification
    route: Route
    person: Person | None = None
    candidates: list[tuple[Person, float]] = field(default_factory=list)
    case: InfectionCase | None = None
    linked: bool = False  # linked to a case that existed before
    notification: Notification | None = None


def _store(
    items: Sequence[ParsedNotification],
    *,
    receiving_office: Office,
    source: str,
    actor: Any,
    existing: Notification | None = None,
) -> list[Notification]:
    """Create everything for new notifications (call inside a transaction). With ``existing`` (one
    item), that notification is re-attached in its (new) office instead of creating one."""
    from oegd.infection.matching import match_persons

    if not items:
        return []
    plans: list[_Plan] = []
    if existing is not None:
        manual = Route(existing.office, "forwarded", "manual", existing.office.rki_code, existing.office.name[:200])
        plans = [_Plan(parsed, manual) for parsed in items]
    else:
        residences = [(p.person.residence.postal_code, p.person.residence.place) for p in items]
        routes = route_notifications(receiving_office=receiving_office, residences=list(dict.fromkeys(residences)))
        plans = [_Plan(parsed, routes[key]) for parsed, key in zip(items, residences, strict=True)]

    # Persons: one matching call per office for the distinct persons of the batch.
    new_persons: list[Person] = []
    by_key: dict[tuple, _Plan] = {}
    to_match: dict[int, list[_Plan]] = {}
    for plan in plans:
        if not plan.parsed.nominal:
            continue
        key = _person_key(plan.route.office, plan.parsed)
        if key in by_key:
            continue
        by_key[key] = plan
        to_match.setdefault(plan.route.office.pk, []).append(plan)
    for office_plans in to_match.values():
        office = office_plans[0].route.office
        outcomes = match_persons(office, [_incoming(plan.parsed) for plan in office_plans])
        for plan, outcome in zip(office_plans, outcomes, strict=True):
            if outcome.match is not None:
                plan.person = outcome.match
                continue
            person = _person_for(office, plan.parsed)
            new_persons.append(person)
            plan.person = person
            plan.candidates = list(outcome.candidates)
    for plan in plans:
        if plan.parsed.nominal and plan.person is None:
            plan.person = by_key[_person_key(plan.route.office, plan.parsed)].person
    _insert(Person, new_persons)

    # Cases: the person's open case of the same disease, else a new one.
    known_persons = {plan.person.pk for plan in plans if plan.person is not None and plan.person.pk}
    open_cases: dict[tuple[int | None, str], InfectionCase] = {}
    if known_persons:
        for open_case in InfectionCase.objects.filter(
            person_id__in=known_persons, status=InfectionCase.Status.OPEN
        ).order_by("notified_at", "pk"):
            open_cases[(open_case.person_id, open_case.disease)] = open_case  # the latest open one wins
    new_cases: list[InfectionCase] = []
    new_case_ids: set[int] = set()
    changed_cases: dict[int, InfectionCase] = {}
    for plan in plans:
        parsed = plan.parsed
        case: InfectionCase | None = None
        if plan.person is not None:
            case = open_cases.get((plan.person.pk, parsed.disease))
        if case is not None:
            plan.case = case
            plan.linked = True
            if _complete_case(case, parsed) and id(case) not in new_case_ids:
                changed_cases[case.pk] = case
            continue
        if parsed.kind == Notification.Kind.LABORATORY_NEGATIVE:
            continue  # a negative result without an open case stays an inbox item
        if plan.candidates:
            continue  # held for the person review; settle_reviewed_notifications puts it on a case
        case = _new_case(plan.route.office, parsed, plan.person)
        new_cases.append(case)
        new_case_ids.add(id(case))
        plan.case = case
        if plan.person is not None:
            open_cases[(plan.person.pk, parsed.disease)] = case
    _insert(InfectionCase, new_cases)
    if changed_cases:
        for changed in changed_cases.values():
            changed.updated_at = timezone.now()  # bulk_update skips auto_now; SurvNet sends it as ChangedAt
        InfectionCase.objects.bulk_update(
            list(changed_cases.values()),
            [
                "pathogen",
                "onset_date",
                "diagnosed_on",
                "hospitalised",
                "hospitalised_on",
                "deceased",
                "symptoms",
                "vaccination",
                "updated_at",
            ],
        )

    # Notifications.
    now = timezone.now()
    notifications: list[Notification] = []
    for plan in plans:
        parsed = plan.parsed
        if plan.candidates:
            state = Notification.State.REVIEW
        elif plan.linked:
            state = Notification.State.ASSIGNED
        else:
            state = Notification.State.NEW
        values = {
            "office": plan.route.office,
            "kind": parsed.kind,
            "state": state,
            "disease": parsed.disease,
            "pathogen": parsed.pathogen,
            "notified_at": parsed.notified_at,
            "notifier": parsed.notifier,
            "residence_postal_code": parsed.person.residence.postal_code,
            "responsible_code": plan.route.authority_code,
            "person": plan.person,
            "infection_case": plan.case,
            "summary": _summary(parsed, plan.route, len(plan.candidates)),
        }
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            existing.assignee = None
            existing.save()
            plan.notification = existing
        else:
            plan.notification = Notification(
                bundle_identifier=parsed.bundle_identifier,
                bundle_sha256=parsed.sha256,
                bundle=parsed.raw.decode(),
                source=source,
                received_at=now,
                **values,
            )
            notifications.append(plan.notification)
    _insert(Notification, notifications)

    # What hangs off the notification: lab results, timeline, review candidates, forwarding.
    lab_results: list[LabResult] = []
    events: list[Event] = []
    matches: list[PersonMatch] = []
    forwardings: list[Forwarding] = []
    event_actor = actor if isinstance(actor, User) else None
    for plan in plans:
        parsed, notification = plan.parsed, plan.notification
        assert notification is not None
        if plan.case is not None:
            lab_results.extend(_lab_results(plan.case, notification, parsed))
            events.append(_received_event(plan.case, notification, parsed, event_actor, now, linked=plan.linked))
        for candidate, score in plan.candidates:
            if plan.person is not None and candidate.pk != plan.person.pk:
                matches.append(
                    PersonMatch(
                        office=plan.route.office,
                        person=plan.person,
                        candidate=candidate,
                        score=round(float(score), 4),
                        notification=notification,
                        created_at=now,
                    )
                )
        if plan.route.outcome == "forwarded" and existing is None:
            forwardings.append(
                Forwarding(
                    notification=notification,
                    from_office=receiving_office,
                    to_office=plan.route.office,
                    to_code=plan.route.authority_code,
                    to_name=plan.route.authority_name or plan.route.office.name[:200],
                    reason=_("Responsible for the residence (postal code %(postal_code)s)")
                    % {"postal_code": parsed.person.residence.postal_code},
                    forwarded_at=now,
                )
            )
    _insert(LabResult, lab_results)
    _insert(Event, events)
    PersonMatch.objects.bulk_create(matches, ignore_conflicts=True)
    Forwarding.objects.bulk_create(forwardings)
    # One chain append for the batch: each notification received, each person record and case made.
    entries = [audit.Entry(actor, "infection.person.create", person, purpose="demis") for person in new_persons]
    entries += [audit.Entry(actor, "infection.case.open", case, purpose="demis") for case in new_cases]
    if existing is None:
        entries += [
            audit.Entry(
                actor=actor,
                action="infection.notification.receive",
                obj=plan.notification,
                office=plan.route.office,
                purpose=f"demis {plan.parsed.kind}"
                + (f" forwarded from {receiving_office.slug}" if plan.route.outcome == "forwarded" else ""),
            )
            for plan in plans
        ]
    audit.record_many(entries)
    return [plan.notification for plan in plans if plan.notification is not None]


def _lab_results(case: InfectionCase, notification: Notification, parsed: ParsedNotification) -> list[LabResult]:
    return [
        LabResult(
            infection_case=case,
            notification=notification,
            pathogen=finding.pathogen[:10],
            method=finding.method,
            material=finding.material,
            interpretation=finding.interpretation,
            value=finding.value,
            collected_at=finding.collected_at,
            reported_at=finding.reported_at,
            laboratory=(parsed.laboratory or parsed.notifier)[:200],
        )
        for finding in parsed.findings
    ]


def _received_event(
    case: InfectionCase,
    notification: Notification,
    parsed: ParsedNotification,
    actor: User | None,
    at: Any,
    *,
    linked: bool,
) -> Event:
    return Event(
        infection_case=case,
        at=at,
        code="notification.received",
        actor=actor,
        data={
            "notification": notification.pk,
            "kind": parsed.kind,
            "pathogen": parsed.pathogen,
            "disease": parsed.disease,
            "interpretation": parsed.interpretation,
            "linked": linked,
        },
    )


# --- after the person review ---------------------------------------------------------------------


def settle_reviewed_notifications(*, actor: Any, person: Person) -> list[Notification]:
    """Put the notifications held for the person review (state REVIEW, no case) on a case once no
    review item about ``person`` is pending: the person's open case of the same disease (follow-up),
    else a new case, with lab results and a timeline line. Called after a merge or a "different
    persons" decision; returns the notifications settled."""
    if (
        PersonMatch.objects.filter(status=PersonMatch.Status.PENDING)
        .filter(Q(person=person) | Q(candidate=person))
        .exists()
    ):
        return []
    settled: list[Notification] = []
    event_actor = actor if isinstance(actor, User) else None
    with transaction.atomic():
        held = Notification.objects.select_for_update().filter(
            person=person, state=Notification.State.REVIEW, infection_case__isnull=True
        )
        for notification in held.order_by("notified_at", "pk"):
            parsed = parse_notification(notification.bundle.encode())
            case = (
                InfectionCase.objects.select_for_update()
                .filter(person=person, disease=notification.disease, status=InfectionCase.Status.OPEN)
                .order_by("-notified_at", "-pk")
                .first()
            )
            linked = case is not None
            if case is not None:
                if _complete_case(case, parsed):
                    case.save()
            elif notification.kind != Notification.Kind.LABORATORY_NEGATIVE:
                case = _new_case(notification.office, parsed, person)
                case.save()
            notification.infection_case = case
            notification.state = Notification.State.ASSIGNED if linked else Notification.State.NEW
            notification.save(update_fields=["infection_case", "state"])
            if case is not None:
                held_results = LabResult.objects.filter(notification=notification)
                if held_results.exists():  # kept from before an undone merge
                    held_results.update(infection_case=case)
                else:
                    LabResult.objects.bulk_create(_lab_results(case, notification, parsed))
                _received_event(case, notification, parsed, event_actor, timezone.now(), linked=linked).save()
            audit.record(
                actor,
                "infection.notification.settle",
                notification,
                office=notification.office,
                purpose=case.reference if case is not None else "",
            )
            settled.append(notification)
    return settled


def hold_notifications_of_other_persons(*, actor: Any, person: Person) -> list[Notification]:
    """After an undone merge: notifications of ``person`` that sit on another person's case go back
    to the person review (no case, state REVIEW); their lab results stay with the notification."""
    held: list[Notification] = []
    with transaction.atomic():
        misplaced = (
            Notification.objects.select_for_update()
            .filter(person=person, infection_case__isnull=False)
            .exclude(infection_case__person=person)
            .select_related("infection_case")
        )
        for notification in misplaced:
            case = notification.infection_case
            assert case is not None
            LabResult.objects.filter(notification=notification, infection_case=case).update(infection_case=None)
            add_event(
                actor=actor,
                code="notification.unlinked",
                infection_case=case,
                data={"notification": notification.pk, "reason": "merge undone"},
            )
            notification.infection_case = None
            notification.state = Notification.State.REVIEW
            notification.save(update_fields=["infection_case", "state"])
            audit.record(
                actor, "infection.notification.hold", notification, office=notification.office, purpose=case.reference
            )
            held.append(notification)
    return held


def _person_for(office: Office, parsed: ParsedNotification) -> Person:
    residence = parsed.person.residence
    person = Person(
        office=office,
        given_name=parsed.person.given_name,
        family_name=parsed.person.family_name,
        birth_date=parsed.person.birth_date,
        street=residence.street,
        postal_code=residence.postal_code,
        place=residence.place,
        email=parsed.person.email if "@" in parsed.person.email else "",
        phone=parsed.person.phone,
        sex=parsed.person.sex if parsed.person.sex != "unknown" else "",
    )
    person.set_match_keys()
    return person


def _insert(model: Any, objects: list[Any]) -> None:
    """INSERT many rows and set their primary keys: PostgreSQL COPY (ids drawn from the sequence
    first), which skips building and quoting one huge statement; ``bulk_create`` for a few rows
    and on other databases."""
    if not objects:
        return
    if connection.vendor != "postgresql" or len(objects) < 20:  # one INSERT … RETURNING is quicker then
        model.objects.bulk_create(objects)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [meta.db_table, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with connection.wrap_database_errors, cursor.copy(f"COPY {table} (id, {columns}) FROM STDIN") as copy:
            for pk, obj in zip(ids, objects, strict=True):
                obj.pk = pk
                copy.write_row([pk, *(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = "default"


# --- forwarding by hand --------------------------------------------------------------------------


class ForwardingRefused(DomainError):
    pass


def forward_notification(*, actor: Any, notification: Notification, to_office: Office, reason: str) -> Notification:
    """Hand a notification to another office of the platform (Weiterleitung, § 11 IfSG).

    The notification moves to ``to_office`` as a new inbox item there: its person and case are
    found or opened again in that office (the sending office keeps its records of the case, with a
    timeline line about the forwarding). A ``Forwarding`` record notes from, to and why.
    """
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise ForwardingRefused(_("Say why the notification is forwarded."))
    if not to_office.is_active:
        raise ForwardingRefused(_("That office does not take notifications."))
    with transaction.atomic():
        locked = Notification.objects.select_for_update().select_related("office").get(pk=notification.pk)
        if locked.office_id != notification.office_id:  # forwarded by a colleague meanwhile
            raise ForwardingRefused(_("The notification has been forwarded to another office meanwhile."))
        from_office = locked.office
        if to_office.pk == from_office.pk:
            raise ForwardingRefused(_("The notification is already with that office."))
        parsed = parse_notification(locked.bundle.encode())
        old_case = locked.infection_case
        Forwarding.objects.create(
            notification=locked,
            from_office=from_office,
            to_office=to_office,
            to_code=to_office.rki_code,
            to_name=to_office.name[:200],
            reason=reason,
            forwarded_by=actor if isinstance(actor, User) else None,
        )
        if old_case is not None:
            add_event(
                actor=actor,
                code="notification.forwarded",
                infection_case=old_case,
                data={"notification": locked.pk, "to_office": to_office.pk, "to_code": to_office.rki_code},
            )
        LabResult.objects.filter(notification=locked).update(notification=None)
        locked.office = to_office
        locked.person = None
        locked.infection_case = None
        _store([parsed], receiving_office=from_office, source=locked.source, actor=actor, existing=locked)
        audit.record(actor, "infection.notification.forward", locked, office=from_office, purpose=reason)
        audit.record(
            actor,
            "infection.notification.receive",
            locked,
            office=to_office,
            purpose=f"forwarded from {from_office.slug}",
        )
    notification.refresh_from_db()
    return notification
