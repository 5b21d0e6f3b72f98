"""The task page: its form from the Questionnaire, completion, four eyes, a second completion, hold."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from oegd.cases.forms import process_variables, read_task_answers
from oegd.cases.models import CaseEntry, Milestone, ProcessInstance, Task
from oegd.cases.selectors import task_questionnaire
from oegd.cases.tests import factories
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff

pytestmark = pytest.mark.django_db

CHECK_ANSWERS = {
    "q:documents_complete": "true",
    "q:pages": "12",
    "q:fee": "15,50",
    "q:decision": "1",
    "q:checked_on": "2026-03-02",
    "q:remark": "Alles da.",
}


def staff_client(user, office) -> Client:
    client = Client(headers={"accept-language": "en"})
    login_staff(client, user, office)
    return client


@pytest.fixture
def case(cast):
    return factories.review_case(cast.admin_a, cast.office_a, person="Müller, Anna")


def snapshot(case):
    """What a refused completion must leave untouched."""
    instance = ProcessInstance.objects.get(case=case)
    return (
        list(case.tasks.order_by("pk").values_list("pk", "status", "completed_by", "answers")),
        case.entries.count(),
        instance.state,
        list(case.milestones.values_list("code", flat=True)),
    )


def test_answers_become_typed_process_variables(cast, case):
    from django.http import QueryDict

    definition = task_questionnaire(factories.open_task(case))
    data = QueryDict(mutable=True)
    data.update(CHECK_ANSWERS)
    items, issues = read_task_answers(definition, data)
    assert issues == []
    assert process_variables(definition, items) == {
        "documents_complete": True,
        "pages": 12,
        "fee": 15.5,
        "decision": "reject",
        "checked_on": "2026-03-02",
    }  # the free-text remark stays in the task's encrypted answers, not in the workflow state


def test_the_task_page_renders_the_form_case_and_four_eyes_hint(cast, case):
    task = factories.open_task(case)
    client = staff_client(cast.clerk_a, cast.office_a)
    page = client.get(f"/staff/tasks/{task.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Documents complete?" in text and 'name="q:documents_complete"' in text and 'name="q:remark"' in text
    assert case.reference in text and "Müller, Anna" in text
    assert AuditEvent.objects.filter(action="case.task.read", actor=cast.clerk_a).count() == 1

    client.post(f"/staff/tasks/{task.pk}/complete/", CHECK_ANSWERS)
    approve = factories.open_task(case, "approve")
    blocked = client.get(f"/staff/tasks/{approve.pk}/").content.decode()
    hint = f"This task must be done by someone other than {cast.clerk_a.full_name}, who completed “Unterlagen prüfen”."
    assert hint in blocked and "please leave this task to a colleague" in blocked
    other = staff_client(cast.physician_a, cast.office_a).get(f"/staff/tasks/{approve.pk}/").content.decode()
    assert "please leave this task to a colleague" not in other


def test_completing_runs_the_process_on_and_keeps_the_answers(cast, case):
    task = factories.open_task(case)
    client = staff_client(cast.clerk_a, cast.office_a)
    response = client.post(f"/staff/tasks/{task.pk}/complete/", CHECK_ANSWERS)
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{case.reference}/"
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.completed_by == cast.clerk_a
    stored = json.loads(task.answers)
    assert stored[0]["linkId"] == "check" and {"linkId": "pages", "answer": [{"valueInteger": 12}]} in stored[0]["item"]
    approve = factories.open_task(case, "approve")
    assert approve.team.name == "Ärztlicher Dienst"
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "The task “Unterlagen prüfen” is completed." in page
    assert "Task completed: Unterlagen prüfen" in page and "Task created: Bescheinigung freigeben" in page
    done = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert "Alles da." in done and "15.5" in done and 'name="q:remark"' not in done


def test_missing_or_malformed_answers_are_shown_and_nothing_is_completed(cast, case):
    task = factories.open_task(case)
    before = snapshot(case)
    client = staff_client(cast.clerk_a, cast.office_a)
    missing = client.post(f"/staff/tasks/{task.pk}/complete/", {"q:remark": "Unklar"})
    text = missing.content.decode()
    assert missing.status_code == 400
    assert "Please check your entries" in text and "Documents complete?: This answer is required." in text
    assert 'href="#q-documents_complete"' in text and "Unklar" in text  # the answer typed stays
    empty = client.post(f"/staff/tasks/{task.pk}/complete/", {})  # the group left empty: still required
    assert empty.status_code == 400 and "Documents complete?: This answer is required." in empty.content.decode()
    malformed = client.post(f"/staff/tasks/{task.pk}/complete/", {**CHECK_ANSWERS, "q:pages": "zwölf"})
    assert malformed.status_code == 400 and "zwölf" in malformed.content.decode()
    assert snapshot(case) == before


def test_four_eyes_violation_is_refused_with_409(cast, case):
    client = staff_client(cast.clerk_a, cast.office_a)
    client.post(f"/staff/tasks/{factories.open_task(case).pk}/complete/", CHECK_ANSWERS)
    approve = factories.open_task(case, "approve")
    before = snapshot(case)
    refused = client.post(f"/staff/tasks/{approve.pk}/complete/", {"q:approved": "true"})
    assert refused.status_code == 409
    assert "Four-eyes principle" in refused.content.decode()
    assert snapshot(case) == before

    doctor = staff_client(cast.physician_a, cast.office_a)
    assert doctor.post(f"/staff/tasks/{approve.pk}/complete/", {"q:approved": "true"}).status_code == 302
    instance = ProcessInstance.objects.get(case=case)
    assert instance.status == ProcessInstance.Status.COMPLETED
    assert Milestone.Code.DECISION_MADE in case.milestones.values_list("code", flat=True)


def test_a_second_completion_is_told_who_was_first(cast, case):
    task = factories.open_task(case)
    first = staff_client(cast.clerk_a, cast.office_a)
    second = staff_client(cast.physician_a, cast.office_a)
    second.get(f"/staff/tasks/{task.pk}/")  # both have the page open
    assert first.post(f"/staff/tasks/{task.pk}/complete/", CHECK_ANSWERS).status_code == 302
    before = snapshot(case)
    late = second.post(f"/staff/tasks/{task.pk}/complete/", {**CHECK_ANSWERS, "q:documents_complete": "false"})
    assert late.status_code == 409
    assert f"This task was already completed by {cast.clerk_a.full_name}. Nothing was changed." in late.content.decode()
    assert snapshot(case) == before
    assert case.tasks.filter(element_id="check_documents", status=Task.Status.DONE).count() == 1


def test_a_task_without_form_takes_a_comment(cast, case):
    client = staff_client(cast.clerk_a, cast.office_a)
    client.post(
        f"/staff/tasks/{factories.open_task(case).pk}/complete/", {**CHECK_ANSWERS, "q:documents_complete": "false"}
    )
    request = factories.open_task(case, "request_documents")
    page = client.get(f"/staff/tasks/{request.pk}/").content.decode()
    assert 'name="comment"' in page
    done = client.post(f"/staff/tasks/{request.pk}/complete/", {"comment": "Per Post angefordert"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == Task.Status.DONE and "Per Post angefordert" in request.answers
    assert "Per Post angefordert" in client.get(f"/staff/tasks/{request.pk}/").content.decode()
    assert factories.open_task(case).element_id == "check_documents"  # back to the check


def test_a_missing_process_variable_is_refused_with_422(cast, case):
    task = factories.open_task(case)
    Task.objects.filter(pk=task.pk).update(form="no-such-form")  # the gateway then lacks documents_complete
    before = snapshot(case)
    client = staff_client(cast.clerk_a, cast.office_a)
    assert "The form of this task is not published" in client.get(f"/staff/tasks/{task.pk}/").content.decode()
    response = client.post(f"/staff/tasks/{task.pk}/complete/", {"comment": "ok"})
    assert response.status_code == 422
    assert "documents_complete" in response.content.decode()
    assert snapshot(case) == before


def test_put_on_hold_until_a_date(cast, case):
    task = factories.open_task(case)
    client = staff_client(cast.clerk_a, cast.office_a)
    past = client.post(f"/staff/tasks/{task.pk}/hold/", {"hold-until": str(timezone.localdate() - timedelta(days=1))})
    assert past.status_code == 400 and "The date must be in the future." in past.content.decode()
    garbage = client.post(f"/staff/tasks/{task.pk}/hold/", {"hold-until": "soon"})
    assert garbage.status_code == 400 and "Please enter a valid date." in garbage.content.decode()
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN
    later = timezone.localdate() + timedelta(days=7)
    assert client.post(f"/staff/tasks/{task.pk}/hold/", {"hold-until": str(later)}).status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.WAITING and timezone.localdate(task.waiting_until) == later
    assert case.reference in client.get("/staff/tasks/?view=waiting").content.decode()
    assert CaseEntry.objects.filter(case=case, code="task.waiting:check_documents").exists()


def test_assign_to_me_from_the_task_page(cast, case):
    task = factories.open_task(case)
    client = staff_client(cast.clerk_a, cast.office_a)
    response = client.post(
        "/staff/tasks/assign/", {"task": task.pk, "action": "me", "next": f"/staff/tasks/{task.pk}/"}
    )
    assert response["Location"] == f"/staff/tasks/{task.pk}/"
    task.refresh_from_db()
    assert task.assignee == cast.clerk_a
    evil = client.post("/staff/tasks/assign/", {"task": task.pk, "action": "team", "next": "https://evil.example/"})
    assert evil["Location"] == "/staff/tasks/"


def test_other_offices_tasks_do_not_exist(cast, case):
    task = factories.open_task(case)
    stranger = staff_client(cast.clerk_b, cast.office_b)
    before = snapshot(case)
    assert stranger.get(f"/staff/tasks/{task.pk}/").status_code == 404
    assert stranger.post(f"/staff/tasks/{task.pk}/complete/", CHECK_ANSWERS).status_code == 404
    later = str(timezone.localdate() + timedelta(days=3))
    assert stranger.post(f"/staff/tasks/{task.pk}/hold/", {"hold-until": later}).status_code == 404
    assert snapshot(case) == before


@pytest.mark.parametrize("who", ["anonymous", "citizen", "dpo"])
def test_who_may_not_complete_or_hold(cast, case, who):
    task = factories.open_task(case)
    client = Client()
    if who == "citizen":
        client.force_login(cast.citizen)
    elif who == "dpo":
        login_staff(client, cast.dpo_a, cast.office_a)
    before = snapshot(case)
    complete = client.post(f"/staff/tasks/{task.pk}/complete/", CHECK_ANSWERS)
    hold = client.post(f"/staff/tasks/{task.pk}/hold/", {"hold-until": str(timezone.localdate() + timedelta(days=3))})
    for response in (complete, hold):
        if who == "dpo":
            assert response.status_code == 404
        else:
            assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot(case) == before
