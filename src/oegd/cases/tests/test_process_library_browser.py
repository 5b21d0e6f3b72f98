"""bpmn-js in Chromium: a case's diagram with its current step highlighted, and the modeler
saving an edited diagram as a new version; under the site's strict CSP, checked with axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from oegd.cases import case_types, processes
from oegd.cases.models import ProcessDefinition
from oegd.cases.services import open_case, publish_process_definition
from oegd.cases.tests.test_process_library import FOUR_EYES, KEY
from oegd.core.models import Role
from oegd.core.tests.factories import staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_csp(page) -> list[str]:
    """Console messages about blocked content (bpmn-js must work without 'unsafe-inline')."""
    refusals: list[str] = []
    page.on(
        "console", lambda message: refusals.append(message.text) if "Content Security Policy" in message.text else None
    )
    return refusals


@pytest.fixture
def library(cast):
    state_admin = staff(cast.office_a, Role.STATE_ADMIN, email="sven@land.example", full_name="Sven State")
    publish_process_definition(actor=state_admin, key=KEY, name="Belehrung § 43", bpmn_xml=FOUR_EYES)
    case_types.save_case_type(
        actor=state_admin,
        slug="instruction",
        name="Belehrung",
        process_key=KEY,
        milestones=[{"code": "in_review", "labels": {"de": "In Bearbeitung", "en": "In progress"}}],
    )
    return state_admin


def test_the_case_page_highlights_the_current_step(cast, library, page, log_in_as, axe_check):
    case = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="instruction", title="A", reference="B-1")
    refusals = watch_csp(page)
    log_in_as(cast.clerk_a, cast.office_a)
    page.goto(f"/staff/cases/{case.reference}/")

    figure = page.locator("figure[data-oegd-diagram]")
    expect(figure).to_have_attribute("data-state", "ready")
    active = page.locator('g.djs-element[data-element-id="check_documents"]')
    expect(active).to_have_class(re.compile(r"\boegd-active\b"))
    expect(page.locator('g.djs-element[data-element-id="start_received"]')).to_have_class(re.compile(r"\boegd-done\b"))
    expect(page.locator('g.djs-element[data-element-id="approve_certificate"]')).not_to_have_class(
        re.compile(r"\boegd-(active|done)\b")
    )
    # The highlight is drawn: the task's outline takes the marker's colour.
    stroke = active.locator(".djs-visual > :first-child").evaluate("node => getComputedStyle(node).stroke")
    assert stroke == "rgb(0, 75, 135)"
    expect(page.locator(".oegd-process__current")).to_have_text(re.compile(r"Current step:\s*Unterlagen prüfen"))
    axe_check(page)
    assert refusals == []


def test_the_modeler_saves_an_edited_diagram_as_a_new_version(cast, library, page, log_in_as, axe_check):
    refusals = watch_csp(page)
    log_in_as(library, cast.office_a)
    page.goto(f"/staff/processes/library/{KEY}/edit/")
    modeler = page.locator("[data-oegd-modeler]")
    expect(modeler).to_have_attribute("data-state", "ready")
    expect(page.locator('g.djs-element[data-element-id="check_documents"]')).to_be_visible()
    axe_check(page)

    # A minimal edit through the modeler's API, as a click-and-type rename would do.
    page.evaluate(
        """() => {
            const modeler = document.querySelector('[data-oegd-modeler]').oegdModeler;
            const task = modeler.get('elementRegistry').get('check_documents');
            modeler.get('modeling').updateLabel(task, 'Unterlagen sichten');
        }"""
    )
    page.get_by_label("Change note").fill("Renamed in the modeler")
    page.get_by_role("button", name="Check and publish").click()
    expect(page).to_have_url(re.compile(rf"/staff/processes/library/{KEY}/$"))
    expect(page.locator("figure[data-oegd-diagram]")).to_have_attribute("data-state", "ready")
    axe_check(page)

    saved = ProcessDefinition.objects.get(key=KEY, office=None, version=2)
    assert saved.comment == "Renamed in the modeler"
    assert 'name="Unterlagen sichten"' in saved.bpmn_xml
    # The spiff extensions (forms, four eyes, the action) survive the round trip through bpmn-js.
    info = processes.compile_definition(saved.bpmn_xml).info
    approve = info.user_task("approve_certificate")
    assert (approve.form, approve.four_eyes_of, approve.lane) == (
        "instruction-approval",
        "check_documents",
        "Ärztlicher Dienst",
    )
    assert info.actions == frozenset({"generate_letter"})
    assert info.user_task("check_documents").name == "Unterlagen sichten"

    page.goto("/staff/processes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Process library")
    axe_check(page)
    assert refusals == []
