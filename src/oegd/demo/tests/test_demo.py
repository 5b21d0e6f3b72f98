import pytest
from django.core.management import call_command

from oegd.cases.models import Case, Task
from oegd.core.models import ApiClient, Office, User
from oegd.core.services import authenticate_api_token
from oegd.directory.selectors import route_by_postal_code

pytestmark = pytest.mark.django_db


def test_demo_loads_idempotently_and_prints_working_logins(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    call_command("load_demo")
    second = capsys.readouterr().out
    assert Office.objects.count() == 2
    assert User.objects.filter(email="buerger@example.org", kind=User.Kind.CITIZEN).count() == 1
    assert ApiClient.objects.count() == 2  # the office token and the demo school's
    # three requests wait in the worklists, submitted once however often the demo loads
    assert sorted(Case.objects.values_list("case_type", flat=True)) == [
        "counselling-request",
        "ifsg34-notification",
        "ifsg43-instruction",
    ]
    assert Task.objects.filter(status=Task.Status.OPEN).count() == 3
    assert "admin@musterstadt.example" in first and "demo-Musterland-2026" in first
    token = second.split("API token (all scopes, shown once): ")[1].split()[0]
    assert authenticate_api_token(token).name == "Demo-Schnittstelle"
    old = first.split("API token (all scopes, shown once): ")[1].split()[0]
    assert authenticate_api_token(old) is None  # re-issued, the old one is gone


def test_demo_infection_inbox_loads_once(capsys):
    from oegd.infection.models import Contact, Forwarding, InfectionCase, Notification, Outbreak, PersonMatch

    call_command("load_demo")
    counts = (Notification.objects.count(), InfectionCase.objects.count(), Contact.objects.count())
    call_command("load_demo")  # the same bundles again: recognised, nothing new
    assert (Notification.objects.count(), InfectionCase.objects.count(), Contact.objects.count()) == counts
    assert counts[0] == 66
    musterstadt = Office.objects.get(slug="musterstadt")
    assert Notification.objects.filter(office=musterstadt, state=Notification.State.REVIEW).count() >= 2
    assert PersonMatch.objects.filter(status=PersonMatch.Status.PENDING).count() >= 2
    assert Forwarding.objects.filter(from_office=musterstadt).count() == 5
    outbreak = Outbreak.objects.get(office=musterstadt)
    assert outbreak.cases.count() == 2 and {case.disease for case in outbreak.cases.all()} == {outbreak.disease}
    assert Contact.objects.filter(office=musterstadt).count() == 2


def test_demo_postal_codes_route_to_the_demo_offices():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert route_by_postal_code(postal_code="12341").authority.name == "Gesundheitsamt Musterstadt"
    shared = route_by_postal_code(postal_code="12345")
    assert shared.needs_place
    decided = route_by_postal_code(postal_code="12345", place="Vorwerk")
    assert decided.authority.name == "Gesundheitsamt Landkreis Beispielkreis"
