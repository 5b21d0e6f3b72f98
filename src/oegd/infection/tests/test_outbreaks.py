"""Outbreaks: create, link and unlink cases (from the outbreak page and the case panel), timeline, close."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff
from oegd.infection import tracing, tracing_selectors
from oegd.infection.models import Event, Outbreak
from oegd.infection.tests.tracing_factories import EN, contact, measles_case

pytestmark = pytest.mark.django_db


def _outbreak(cast, **kwargs) -> Outbreak:
    values = {"name": "Kita Sonnenschein", "disease": "msv", "setting": "school", **kwargs}
    return tracing.create_outbreak(actor=cast.clerk_a, office=cast.office_a, **values)


def test_create_an_outbreak_from_the_list_page(client, cast):
    login_staff(client, cast.clerk_a, cast.office_a)
    assert "New outbreak" in client.get(reverse("infection:outbreaks"), **EN).content.decode()
    data = {"outbreak-name": "Kita Sonnenschein", "outbreak-disease": "msv", "outbreak-setting": "school"}
    response = client.post(reverse("infection:outbreaks"), data, **EN)
    outbreak = Outbreak.objects.get()
    assert response["Location"] == reverse("infection:outbreak", args=[outbreak.reference])
    assert outbreak.office == cast.office_a and outbreak.disease == "msv" and outbreak.created_by == cast.clerk_a
    assert AuditEvent.objects.filter(action="infection.outbreak.create").exists()
    listing = client.get(reverse("infection:outbreaks"), **EN).content.decode()
    assert "Kita Sonnenschein" in listing and "Measles" in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outbreak-name": "", "outbreak-disease": "msv", "outbreak-setting": "school"}, "This field is required"),
        ({"outbreak-name": "X", "outbreak-disease": "zzz", "outbreak-setting": "school"}, "Select a valid choice"),
        ({"outbreak-name": "X", "outbreak-disease": "msv", "outbreak-setting": "moon"}, "Select a valid choice"),
    ],
)
def test_outbreak_bad_input_is_refused(client, cast, data, message):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:outbreaks"), data, **EN)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Outbreak.objects.exists()


def test_link_a_case_by_reference_and_see_cases_contacts_and_timeline(client, cast):
    outbreak = _outbreak(cast)
    case = measles_case(cast.office_a)
    contact(cast.clerk_a, case, "Kontakt", "Karl")
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(
        reverse("infection:outbreak_case_add", args=[outbreak.reference]), {"reference": case.reference.lower()}, **EN
    )
    assert response.status_code == 302
    assert list(outbreak.cases.all()) == [case]
    tracing.issue_quarantine_orders(actor=cast.clerk_a, infection_case=case, contacts=list(case.contacts.all()))
    tracing.add_outbreak_note(actor=cast.clerk_a, outbreak=outbreak, text="Begehung der Kita am Montag")
    page = client.get(reverse("infection:outbreak", args=[outbreak.reference]), **EN).content.decode()
    assert case.reference in page and "Index, Ida" in page
    assert "Kontakt, Karl" in page and "1 contact of the outbreak" in page
    for line in (
        "Outbreak opened",
        "Case notified",
        "Onset of illness",
        "Case linked",
        "Contact added (Close contact (category I))",
        "Quarantine order issued",
        "Begehung der Kita am Montag",
    ):
        assert line in page, line


def test_link_from_the_case_panel(client, cast):
    outbreak = _outbreak(cast)
    _outbreak(cast, name="Grippe im Heim", disease="inv")
    case = measles_case(cast.office_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(reverse("infection:case", args=[case.reference]), **EN).content.decode()
    assert "Link to outbreak" in page and "Kita Sonnenschein" in page and "Grippe im Heim" not in page
    response = client.post(
        reverse("infection:case_outbreak_link", args=[case.reference]), {"outbreak": outbreak.reference}, **EN
    )
    assert response.status_code == 302 and outbreak.cases.filter(pk=case.pk).exists()
    assert Event.objects.filter(infection_case=case, code="outbreak.linked").exists()
    response = client.post(reverse("infection:case_outbreak_link", args=[case.reference]), {"outbreak": ""}, **EN)
    assert response.status_code == 400 and "Please choose an outbreak." in response.content.decode()


def test_linking_refuses_unknown_foreign_other_disease_and_twice(client, cast):
    outbreak = _outbreak(cast)
    case = measles_case(cast.office_a)
    foreign = measles_case(cast.office_b)
    flu = measles_case(cast.office_a, disease="inv", pathogen="invp")
    url = reverse("infection:outbreak_case_add", args=[outbreak.reference])
    login_staff(client, cast.clerk_a, cast.office_a)
    for reference, message in (
        ("IF-NOPE", "no case with this reference"),
        (foreign.reference, "no case with this reference"),
        (flu.reference, "the outbreak about Measles"),
    ):
        response = client.post(url, {"reference": reference}, **EN)
        assert response.status_code == 400 and message in response.content.decode(), reference
    assert not outbreak.cases.exists()
    client.post(url, {"reference": case.reference}, **EN)
    response = client.post(url, {"reference": case.reference}, **EN)
    assert response.status_code == 400 and "already belongs" in response.content.decode()
    assert outbreak.cases.count() == 1


def test_unlink_and_close(client, cast):
    outbreak = _outbreak(cast)
    case = measles_case(cast.office_a)
    tracing.add_case_to_outbreak(actor=cast.clerk_a, outbreak=outbreak, infection_case=case)
    login_staff(client, cast.clerk_a, cast.office_a)
    client.post(reverse("infection:outbreak_case_remove", args=[outbreak.reference, case.reference]), **EN)
    assert not outbreak.cases.exists()
    client.post(reverse("infection:outbreak_close", args=[outbreak.reference]), **EN)
    outbreak.refresh_from_db()
    assert outbreak.status == "closed" and outbreak.closed_at
    again = client.post(reverse("infection:outbreak_close", args=[outbreak.reference]), **EN)
    assert again.status_code == 400 and "is closed" in again.content.decode()
    with pytest.raises(tracing.TracingError, match="closed"):
        tracing.add_case_to_outbreak(actor=cast.clerk_a, outbreak=outbreak, infection_case=case)
    page = client.get(reverse("infection:outbreak", args=[outbreak.reference]), **EN).content.decode()
    assert "Case unlinked" in page and "Outbreak closed" in page and "Link case" not in page


def test_empty_note_is_refused(client, cast):
    outbreak = _outbreak(cast)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:outbreak_note", args=[outbreak.reference]), {"text": " "}, **EN)
    assert response.status_code == 400
    assert not Event.objects.filter(outbreak=outbreak, code="outbreak.note").exists()


def test_another_offices_outbreak_is_404_and_unchanged(client, cast):
    outbreak = _outbreak(cast)
    case_b = measles_case(cast.office_b)
    login_staff(client, cast.clerk_b, cast.office_b)
    assert client.get(reverse("infection:outbreak", args=[outbreak.reference]), **EN).status_code == 404
    for name in ("outbreak_close", "outbreak_note"):
        assert (
            client.post(reverse(f"infection:{name}", args=[outbreak.reference]), {"text": "x"}, **EN).status_code == 404
        )
    response = client.post(
        reverse("infection:case_outbreak_link", args=[case_b.reference]), {"outbreak": outbreak.reference}, **EN
    )
    assert response.status_code == 400
    assert "Kita" not in client.get(reverse("infection:outbreaks"), **EN).content.decode()
    outbreak.refresh_from_db()
    assert outbreak.status == "open" and not outbreak.cases.exists()
    assert Event.objects.filter(outbreak=outbreak).count() == 1


def test_a_timeline_over_its_limit_keeps_the_newest_lines(cast):
    outbreak = _outbreak(cast)
    for number in range(1, 6):
        tracing.add_outbreak_note(actor=cast.clerk_a, outbreak=outbreak, text=f"Note {number}")
    lines = tracing_selectors.outbreak_timeline(outbreak, limit=3)
    assert [line.text for line in lines] == ["Note 3", "Note 4", "Note 5"]
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    everything = tracing_selectors.outbreak_timeline(outbreak)
    assert [line.label for line in everything][0] == "Outbreak opened" and everything[-1].text == "Note 5"
