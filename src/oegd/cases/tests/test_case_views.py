"""The case file page: what it shows, each change through its form, and who may make it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from oegd.cases import services
from oegd.cases.models import Case, CaseEntry, ChecklistItem, Milestone, Note, Tag
from oegd.cases.tests import factories
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff

pytestmark = pytest.mark.django_db


def staff_client(user, office) -> Client:
    client = Client(headers={"accept-language": "en"})
    login_staff(client, user, office)
    return client


@pytest.fixture
def case(cast):
    return factories.review_case(cast.admin_a, cast.office_a, title="Belehrung Bäckerei Korn", person="Korn, Kim")


def state(case: Case):
    """Everything the case page can change, to assert that a refusal changed nothing."""
    case = Case.objects.get(pk=case.pk)
    return (
        (case.priority, case.team_id, case.assignee_id, case.due_at, case.legal_hold, case.status),
        sorted(case.tags.values_list("name", flat=True)),
        sorted(case.related.values_list("reference", flat=True)),
        list(case.checklist.order_by("pk").values_list("label", "done_at")),
        case.notes.count(),
        case.entries.count(),
        case.milestones.count(),
    )


def test_the_case_file_shows_everything_about_the_case(cast, case):
    services.add_note(actor=cast.clerk_a, case=case, text="Rückruf erbeten, Tel. 0170")
    services.set_tags(actor=cast.clerk_a, case=case, names=["Gastronomie", "Eilig"])
    other = factories.plain_case(cast.office_a, title="Vorgängerfall", reference="PREV-0001-X")
    services.relate_cases(actor=cast.clerk_a, case=case, other=other)
    client = staff_client(cast.clerk_a, cast.office_a)
    page = client.get(f"/staff/cases/{case.reference}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Belehrung Bäckerei Korn" in text and case.reference in text and "Prüfung" in text
    assert "Korn, Kim" in text and "Applicant" in text
    assert "Unterlagen prüfen" in text and f'href="/staff/tasks/{factories.open_task(case).pk}/"' in text
    assert "Case opened" in text and "Process started: Prüfung" in text and "Task created: Unterlagen prüfen" in text
    assert "Rückruf erbeten, Tel. 0170" in text  # the note, decrypted
    assert "Eilig" in text and "Gastronomie" in text
    assert "PREV-0001-X" in text and "Linked with case PREV-0001-X" in text
    assert "Ausweis gesehen" in text and "Gebühr bezahlt" in text  # the case type's checklist
    assert "Received" in text  # milestone
    assert 'id="process-position-heading"' in text and 'id="documents-heading"' in text
    assert "Set legal hold" not in text  # only office admins
    assert (
        "Set legal hold"
        in staff_client(cast.admin_a, cast.office_a).get(f"/staff/cases/{case.reference}/").content.decode()
    )
    assert AuditEvent.objects.filter(action="case.read", actor=cast.clerk_a).count() == 1


def test_edit_priority_team_assignee_and_deadline(cast, case):
    client = staff_client(cast.clerk_a, cast.office_a)
    team = factories.teams(cast.office_a)["Ärztlicher Dienst"]
    day = timezone.localdate() + timedelta(days=10)
    response = client.post(
        f"/staff/cases/{case.reference}/update/",
        {"case-priority": "4", "case-team": team.pk, "case-assignee": cast.physician_a.pk, "case-due_date": str(day)},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.priority, case.team, case.assignee) == (Case.Priority.URGENT, team, cast.physician_a)
    assert timezone.localdate(case.due_at) == day
    assert factories.open_task(case).priority == Case.Priority.URGENT
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "The case is updated." in page and "Case details changed: priority, team, assignee, deadline" in page
    client.post(f"/staff/cases/{case.reference}/update/", {"case-priority": "4", "case-clear_due": "on"})
    case.refresh_from_db()
    assert case.due_at is None


def test_a_deadline_in_the_past_is_refused(cast, case):
    client = staff_client(cast.clerk_a, cast.office_a)
    before = state(case)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        f"/staff/cases/{case.reference}/update/", {"case-priority": "4", "case-due_date": str(yesterday)}
    )
    assert response.status_code == 400
    assert "The deadline must be in the future." in response.content.decode()
    assert state(case) == before
    garbage = client.post(f"/staff/cases/{case.reference}/update/", {"case-due_date": "next week"})
    assert garbage.status_code == 400 and "Please enter a valid date." in garbage.content.decode()
    foreign_team = factories.teams(cast.office_b)["Sachbearbeitung"]
    foreign = client.post(f"/staff/cases/{case.reference}/update/", {"case-team": foreign_team.pk})
    assert foreign.status_code == 400 and "Please choose a team of this office." in foreign.content.decode()
    stranger = client.post(f"/staff/cases/{case.reference}/update/", {"case-assignee": cast.clerk_b.pk})
    assert stranger.status_code == 400
    assert state(case) == before


def test_notes_entries_checklist_tags_and_links(cast, case):
    client = staff_client(cast.clerk_a, cast.office_a)
    url = f"/staff/cases/{case.reference}"
    assert client.post(f"{url}/notes/", {"text": "Geheim: Allergie"}).status_code == 302
    assert Note.objects.get(case=case).text == "Geheim: Allergie"
    assert client.post(f"{url}/entries/", {"text": "Telefonat mit Frau Korn"}).status_code == 302
    assert case.entries.filter(code="entry.manual").count() == 1
    assert client.post(f"{url}/checklist/", {"label": "Gesundheitszeugnis"}).status_code == 302
    item = ChecklistItem.objects.get(case=case, label="Gesundheitszeugnis")
    assert client.post(f"{url}/checklist/{item.pk}/", {"done": "1"}).status_code == 302
    item.refresh_from_db()
    assert item.done_at is not None and item.done_by == cast.clerk_a
    client.post(f"{url}/checklist/{item.pk}/", {"done": "0"})
    item.refresh_from_db()
    assert item.done_at is None
    assert client.post(f"{url}/tags/", {"tags": "Kita, Ausbruch, Kita"}).status_code == 302
    assert sorted(case.tags.values_list("name", flat=True)) == ["Ausbruch", "Kita"]
    other = factories.plain_case(cast.office_a, title="Geschwister", reference="SIBL-0001-X")
    assert client.post(f"{url}/related/", {"reference": " sibl-0001-x "}).status_code == 302
    assert list(case.related.values_list("reference", flat=True)) == ["SIBL-0001-X"]
    assert list(other.related.values_list("reference", flat=True)) == [case.reference]
    assert client.post(f"{url}/milestone/", {"code": "in_review"}).status_code == 302
    page = client.get(f"{url}/").content.decode()
    assert "Geheim: Allergie" in page and "Telefonat mit Frau Korn" in page and "Checklist: Gesundheitszeugnis" in page
    assert "Milestone: In progress" in page


def test_bad_input_on_the_case_page_changes_nothing(cast, case):
    client = staff_client(cast.clerk_a, cast.office_a)
    url = f"/staff/cases/{case.reference}"
    factories.plain_case(cast.office_b, title="Fremd", reference="FREM-0001-X")
    before = state(case)
    for path, data, message in [
        ("notes/", {"text": "   "}, "Please write the note."),
        ("entries/", {"text": ""}, "Please write the entry."),
        ("checklist/", {"label": ""}, "Please name the point."),
        ("related/", {"reference": "NOPE-0000-X"}, "No case with this reference."),
        ("related/", {"reference": "FREM-0001-X"}, "No case with this reference."),
        ("related/", {"reference": case.reference}, "A case cannot be related to itself."),
        ("milestone/", {"code": "teleported"}, "Unknown milestone."),
    ]:
        response = client.post(f"{url}/{path}", data)
        assert response.status_code == 400, path
        assert message in response.content.decode(), path
    assert client.post(f"{url}/checklist/999999/", {"done": "1"}).status_code == 404
    assert state(case) == before


def test_legal_hold_is_for_office_admins_and_needs_a_reason(cast, case):
    url = f"/staff/cases/{case.reference}/legal-hold/"
    before = state(case)
    assert staff_client(cast.clerk_a, cast.office_a).post(url, {"hold": "1", "reason": "Klage"}).status_code == 404
    admin = staff_client(cast.admin_a, cast.office_a)
    refused = admin.post(url, {"hold": "1", "reason": " "})
    assert refused.status_code == 400 and "Please give the reason for the legal hold." in refused.content.decode()
    assert state(case) == before
    assert admin.post(url, {"hold": "1", "reason": "Klage vor dem VG"}).status_code == 302
    assert Case.objects.get(pk=case.pk).legal_hold
    assert "Legal hold: Klage vor dem VG" in admin.get(f"/staff/cases/{case.reference}/").content.decode()
    assert admin.post(url, {"hold": "0"}).status_code == 302
    assert not Case.objects.get(pk=case.pk).legal_hold


def test_a_closed_case_refuses_changes(cast, case):
    services.close_case(actor=cast.clerk_a, case=case)
    client = staff_client(cast.clerk_a, cast.office_a)
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Next milestone" not in page and "Add point" not in page
    before = state(case)
    future = str(timezone.localdate() + timedelta(days=3))
    response = client.post(f"/staff/cases/{case.reference}/update/", {"case-due_date": future})
    assert response.status_code == 400 and "This case is closed." in response.content.decode()
    assert state(case) == before


POSTS = [
    ("milestone/", {"code": "in_review"}),
    ("update/", {"case-priority": "4"}),
    ("notes/", {"text": "x"}),
    ("entries/", {"text": "x"}),
    ("checklist/", {"label": "x"}),
    ("checklist/{item}/", {"done": "1"}),
    ("tags/", {"tags": "x"}),
    ("related/", {"reference": "SIBL-0002-X"}),
    ("legal-hold/", {"hold": "1", "reason": "x"}),
]


@pytest.mark.parametrize("who", ["anonymous", "citizen", "dpo", "other_office"])
@pytest.mark.parametrize(("path", "data"), POSTS)
def test_permission_matrix_for_every_change(cast, case, who, path, data):
    factories.plain_case(cast.office_a, title="Geschwister", reference="SIBL-0002-X")
    item = case.checklist.first()
    client = Client(headers={"accept-language": "en"})
    if who == "citizen":
        client.force_login(cast.citizen)
    elif who == "dpo":
        login_staff(client, cast.dpo_a, cast.office_a)
    elif who == "other_office":
        login_staff(client, cast.clerk_b, cast.office_b)
    before = state(case)
    entries = CaseEntry.objects.count()
    response = client.post(f"/staff/cases/{case.reference}/{path.format(item=item.pk)}", data)
    if who in ("anonymous", "citizen"):
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    else:
        assert response.status_code == 404
    assert state(case) == before and CaseEntry.objects.count() == entries


def test_the_allowed_roles_may_make_each_change(cast, case):
    factories.plain_case(cast.office_a, title="Geschwister", reference="SIBL-0002-X")
    item = case.checklist.first()
    for user in (cast.clerk_a, cast.physician_a, cast.admin_a):
        client = staff_client(user, cast.office_a)
        for path, data in POSTS:
            if path == "legal-hold/" and user != cast.admin_a:
                continue
            response = client.post(f"/staff/cases/{case.reference}/{path.format(item=item.pk)}", data)
            assert response.status_code == 302, (user, path, response.content.decode()[:500])
    assert Tag.objects.filter(office=cast.office_a, name="x").exists()
    assert case.milestones.filter(code=Milestone.Code.IN_REVIEW).count() == 3


def test_other_offices_cases_do_not_exist(cast, case):
    stranger = staff_client(cast.clerk_b, cast.office_b)
    assert stranger.get(f"/staff/cases/{case.reference}/").status_code == 404
    assert case.reference not in stranger.get("/staff/cases/?status=all").content.decode()
    assert "No cases." in stranger.get(f"/staff/cases/?q={case.reference}&status=all").content.decode()
    assert case.reference not in stranger.get("/staff/tasks/?view=all").content.decode()


def test_route_permissions_cover_the_new_pages():
    from oegd.core.tests import test_route_permissions as routes

    declared = {route: getattr(view, "oegd_access", None) for route, view in routes._routes()}
    assert declared["staff/tasks/"] == "staff:cases.view"
    assert declared["staff/tasks/assign/"] == "staff:cases.edit"
    assert declared["staff/tasks/<int:task_id>/complete/"] == "staff:cases.edit"
    assert declared["staff/cases/<str:reference>/legal-hold/"] == "staff:office.manage"
    routes.test_every_url_declares_access()
