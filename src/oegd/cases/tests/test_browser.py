"""End to end in Chromium: a citizen applies for the §43 IfSG instruction in the portal, staff work
every user task of the demo process from their worklists (the invitation goes out, the certificate
is generated, the four-eyes approval refuses the physician who instructed), the case closes, and the
citizen's status page shows each milestone with the case type's labels. Axe on every page."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core import mail
from playwright.sync_api import expect
from pypdf import PdfReader

from oegd.cases.models import Case, Document, ProcessInstance, Task
from oegd.core.models import Office, User
from oegd.forms.models import Submission
from oegd.forms.rendering import pages_of
from oegd.forms.selectors import active_version, definition_of
from oegd.forms.tests.filling import answers_by_link_id
from oegd.forms.tests.test_browser import fill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_task(page, axe_check, *, view: str, reference: str, name: str) -> None:
    """Open a task from the worklist tab ``view``, as a person would."""
    page.goto(f"/staff/tasks/?view={view}")
    axe_check(page)
    page.locator("tr", has_text=reference).get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    axe_check(page)


def complete(page) -> None:
    page.get_by_role("button", name="Complete task").last.click()


def answer_yes(page, question: str) -> None:
    page.get_by_role("group", name=question).get_by_label("Yes").check()


def test_ifsg43_application_runs_from_the_portal_through_every_task_to_the_citizens_status(
    page, context, log_in_as, axe_check, live_server, settings, tmp_path
):
    from oegd.demo.data import load_demo
    from oegd.forms.models import Service

    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path
    load_demo()
    office = Office.objects.get(slug="musterstadt")
    citizen = User.objects.get(email="buerger@example.org")
    clerk = User.objects.get(email="sachbearbeitung@musterstadt.example")
    physician = User.objects.get(email="aerztin@musterstadt.example")
    head = User.objects.get(email="admin@musterstadt.example")  # the head of office, also a physician

    # The citizen applies for herself.
    service = Service.objects.get(slug="ifsg43-instruction")
    definition = definition_of(active_version(service.form))
    example = json.loads(
        (settings.BASE_DIR / "src/oegd/demo/questionnaires/examples/ifsg43-instruction.response.json").read_text()
    )
    answers = answers_by_link_id(example["item"])
    answers["applicant.name"] = [{"valueString": citizen.full_name}]
    answers["applicant.email"] = [{"valueString": citizen.email}]
    birth_date = answers["applicant.birth_date"][0]["valueDate"]
    log_in_as(citizen)
    page.goto(f"/services/{service.slug}/")
    axe_check(page)
    page.locator("form[action$='/start/'] button[type=submit]").click()
    for form_page in pages_of(definition):
        fill(page, definition, form_page, answers, upload=None)
        axe_check(page)
        page.locator('.oegd-actions button[name="action"][value="next"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    axe_check(page)
    page.get_by_role("button", name="Send to the health office").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request has been sent")
    axe_check(page)
    submission = Submission.objects.get()
    case = submission.case
    reference = case.reference
    assert submission.office == office and case.subject == citizen
    assert list(case.tasks.values_list("element_id", "team__name")) == [("unterlagen_pruefen", "Sachbearbeitung")]

    # The clerk checks the documents; the citizen is invited to book the instruction.
    page.context.clear_cookies()
    log_in_as(clerk, office)
    open_task(page, axe_check, view="team", reference=reference, name="Unterlagen prüfen")
    answer_yes(page, "Are the documents complete and legible?")
    complete(page)
    expect(page.get_by_role("status")).to_contain_text("is completed")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.locator("figure.oegd-diagram")).to_have_attribute("data-state", "ready")
    expect(page.locator('.djs-element.oegd-active[data-element-id="belehrung_durchfuehren"]')).to_have_count(1)
    axe_check(page)
    invitation = next(message for message in mail.outbox if "/appointments/" in message.body)
    assert invitation.to == [citizen.email]
    assert re.search(rf"{re.escape(live_server.url)}/appointments/\S+", invitation.body)

    # The physician holds the instruction; the certificate is written.
    page.context.clear_cookies()
    log_in_as(physician, office)
    open_task(page, axe_check, view="team", reference=reference, name="Belehrung durchführen")
    answer_yes(page, "Was the person instructed orally and in writing, and did they sign the declaration?")
    page.get_by_label("Date of the instruction").fill("2026-03-02")
    page.get_by_label("Date of birth as in the identity document (for the certificate)").fill(birth_date)
    complete(page)
    expect(page.get_by_role("status")).to_contain_text("is completed")
    axe_check(page)
    letter = Document.objects.get(case=case, kind=Document.Kind.LETTER)
    with page.expect_download() as download:
        page.get_by_role("link", name=letter.title).click()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(download.value.path().read_bytes())).pages)
    assert reference in text and citizen.full_name in text
    assert "14. Juli 1998" in text and "2. März 2026" in text and "§ 43 Abs. 1 Nr. 1" in text

    # Four eyes: the physician who instructed may not approve the certificate.
    open_task(page, axe_check, view="team", reference=reference, name="Bescheinigung freigeben")
    expect(page.get_by_text("please leave this task to a colleague")).to_be_visible()
    answer_yes(page, "Is the letter correct, and may it be sent?")
    complete(page)
    expect(page.get_by_role("alert")).to_contain_text("Four-eyes principle")
    axe_check(page)
    assert Task.objects.get(case=case, element_id="bescheinigung_freigeben").status == Task.Status.OPEN

    # The head of office approves; the process closes the case and tells the citizen.
    page.context.clear_cookies()
    log_in_as(head, office)
    open_task(page, axe_check, view="team", reference=reference, name="Bescheinigung freigeben")
    answer_yes(page, "Is the letter correct, and may it be sent?")
    complete(page)
    expect(page.get_by_role("status")).to_contain_text("is completed")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    axe_check(page)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.process.status == ProcessInstance.Status.COMPLETED
    assert list(case.tasks.values_list("element_id", "completed_by__email")) == [
        ("unterlagen_pruefen", clerk.email),
        ("belehrung_durchfuehren", physician.email),
        ("bescheinigung_freigeben", head.email),
    ]
    assert [message.to for message in mail.outbox].count([citizen.email]) >= 2  # invitation and the news

    # The citizen follows her request to the end.
    page.context.clear_cookies()
    log_in_as(citizen)
    page.goto(f"/status/{reference}/")
    expect(page.locator(".oegd-reference")).to_have_text(reference)
    expect(page.locator(".oegd-timeline__label")).to_have_text(
        ["Application received", "Appointment for the instruction offered", "Certificate issued", "Completed"]
    )
    axe_check(page)


def test_every_demo_diagram_draws_in_bpmn_js_without_warnings(page, log_in_as, axe_check, live_server, settings):
    from oegd.cases.services import open_case
    from oegd.core.audit import SystemActor
    from oegd.demo.case_types import PROCESSES
    from oegd.demo.data import load_demo

    settings.SITE_URL = live_server.url
    load_demo()
    office = Office.objects.get(slug="musterstadt")
    case = open_case(
        actor=SystemActor("test"), office=office, case_type="ifsg34-notification", title="Kita", reference="DIAG-0001-A"
    )
    log_in_as(User.objects.get(email="admin@musterstadt.example"), office)
    page.goto(f"/staff/cases/{case.reference}/")
    expect(page.locator("figure.oegd-diagram")).to_have_attribute("data-state", "ready")
    expect(page.locator('.djs-element.oegd-active[data-element-id="meldung_bewerten"]')).to_have_count(1)
    axe_check(page)
    folder = settings.BASE_DIR / "src/oegd/demo/processes"
    xmls = [(folder / filename).read_text(encoding="utf-8") for filename, _name in PROCESSES.values()]
    warnings = page.evaluate(
        """async (xmls) => {
            const found = [];
            for (const xml of xmls) {
                const container = document.createElement("div");
                document.body.appendChild(container);
                const viewer = new window.BpmnJS({ container });
                const result = await viewer.importXML(xml);
                const drawn = viewer.get("elementRegistry").getAll().length;
                found.push({ warnings: result.warnings.map((w) => w.message), drawn });
                viewer.destroy();
                container.remove();
            }
            return found;
        }""",
        xmls,
    )
    assert [entry["warnings"] for entry in warnings] == [[], [], []]
    assert all(entry["drawn"] > 20 for entry in warnings)
