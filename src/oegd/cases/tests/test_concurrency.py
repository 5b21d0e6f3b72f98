"""Two people complete the same task at the same moment: one wins, the other is told (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.utils import translation

from oegd.cases import services
from oegd.cases.models import CaseEntry, ProcessInstance, Task
from oegd.cases.tests import factories
from oegd.core.models import AuditEvent, Role
from oegd.core.tests.factories import OfficeFactory, staff


@pytest.mark.django_db(transaction=True)
def test_a_task_completed_twice_at_once_is_completed_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) are what this test is about; SQLite has none")
    office = OfficeFactory(slug="gleichzeitig")
    first = staff(office, Role.CLERK, email="erste@example.org", full_name="Erste Person")
    second = staff(office, Role.PHYSICIAN, email="zweite@example.org", full_name="Zweite Person")
    case = factories.review_case(first, office)
    task = factories.open_task(case)
    go = threading.Barrier(2)

    def complete(actor) -> str:
        try:
            go.wait(timeout=30)
            with translation.override("en"):  # a new thread starts in the default language
                services.complete_task(actor=actor, task=task, variables={"documents_complete": True})
            return "done"
        except services.TaskAlreadyDone as refused:
            return refused.message
        finally:
            connections.close_all()  # each thread had its own connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(complete, [first, second]))

    assert outcomes.count("done") == 1
    (message,) = [outcome for outcome in outcomes if outcome != "done"]
    task.refresh_from_db()
    winner = task.completed_by
    assert message == f"This task was already completed by {winner.full_name}. Nothing was changed."
    assert Task.objects.filter(case=case, element_id="check_documents", status=Task.Status.DONE).count() == 1
    assert Task.objects.filter(case=case, element_id="approve").count() == 1  # the process moved on once
    assert CaseEntry.objects.filter(case=case, code="task.completed:check_documents").count() == 1
    assert AuditEvent.objects.filter(action="case.task.complete").count() == 1
    instance = ProcessInstance.objects.get(case=case)
    assert instance.active_elements == ["approve"]
