"""The infection case page: header, panels (classification, clinical details), lab results,
timeline with notes, assignment, closing and reopening; refusals change nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff
from oegd.infection.models import Event, InfectionCase
from oegd.infection.tests.ui_factories import EN, infection_case, lab_result, notification, person

pytestmark = pytest.mark.django_db

FEVER, COUGH = "386661006", "49727002"


@pytest.fixture
def case(cast):
    return infection_case(cast.office_a, person=person(cast.office_a, "Schmidt", "Hanna"), postal_code="12345")


def _url(name, case):
    return reverse(f"infection:{name}", args=[case.reference])


def test_case_page_shows_the_case_and_audits_the_read(client, cast, case):
    item = notification(cast.office_a, person=case.person, infection_case=case, notifier="Labor Nord")
    lab_result(case, item, value="Ct 19")
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(_url("case", case), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert case.reference in text and "COVID-19" in text and "Schmidt, Hanna" in text
    assert "Ct 19" in text and "Labor Nord" in text
    assert "Not yet assessed" in text
    assert response.context["infection_case"] == case  # the tracing panel's context variable
    assert AuditEvent.objects.filter(action="infection.case.read", object_id=str(case.pk), actor=cast.clerk_a).exists()


def test_other_offices_case_and_unknown_reference_are_404(client, cast, case):
    login_staff(client, cast.clerk_b, cast.office_b)
    assert client.get(_url("case", case), **EN).status_code == 404
    assert client.post(_url("case_close", case), **EN).status_code == 404
    assert client.post(_url("case_classify", case), {"classification": "C"}, **EN).status_code == 404
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.get(reverse("infection:case", args=["IF-NONE-XXXX"]), **EN).status_code == 404
    case.refresh_from_db()
    assert case.status == InfectionCase.Status.OPEN and case.classification == "pending"


def test_classification_is_saved_with_a_timeline_line(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(_url("case_classify", case), {"classification": "C"}, **EN)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.classification == "C"
    assert Event.objects.filter(infection_case=case, code="case.classified", data__to="C").exists()
    assert AuditEvent.objects.filter(action="infection.case.classify", object_id=str(case.pk)).exists()


def test_unknown_classification_is_refused(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(_url("case_classify", case), {"classification": "Z"}, **EN)
    assert response.status_code == 422
    assert "Unknown classification." in response.content.decode()
    case.refresh_from_db()
    assert case.classification == "pending" and not case.events.exists()


def test_clinical_details_are_saved(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    onset = timezone.localdate() - timedelta(days=3)
    response = client.post(
        _url("case_clinical", case),
        {
            "onset_date": onset.isoformat(),
            "symptoms": [FEVER, COUGH],
            "hospitalised": "yes",
            "hospitalised_on": (onset + timedelta(days=1)).isoformat(),
            "deceased": "no",
            "vaccination": "complete",
        },
        **EN,
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.onset_date == onset
    assert case.symptoms == sorted([FEVER, COUGH])
    assert (case.hospitalised, case.deceased, case.vaccination) == (True, False, "complete")
    assert case.events.get(code="case.updated").data["fields"]
    page = client.get(_url("case", case), **EN).content.decode()
    assert "Fever" in page and "Cough" in page and "fully vaccinated" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"onset_date": "2099-01-01"}, "The onset of illness cannot be in the future."),
        ({"onset_date": "31.02.2026"}, "Enter a valid date."),
        ({"hospitalised_on": "2099-01-01"}, "The date of admission cannot be in the future."),
        ({"symptoms": ["123"]}, "Select a valid choice."),
        ({"vaccination": "maybe"}, "Select a valid choice."),
    ],
)
def test_bad_clinical_input_is_refused_and_changes_nothing(client, cast, case, data, message):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(_url("case_clinical", case), {"vaccination": "unknown", **data}, **EN)
    assert response.status_code == 422
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.onset_date is None and case.symptoms == [] and case.vaccination == "unknown"
    assert not case.events.exists()


def test_a_date_of_admission_without_hospitalisation_is_refused(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {"hospitalised": "no", "hospitalised_on": yesterday, "vaccination": "unknown"}
    response = client.post(_url("case_clinical", case), data, **EN)
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.hospitalised is None and case.hospitalised_on is None


def test_notes_are_added_encrypted_and_shown_on_the_timeline(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(_url("case_note", case), {"text": "Rückruf vereinbart"}, **EN)
    assert response.status_code == 302
    event = case.events.get(code="note.added")
    assert event.text == "Rückruf vereinbart" and event.actor == cast.clerk_a
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM infection_event WHERE id = %s", [event.pk])
        assert "Rückruf" not in cursor.fetchone()[0]
    page = client.get(_url("case", case), **EN).content.decode()
    assert "Rückruf vereinbart" in page and "Note" in page
    response = client.post(_url("case_note", case), {"text": "  "}, **EN)
    assert response.status_code == 422
    assert case.events.filter(code="note.added").count() == 1


def test_timeline_is_newest_first_with_notifications_and_lab_results(client, cast, case):
    item = notification(cast.office_a, infection_case=case, days_ago=5)
    lab_result(case, item)
    login_staff(client, cast.clerk_a, cast.office_a)
    client.post(_url("case_note", case), {"text": "Erste Notiz"}, **EN)
    timeline = client.get(_url("case", case), **EN).context["timeline"]
    assert [entry.kind for entry in timeline] == ["event", "lab", "notification"]


def test_assign_close_and_reopen(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    client.post(_url("case_assign", case), {"action": "assign", "assignee": cast.physician_a.pk}, **EN)
    case.refresh_from_db()
    assert case.assignee == cast.physician_a
    response = client.post(_url("case_assign", case), {"action": "assign", "assignee": cast.clerk_b.pk}, **EN)
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.assignee == cast.physician_a
    assert client.post(_url("case_close", case), **EN).status_code == 302
    case.refresh_from_db()
    assert case.status == InfectionCase.Status.CLOSED and case.closed_at is not None
    assert client.post(_url("case_close", case), **EN).status_code == 400
    assert client.post(_url("case_reopen", case), **EN).status_code == 302
    case.refresh_from_db()
    assert case.status == InfectionCase.Status.OPEN and case.closed_at is None
    codes = list(case.events.order_by("at", "pk").values_list("code", flat=True))
    assert codes == ["case.assigned", "case.closed", "case.reopened"]


def test_the_classification_suggestion_is_shown(client, cast, case):
    pytest.importorskip("oegd.infection.classification")
    case.symptoms = [FEVER, COUGH]
    case.save(update_fields=["symptoms"])
    lab_result(case)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(_url("case", case), **EN)
    assert response.context["suggestion"] == "C"
    assert "Suggested from the recorded facts" in response.content.decode()


def test_the_data_protection_officer_sees_no_case(client, cast, case):
    login_staff(client, cast.dpo_a, cast.office_a)
    assert client.get(_url("case", case), **EN).status_code == 404


def test_links_to_the_person_and_the_transfers(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    text = client.get(_url("case", case), **EN).content.decode()
    assert f'href="{reverse("infection_persons:person", args=[case.person_id])}"' in text
    assert f'action="{reverse("infection_transfers:send", args=[case.reference])}"' in text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_journey_from_the_inbox_to_a_classified_case(page, log_in_as, axe_check):
    """A clerk opens the inbox, opens a notification, opens a case for it, records symptoms and
    the classification and adds a note; axe on every page."""
    from playwright.sync_api import expect

    from oegd.core.tests.factories import Cast

    cast = Cast()
    someone = person(cast.office_a, "Schmidt", "Hanna")
    notification(cast.office_a, person=someone, notifier="Labor Nord")
    log_in_as(cast.clerk_a, cast.office_a)
    page.goto("/staff/infection/inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification inbox")
    axe_check(page)
    page.locator("tr", has_text="Schmidt, Hanna").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("COVID-19")
    axe_check(page)
    page.get_by_role("button", name="Open a new case").click()
    expect(page.locator(".oegd-reference")).to_contain_text("IF-")
    axe_check(page)
    page.get_by_text("Change clinical details").click()
    page.get_by_label("Fever", exact=True).check()
    page.get_by_label("Cough", exact=True).check()
    page.get_by_role("button", name="Save clinical details").click()
    expect(page.get_by_text("The clinical details are saved.")).to_be_visible()
    page.get_by_label("Classification", exact=True).select_option("C")
    page.get_by_role("button", name="Save classification").click()
    expect(page.get_by_text("The classification is saved.")).to_be_visible()
    page.get_by_label("Add a note").fill("Index person reached by phone.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Index person reached by phone.")).to_be_visible()
    axe_check(page)
    case = InfectionCase.objects.get(person=someone)
    assert case.classification == "C" and sorted(case.symptoms) == sorted([FEVER, COUGH])
    page.goto("/staff/infection/cases/?q=schm")
    expect(page.locator("tr", has_text=case.reference)).to_be_visible()
    axe_check(page)
