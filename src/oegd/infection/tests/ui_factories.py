"""Small builders of notifications and infection cases for the staff UI tests (helper "ui")."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import timedelta

from django.utils import timezone

from oegd.cases.models import Person
from oegd.infection.models import InfectionCase, LabResult, Notification

_sequence = itertools.count(1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def person(office, family_name="Mustermann", given_name="Erika", **kwargs) -> Person:
    return Person.objects.create(office=office, family_name=family_name, given_name=given_name, **kwargs)


def notification(office, *, days_ago=0, **kwargs) -> Notification:
    number = next(_sequence)
    identifier = kwargs.pop("bundle_identifier", f"urn:uuid:test-{number}")
    values = {
        "kind": Notification.Kind.LABORATORY,
        "disease": "cvd",
        "pathogen": "cvdp",
        "notifier": "Labor Musterstadt",
        "notified_at": timezone.now() - timedelta(days=days_ago),
        "received_at": timezone.now() - timedelta(days=days_ago),
        "bundle": json.dumps({"resourceType": "Bundle", "id": str(number)}),
        **kwargs,
    }
    return Notification.objects.create(
        office=office,
        bundle_identifier=identifier,
        bundle_sha256=hashlib.sha256(identifier.encode()).hexdigest(),
        **values,
    )


def infection_case(office, *, days_ago=0, **kwargs) -> InfectionCase:
    reference = kwargs.pop("reference", f"IF-T{next(_sequence):07d}")
    values = {"disease": "cvd", "pathogen": "cvdp", "notified_at": timezone.now() - timedelta(days=days_ago), **kwargs}
    return InfectionCase.objects.create(office=office, reference=reference, **values)


def lab_result(case, notification=None, **kwargs) -> LabResult:
    values = {"pathogen": "cvdp", "interpretation": LabResult.Interpretation.POSITIVE, "laboratory": "Labor X"}
    values.update(kwargs)
    return LabResult.objects.create(
        infection_case=case, notification=notification, reported_at=timezone.now(), **values
    )
