"""A clerk works a task from the worklist in Chromium, a physician approves it (four eyes); axe on
every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from oegd.cases.models import ProcessInstance, Task
from oegd.cases.tests import factories
from oegd.core.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_task_from_the_worklist_to_the_four_eyes_approval(cast, page, log_in_as, axe_check):
    teams = factories.teams(cast.office_a)
    Membership.objects.filter(user=cast.clerk_a, office=cast.office_a).update(department=teams["Sachbearbeitung"])
    case = factories.review_case(cast.admin_a, cast.office_a, title="Belehrung Café Mohn", person="Mohn, Mia")
    log_in_as(cast.clerk_a, cast.office_a)

    page.goto("/staff/tasks/?view=team")
    axe_check(page)
    row = page.locator("tr", has_text=case.reference)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status")).to_contain_text("1 task assigned.")
    page.get_by_role("link", name="My tasks").click()
    page.get_by_role("link", name="Unterlagen prüfen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unterlagen prüfen")
    axe_check(page)

    page.get_by_role("button", name="Complete task").last.click()  # nothing answered
    expect(page.get_by_role("alert")).to_contain_text("Documents complete?: This answer is required.")
    axe_check(page)
    page.get_by_role("group", name="Documents complete?").get_by_label("Yes").check()
    page.get_by_label("Remark").fill("Vollständig")
    page.get_by_role("button", name="Complete task").last.click()
    expect(page.get_by_role("status")).to_contain_text("is completed")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    axe_check(page)

    page.get_by_role("link", name="Bescheinigung freigeben").click()
    expect(page.get_by_text("please leave this task to a colleague")).to_be_visible()
    page.get_by_role("group", name="Approved?").get_by_label("Yes").check()
    page.get_by_role("button", name="Complete task").last.click()
    expect(page.get_by_role("alert")).to_contain_text("Four-eyes principle")
    axe_check(page)
    assert Task.objects.get(case=case, element_id="approve").status == Task.Status.OPEN

    page.context.clear_cookies()
    log_in_as(cast.physician_a, cast.office_a)
    page.goto(f"/staff/tasks/{Task.objects.get(case=case, element_id='approve').pk}/")
    page.get_by_role("group", name="Approved?").get_by_label("Yes").check()
    page.get_by_role("button", name="Complete task").last.click()
    expect(page.get_by_role("status")).to_contain_text("is completed")
    expect(page.locator("main")).to_contain_text("Milestone: Decision made")
    assert ProcessInstance.objects.get(case=case).status == ProcessInstance.Status.COMPLETED

    page.goto("/staff/cases/?q=mohn&status=all")  # the finished process closed the case
    axe_check(page)
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
