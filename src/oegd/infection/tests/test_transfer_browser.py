"""In Chromium: a clerk opens a case's transfers, is told why it cannot go yet, and after the
case is classified sends it and finds the version with its checksum. Axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from oegd.infection.models import InfectionCase, Transfer
from oegd.infection.tests.export_factories import COUGH, FEVER, infection_case, person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_clerk_sends_a_case_and_sees_what_was_sent(page, log_in_as, axe_check, cast, settings, tmp_path):
    settings.SURVNET_OUTBOX_DIR = str(tmp_path)
    office = cast.office_a
    case = infection_case(office, person=person(office), symptoms=[FEVER, COUGH], lab="cvdp")
    log_in_as(cast.clerk_a, office)

    page.goto(f"/staff/infection/transfers/{case.reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Transfers of {case.reference}")
    expect(page.get_by_text("The case is not yet classified.")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Transfer to the state authority").click()
    expect(page.get_by_role("alert")).to_contain_text("not yet classified")
    assert not Transfer.objects.exists()

    InfectionCase.objects.filter(pk=case.pk).update(classification="C")
    page.goto(f"/staff/infection/transfers/{case.reference}/")
    page.get_by_label("Format").select_option("survnet")
    page.get_by_role("button", name="Transfer to the state authority").click()
    expect(page.get_by_role("link", name="Download version 1")).to_be_visible()
    expect(page.get_by_text(Transfer.objects.get().payload_sha256)).to_be_visible()
    axe_check(page)
    page.goto("/staff/infection/transfers/")
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    axe_check(page)
