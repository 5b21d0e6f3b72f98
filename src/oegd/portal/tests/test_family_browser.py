"""A parent adds a 10-year-old, acts for her, writes a message for her, and is refused a
16-year-old's conversation (direct address: the "not found" page). Chromium, axe-core on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from oegd.core.models import AuditEvent
from oegd.core.tests.factories import UserFactory
from oegd.messaging.models import Thread, Topic
from oegd.portal.models import Dependant
from oegd.portal.tests.conftest import born_years_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_parent_acts_for_a_child_and_is_refused_a_sixteen_year_olds_thread(
    page, live_server, log_in_as, axe_check, settings, cast
):
    settings.SITE_URL = live_server.url
    parent = cast.citizen
    topic = Topic.objects.create(office=cast.office_a, slug="schule", texts={"en": {"name": "School health"}})
    ole_account = UserFactory(email="ole@example.org")
    Dependant.objects.create(
        guardian=parent, given_name="Ole", family_name="Citizen", birth_date=born_years_ago(16), account=ole_account
    )
    from oegd.messaging import services

    oles = services.start_thread(
        actor=ole_account,
        office=cast.office_a,
        topic=topic,
        subject="Meine Sache",
        body="Nur ich.",
        citizen=ole_account,
    )
    log_in_as(parent)

    page.goto("/my/", timeout=60_000)
    axe_check(page)
    page.locator('a[href="/my/family/"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My children")
    expect(page.locator("main")).to_contain_text("No longer accessible")  # Ole is 16
    axe_check(page)

    page.locator('input[name="given_name"]').fill("Lena")
    page.locator('input[name="family_name"]').fill("Citizen")
    page.locator('input[name="birth_date"]').fill(born_years_ago(10).isoformat())
    page.locator("form.oegd-form button[type=submit]").click()  # without the declaration
    expect(page.locator("#error-summary")).to_contain_text("Please confirm that you are the legal guardian.")
    assert not Dependant.objects.filter(given_name="Lena").exists()
    axe_check(page)
    page.locator('input[name="declared_guardian"]').check()
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page.locator(".oegd-messages")).to_contain_text("Lena has been added.")
    lena = Dependant.objects.get(given_name="Lena")

    page.get_by_role("button", name="Act for Lena").click()
    expect(page).to_have_url(re.compile(r"/my/messages/$"))
    expect(page.get_by_test_id("acting-banner")).to_have_text("You are acting for Lena (10)")
    axe_check(page)
    page.locator('a[href="/my/messages/new/"]').click()
    page.locator('select[name="office"]').select_option(str(cast.office_a.pk))
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my/messages/new/musterstadt/$"))
    expect(page.locator("main")).to_contain_text("You write for Lena.")
    axe_check(page)
    page.locator(f'input[name="topic"][value="{topic.pk}"]').check()
    page.locator('input[name="subject"]').fill("Schuleingangsuntersuchung")
    page.locator('textarea[name="body"]').fill("Lena trägt seit Kurzem eine Brille.")
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Lena trägt seit Kurzem eine Brille.")
    expect(page.locator("main")).to_contain_text("Written for Lena.")
    axe_check(page)
    thread = Thread.objects.get(on_behalf_of=lena)
    assert thread.citizen == parent and thread.subject == "Schuleingangsuntersuchung"

    page.goto(f"/my/messages/{oles.public_id}/")  # the 16-year-old's conversation, by its address
    expect(page.get_by_role("heading", level=1)).to_have_text("This page does not exist.")
    expect(page.locator("main")).not_to_contain_text("Meine Sache")
    axe_check(page)
    assert AuditEvent.objects.filter(action="message_thread.proxy_refused", object_id=str(oles.pk)).exists()

    page.get_by_role("button", name="Stop acting for someone else").click()
    expect(page.get_by_test_id("acting-banner")).to_have_count(0)
