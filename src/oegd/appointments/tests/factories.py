"""Rows for appointment tests: an office location open Mon–Fri 08:00–12:00 and 13:00–16:00."""

from __future__ import annotations

from datetime import time

from oegd.appointments.models import AppointmentType, Location, Resource, WorkingPlan
from oegd.core.models import Office
from oegd.core.tests.factories import OfficeFactory


def location(office: Office | None = None, time_zone: str = "Europe/Berlin", country: str = "DE", **kwargs) -> Location:
    office = office or OfficeFactory(slug="musterstadt", name="Gesundheitsamt Musterstadt")
    return Location.objects.create(
        office=office,
        name=kwargs.pop("name", "Hauptgebäude"),
        street="Hygieneplatz 1",
        postal_code="12345",
        place="Musterstadt",
        time_zone=time_zone,
        holiday_country=country,
        holiday_subdivision=kwargs.pop("subdivision", "BE" if country == "DE" else ""),
        accessibility={"de": "Stufenloser Zugang, Aufzug", "en": "Step-free access, lift"},
        **kwargs,
    )


def staff_resource(place: Location, name: str = "Dr. Petra Praxis", qualifications=("physician",)) -> Resource:
    resource = Resource.objects.create(
        office=place.office, location=place, kind=Resource.Kind.STAFF, name=name, qualifications=list(qualifications)
    )
    for weekday in range(5):
        WorkingPlan.objects.create(resource=resource, weekday=weekday, start=time(8), end=time(12))
        WorkingPlan.objects.create(resource=resource, weekday=weekday, start=time(13), end=time(16))
    return resource


def appointment_type(place: Location, slug: str = "impfberatung", **kwargs) -> AppointmentType:
    defaults = {
        "texts": {
            "de": {"name": "Impfberatung", "description": "Beratung zu Impfungen"},
            "en": {"name": "Vaccination advice", "description": "Advice on vaccinations"},
            "uk": {"name": "Консультація щодо щеплень", "description": "Консультація"},
        },
        "duration_minutes": 30,
        "slot_step_minutes": 30,
        "min_notice_minutes": 60,
        "horizon_days": 60,
        "cancellation_cutoff_minutes": 24 * 60,
        "required_qualification": "physician",
        "reminder_offsets": [24 * 60, 120],
    }
    return AppointmentType.objects.create(office=place.office, location=place, slug=slug, **{**defaults, **kwargs})
