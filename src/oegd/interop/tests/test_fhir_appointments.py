"""Appointments over FHIR: Schedules and free Slots (public), booking and reading Appointments (token)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import include, path
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from oegd.appointments.models import Appointment, AppointmentType, Location, Resource, ResourceClaim, WorkingPlan
from oegd.core.models import AuditEvent
from oegd.core.services import create_api_client
from oegd.core.tests.factories import OfficeFactory
from oegd.interop import appointments as fhir_appointments

# The routes as the lead wires them into interop/urls.py (before the catch-all), then the project's.
urlpatterns = [
    path("fhir/Schedule", fhir_appointments.schedule_search),
    path("fhir/Schedule/<str:fhir_id>", fhir_appointments.schedule_read),
    path("fhir/Slot", fhir_appointments.slot_search),
    path("fhir/Appointment", fhir_appointments.appointment_endpoint),
    path("fhir/Appointment/<str:public_id>", fhir_appointments.appointment_read),
    path("", include("oegd.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def client():
    """Systems here ask in English, so the assertions read the source texts."""
    from django.test import Client

    return Client(headers={"accept-language": "en"})


FHIR = "application/fhir+json"
# "Now" is Tuesday 2026-11-24, 10:00 in Berlin; the week searched is Tue 1 – Mon 7 December 2026.
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WEEK = {"start": ["ge2026-12-01", "lt2026-12-08"]}
SCHEDULE_A = "apt-musterstadt-impfberatung"
FIRST_SLOT = f"{SCHEDULE_A}-20261201T0700"  # 08:00 in Berlin (UTC+1)


class World:
    """Two offices, each with a place, a physician working Mon–Fri 08:00–12:00 and a public type;
    office A also has a type by invitation only. API clients: A (appointments), A (forms only), B."""

    def __init__(self) -> None:
        self.office_a = OfficeFactory(slug="musterstadt", name="Gesundheitsamt Musterstadt")
        self.office_b = OfficeFactory(slug="beispielkreis", name="Gesundheitsamt Beispielkreis")
        self.place_a, self.doctor_a = self._place(self.office_a, "Hauptgebäude")
        self.place_b, self.doctor_b = self._place(self.office_b, "Außenstelle Nord")
        self.vaccination = self._type(self.place_a, "impfberatung", "Impfberatung")
        self.school_entry = self._type(
            self.place_a, "schuleingang", "Schuleingangsuntersuchung", audience=AppointmentType.Audience.INVITED
        )
        self.sti = self._type(self.place_b, "sti-test", "STI-Test")
        self.client_a, self.token_a = create_api_client(
            actor=None, office=self.office_a, name="Praxissoftware", scopes=["appointments"]
        )
        self.forms_a, self.forms_token_a = create_api_client(
            actor=None, office=self.office_a, name="Schulsoftware", scopes=["forms"]
        )
        self.client_b, self.token_b = create_api_client(
            actor=None, office=self.office_b, name="Terminportal", scopes=["appointments"]
        )

    @staticmethod
    def _place(office, name):
        place = Location.objects.create(office=office, name=name, time_zone="Europe/Berlin", holiday_country="DE")
        doctor = Resource.objects.create(
            office=office,
            location=place,
            kind=Resource.Kind.STAFF,
            name="Dr. Petra Praxis",
            qualifications=["physician"],
        )
        for weekday in range(5):
            WorkingPlan.objects.create(resource=doctor, weekday=weekday, start=time(8), end=time(12))
        return place, doctor

    @staticmethod
    def _type(place, slug, name, **kwargs):
        return AppointmentType.objects.create(
            office=place.office,
            location=place,
            slug=slug,
            texts={"de": {"name": name}, "en": {"name": f"{name} (en)"}},
            duration_minutes=30,
            slot_step_minutes=30,
            min_notice_minutes=120,
            horizon_days=60,
            required_qualification="physician",
            **kwargs,
        )


@pytest.fixture
def world(db):
    cache.clear()  # idempotency keys live in the cache
    with time_machine.travel(NOW, tick=False):
        yield World()
    cache.clear()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def booking(slot=FIRST_SLOT, name="Mia Muster", email="mia@example.org", **extra):
    body = {
        "resourceType": "Appointment",
        "status": "booked",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p1",
                "name": [{"given": ["Mia"], "family": "Muster"}],
                "telecom": [{"system": "email", "value": email}],
            }
        ],
        "slot": [{"reference": f"Slot/{slot}"}],
        "participant": [{"actor": {"reference": "#p1", "display": name}, "status": "accepted"}],
    }
    return {**body, **extra}


def post(client, body, token, **headers):
    return client.post("/fhir/Appointment", body, content_type=FHIR, headers={**bearer(token), **headers})


def slot_ids(client, **params):
    response = client.get("/fhir/Slot", {**WEEK, **params})
    assert response.status_code == 200, response.content
    return [entry["resource"]["id"] for entry in response.json().get("entry", [])]


def outcome(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == FHIR
    parsed = OperationOutcome.model_validate(response.json())
    assert parsed.issue[0].code == code
    return parsed.issue[0].diagnostics


# --- Schedule and Slot --------------------------------------------------------------------------


def test_schedules_are_the_publicly_bookable_types(world, client):
    response = client.get("/fhir/Schedule")
    assert response.status_code == 200 and response["Content-Type"] == FHIR
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset"
    schedules = {entry.resource.id: Schedule.model_validate(entry.resource.model_dump()) for entry in bundle.entry}
    assert set(schedules) == {SCHEDULE_A, "apt-beispielkreis-sti-test"}  # not the type by invitation

    schedule = schedules[SCHEDULE_A]
    coding = schedule.serviceType[0].coding[0]
    assert (coding.system, coding.code, coding.display) == (
        fhir_appointments.TYPE_SYSTEM,
        "impfberatung",
        "Impfberatung (en)",  # in the caller's language
    )
    assert schedule.actor[0].display == "Hauptgebäude"
    assert schedule.planningHorizon.start.isoformat() == "2026-11-24T10:00:00+01:00"
    assert schedule.planningHorizon.end.isoformat() == "2027-01-23T10:00:00+01:00"

    by_place = client.get("/fhir/Schedule", {"actor": f"Location/{world.place_b.pk}"}).json()
    assert [entry["resource"]["id"] for entry in by_place["entry"]] == ["apt-beispielkreis-sti-test"]
    by_name = client.get("/fhir/Schedule", {"actor": "hauptgeb"}).json()
    assert [entry["resource"]["id"] for entry in by_name["entry"]] == [SCHEDULE_A]

    read = client.get(f"/fhir/Schedule/{SCHEDULE_A}")
    assert read.status_code == 200 and Schedule.model_validate(read.json()).id == SCHEDULE_A
    outcome(client.get("/fhir/Schedule/apt-musterstadt-schuleingang"), 404, "not-found")


def test_slot_search_returns_free_slots_as_a_searchset(world, client):
    response = client.get("/fhir/Slot", {**WEEK, "status": "free", "schedule": f"Schedule/{SCHEDULE_A}"})
    assert response.status_code == 200 and response["Content-Type"] == FHIR
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset"
    slots = [Slot.model_validate(entry.resource.model_dump()) for entry in bundle.entry]
    assert len(slots) == 5 * 8  # Tue–Fri and Monday, 08:00–12:00 every 30 minutes
    first = slots[0]
    assert first.id == FIRST_SLOT and first.status == "free"
    assert first.start.isoformat() == "2026-12-01T08:00:00+01:00"
    assert first.end.isoformat() == "2026-12-01T08:30:00+01:00"
    assert first.schedule.reference == f"Schedule/{SCHEDULE_A}"
    assert first.serviceType[0].coding[0].code == "impfberatung"
    assert first.extension[0].url == fhir_appointments.PLACES_LEFT_URL and first.extension[0].valueUnsignedInt == 1
    assert slots[-1].id == f"{SCHEDULE_A}-20261207T1030"  # Monday 11:30 in Berlin
    assert bundle.entry[0].fullUrl.endswith(f"/fhir/Slot/{FIRST_SLOT}")

    by_type = slot_ids(client, **{"service-type": f"{fhir_appointments.TYPE_SYSTEM}|sti-test"})
    assert len(by_type) == 40 and all(slot.startswith("apt-beispielkreis-sti-test-") for slot in by_type)
    assert slot_ids(client, **{"service-type": "schuleingang"}) == []  # by invitation only: not offered
    assert slot_ids(client, status="busy") == []
    one_day = slot_ids(client, start="2026-12-01", schedule=SCHEDULE_A)
    assert len(one_day) == 8


def test_slot_search_pages(world, client):
    first = client.get("/fhir/Slot", {**WEEK, "schedule": SCHEDULE_A, "_count": 30}).json()
    assert len(first["entry"]) == 30
    following = [link["url"] for link in first["link"] if link["relation"] == "next"]
    assert following and "_offset=30" in following[0]
    second = client.get("/fhir/Slot", {**WEEK, "schedule": SCHEDULE_A, "_count": 30, "_offset": 30}).json()
    assert len(second["entry"]) == 10 and not [link for link in second["link"] if link["relation"] == "next"]
    assert second["entry"][0]["resource"]["id"] == f"{SCHEDULE_A}-20261204T1000"  # the 31st: Friday 11:00
    assert not {entry["resource"]["id"] for entry in first["entry"]} & {e["resource"]["id"] for e in second["entry"]}


def test_a_slot_taken_by_a_booking_disappears(world, client):
    start = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    taken = Appointment.objects.create(
        office=world.office_a,
        appointment_type=world.vaccination,
        start=start,
        end=start + timedelta(minutes=30),
        name="Mia Muster",
        email="mia@example.org",
        language="de",
        manage_token_hash="x" * 64,
    )
    ResourceClaim.objects.create(resource=world.doctor_a, appointment=taken, start=taken.start, end=taken.end)
    ids = slot_ids(client, schedule=SCHEDULE_A)
    assert FIRST_SLOT not in ids and f"{SCHEDULE_A}-20261201T0730" in ids and len(ids) == 39


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (["ge2026-12-01", "lt2026-13-08"], "not a date"),
        (["ge01.12.2026", "lt2026-12-08"], "not a date"),
        (["ge2026-12-01T08:00:00+01:00", "lt2026-12-01Tnoon"], "not a date"),
        (["ap2026-12-01", "lt2026-12-08"], "prefix"),
        (["ge2026-12-01"], "start range"),
        ([], "start range"),
        (["ge2026-12-01", "lt2027-01-02"], "31 days"),
        (["ge2026-12-08", "lt2026-12-01"], "empty"),
    ],
)
def test_slot_search_refuses_bad_or_too_wide_ranges(world, client, start, message):
    diagnostics = outcome(client.get("/fhir/Slot", {"start": start}), 400, "invalid")
    assert message in diagnostics


def test_slot_search_accepts_date_times_with_offsets(world, client):
    ids = slot_ids(client, start=["ge2026-12-01T09:00:00+01:00", "lt2026-12-01T09:00:00Z"], schedule=SCHEDULE_A)
    assert ids == [f"{SCHEDULE_A}-20261201T0800", f"{SCHEDULE_A}-20261201T0830"]
    # An unencoded "+" arrives as a space; it is read as the offset it was meant to be.
    spaced = client.get(
        f"/fhir/Slot?start=ge2026-12-01T09:00:00+01:00&start=lt2026-12-01T10:00:00%2B01:00&schedule={SCHEDULE_A}"
    )
    assert [entry["resource"]["id"] for entry in spaced.json()["entry"]] == ids


# --- booking ----------------------------------------------------------------------------------


def test_a_system_books_a_slot(world, client):
    response = post(client, booking(comment="Bitte Impfpass mitbringen?"), world.token_a, **{"Content-Language": "en"})
    assert response.status_code == 201, response.content
    resource = FhirAppointment.model_validate(response.json())
    appointment = Appointment.objects.get(public_id=resource.id)
    assert response["Location"].endswith(f"/fhir/Appointment/{appointment.public_id}")
    assert (appointment.office, appointment.appointment_type) == (world.office_a, world.vaccination)
    assert appointment.start == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert (appointment.name, appointment.email, appointment.language) == ("Mia Muster", "mia@example.org", "en")
    assert appointment.note == "Bitte Impfpass mitbringen?" and appointment.status == Appointment.Status.BOOKED
    assert resource.status == "booked" and resource.slot[0].reference == f"Slot/{FIRST_SLOT}"
    assert resource.start.isoformat() == "2026-12-01T08:00:00+01:00"
    assert resource.participant[0].actor.display == "Mia Muster"
    assert resource.contained[0].telecom[0].value == "mia@example.org"
    assert ResourceClaim.objects.get(appointment=appointment).resource == world.doctor_a
    assert AuditEvent.objects.filter(action="appointment.book", object_id=str(appointment.pk)).exists()
    assert FIRST_SLOT not in slot_ids(client, schedule=SCHEDULE_A)


def test_the_same_slot_again_is_a_conflict_and_books_nothing(world, client):
    assert post(client, booking(), world.token_a).status_code == 201
    again = post(client, booking(name="Max Muster", email="max@example.org"), world.token_a)
    assert "no longer available" in outcome(again, 409, "conflict")
    assert Appointment.objects.count() == 1 and Appointment.objects.get().name == "Mia Muster"


def test_a_retry_with_the_same_idempotency_key_returns_the_first_appointment(world, client):
    first = post(client, booking(), world.token_a, **{"Idempotency-Key": "praxis-4711"})
    assert first.status_code == 201
    retry = post(client, booking(), world.token_a, **{"Idempotency-Key": "praxis-4711"})
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert retry["Location"] == first["Location"]
    assert Appointment.objects.count() == 1
    # The key belongs to one client: another client's same key is a new request (here: other office).
    other = post(client, booking(), world.token_b, **{"Idempotency-Key": "praxis-4711"})
    assert other.status_code == 422 and Appointment.objects.count() == 1


def test_a_refused_request_does_not_use_up_its_idempotency_key(world, client):
    bad = post(client, booking(email="not-an-address"), world.token_a, **{"Idempotency-Key": "k-1"})
    outcome(bad, 422, "required")
    good = post(client, booking(), world.token_a, **{"Idempotency-Key": "k-1"})
    assert good.status_code == 201 and Appointment.objects.count() == 1


def test_a_retry_while_the_first_request_still_runs_is_told_to_wait(world, client):
    key = hashlib.sha256(b"k-2").hexdigest()
    cache.set(f"fhir-appointment:{world.client_a.pk}:{key}", "in-progress", 60)  # the first request is running
    assert "still being processed" in outcome(
        post(client, booking(), world.token_a, **{"Idempotency-Key": "k-2"}), 409, "conflict"
    )
    assert Appointment.objects.count() == 0


def test_a_client_books_only_types_of_its_own_office(world, client):
    other_office_slot = "apt-beispielkreis-sti-test-20261201T0700"
    assert "own office" in outcome(post(client, booking(slot=other_office_slot), world.token_a), 422, "business-rule")
    invited_slot = "apt-musterstadt-schuleingang-20261201T0700"
    outcome(post(client, booking(slot=invited_slot), world.token_a), 404, "not-found")
    assert Appointment.objects.count() == 0


def test_refusals_by_the_booking_rules_are_business_rule_errors(world, client):
    too_soon = f"{SCHEDULE_A}-20261124T1000"  # today 11:00 in Berlin: inside the minimum notice
    outcome(post(client, booking(slot=too_soon), world.token_a), 422, "business-rule")
    off_grid = f"{SCHEDULE_A}-20261201T0710"
    outcome(post(client, booking(slot=off_grid), world.token_a), 422, "business-rule")
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"slot": [{"reference": "Slot/"}]}, 400, "value"),
        ({"slot": [{"reference": "Schedule/apt-musterstadt-impfberatung"}]}, 400, "value"),
        ({"slot": []}, 400, "required"),
        ({"slot": [{"reference": "Slot/apt-nowhere-nothing-20261201T0700"}]}, 404, "not-found"),
        ({"status": "cancelled"}, 422, "value"),
        ({"start": "2026-12-01T09:00:00+01:00"}, 422, "value"),
        ({"participant": [{"actor": {"display": "Mia"}, "status": "accepted"}]}, 422, "required"),
        ({"unknownField": 1}, 400, "structure"),
    ],
)
def test_malformed_bookings_are_refused_and_book_nothing(world, client, change, status, code):
    body = {**booking(), **change}
    outcome(post(client, body, world.token_a), status, code)
    assert Appointment.objects.count() == 0


def test_a_body_that_is_no_appointment_is_refused(world, client):
    outcome(client.post("/fhir/Appointment", "{", content_type=FHIR, headers=bearer(world.token_a)), 400, "structure")
    outcome(post(client, {"resourceType": "Patient"}, world.token_a), 400, "structure")


def test_booking_needs_a_token_with_the_appointments_scope(world, client):
    missing = client.post("/fhir/Appointment", booking(), content_type=FHIR)
    outcome(missing, 401, "login")
    assert missing["WWW-Authenticate"].startswith("Bearer")
    outcome(post(client, booking(), "oegd_nothing_wrong"), 401, "login")
    outcome(post(client, booking(), world.forms_token_a), 403, "forbidden")
    outcome(client.get("/fhir/Appointment", headers=bearer(world.forms_token_a)), 403, "forbidden")
    assert Appointment.objects.count() == 0


# --- reading and searching ---------------------------------------------------------------------


def _row(world, kind, day, status=Appointment.Status.BOOKED, name="Mia Muster"):
    start = datetime(2026, 12, day, 8, 0, tzinfo=UTC)
    return Appointment.objects.create(
        office=kind.office,
        appointment_type=kind,
        start=start,
        end=start + timedelta(minutes=30),
        status=status,
        name=name,
        email="mia@example.org",
        language="de",
        manage_token_hash="x" * 64,
    )


def test_a_client_reads_only_appointments_of_its_office(world, client):
    own = _row(world, world.vaccination, 2)
    foreign = _row(world, world.sti, 2, name="Bert Beispiel")
    read = client.get(f"/fhir/Appointment/{own.public_id}", headers=bearer(world.token_a))
    assert read.status_code == 200
    resource = FhirAppointment.model_validate(read.json())
    assert resource.id == str(own.public_id) and resource.status == "booked"
    assert resource.slot[0].reference == f"Slot/{SCHEDULE_A}-20261202T0800"
    assert AuditEvent.objects.filter(action="appointment.read", object_id=str(own.pk)).count() == 1

    outcome(client.get(f"/fhir/Appointment/{foreign.public_id}", headers=bearer(world.token_a)), 404, "not-found")
    outcome(client.get("/fhir/Appointment/not-a-uuid", headers=bearer(world.token_a)), 404, "not-found")
    outcome(client.get(f"/fhir/Appointment/{own.public_id}"), 401, "login")
    assert not AuditEvent.objects.filter(action="appointment.read", object_id=str(foreign.pk)).exists()


@pytest.mark.parametrize(
    ("status", "fhir_status"),
    [
        (Appointment.Status.PENDING, "pending"),
        (Appointment.Status.BOOKED, "booked"),
        (Appointment.Status.CANCELLED, "cancelled"),
        (Appointment.Status.RESCHEDULED, "cancelled"),
        (Appointment.Status.COMPLETED, "fulfilled"),
        (Appointment.Status.NO_SHOW, "noshow"),
    ],
)
def test_statuses_are_mapped_to_fhir(world, client, status, fhir_status):
    row = _row(world, world.vaccination, 2, status=status)
    read = client.get(f"/fhir/Appointment/{row.public_id}", headers=bearer(world.token_a))
    assert FhirAppointment.model_validate(read.json()).status == fhir_status


def test_search_by_date_finds_only_the_own_office(world, client):
    early = _row(world, world.vaccination, 1)
    late = _row(world, world.vaccination, 9)
    _row(world, world.sti, 2, name="Bert Beispiel")
    response = client.get(
        "/fhir/Appointment", {"date": ["ge2026-12-01", "lt2026-12-08"]}, headers=bearer(world.token_a)
    )
    assert response.status_code == 200
    bundle = Bundle.model_validate(response.json())
    assert bundle.type == "searchset" and bundle.total == 1
    assert [entry.resource.id for entry in bundle.entry] == [str(early.public_id)]

    everything = client.get("/fhir/Appointment", headers=bearer(world.token_a)).json()
    assert [entry["resource"]["id"] for entry in everything["entry"]] == [str(early.public_id), str(late.public_id)]
    from_b = client.get("/fhir/Appointment", headers=bearer(world.token_b)).json()
    assert [entry["resource"]["participant"][0]["actor"]["display"] for entry in from_b["entry"]] == ["Bert Beispiel"]
    outcome(client.get("/fhir/Appointment", {"date": "ge1.12.2026"}, headers=bearer(world.token_a)), 400, "invalid")


def test_the_capability_statement_lists_the_appointment_resources(world, client):
    statement = client.get("/fhir/metadata").json()
    resources = {entry["type"]: entry for entry in statement["rest"][0]["resource"]}
    assert {i["code"] for i in resources["Appointment"]["interaction"]} == {"create", "read", "search-type"}
    assert {p["name"] for p in resources["Slot"]["searchParam"]} == {"status", "start", "service-type", "schedule"}
    assert {i["code"] for i in resources["Schedule"]["interaction"]} == {"read", "search-type"}
