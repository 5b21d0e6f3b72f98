"""A youth writes to the health office without an account, in Arabic; the team answers from its
inbox (assigns it, inserts a text block, notes something internally); the youth comes back with
code and PIN, reads the answer, and later moves the conversation into a new account.
Chromium, axe-core on every page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from oegd.core.tests.factories import PASSWORD
from oegd.messaging.models import AnonymousAccess, Message, Thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def switch_language(page, code: str) -> None:
    switcher = page.locator("form.oegd-language")
    switcher.locator("select").select_option(code)
    switcher.locator("button[type=submit]").click()


def expect_arabic_page(page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def test_youth_writes_anonymously_in_arabic_staff_answer_youth_returns_and_links(
    context, page, live_server, log_in_as, axe_check, settings, site
):
    settings.SITE_URL = live_server.url
    cast = site.cast

    # --- the youth starts, in Arabic, without an account --------------------------------------
    page.goto("/messages/", timeout=60_000)  # a fresh live server's first page (static files) can be slow
    switch_language(page, "ar")
    expect_arabic_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC_LETTERS)  # "Messages" in Arabic
    axe_check(page)
    page.locator('a[href="/messages/anonymous/"]').click()
    expect_arabic_page(page)
    axe_check(page)
    page.locator('select[name="office"]').select_option(str(cast.office_a.pk))
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/messages/anonymous/to/musterstadt/$"))
    axe_check(page)
    page.locator(f'input[name="topic"][value="{site.counselling.pk}"]').check()
    page.locator('input[name="subject"]').fill("ضغط في المدرسة")
    page.locator('textarea[name="body"]').fill("أشعر بالتوتر كل يوم قبل المدرسة.")
    page.locator('input[name="files"]').set_input_files(
        files=[{"name": "zeichnung.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.locator('input[name="pin"]').fill("2580")
    page.locator('input[name="pin_again"]').fill("2580")
    page.locator("form.oegd-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/messages/anonymous/code/$"))
    expect_arabic_page(page)
    code = page.get_by_test_id("access-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", code)
    expect(page.locator("figure.oegd-qr img")).to_be_visible()
    axe_check(page)
    thread = Thread.objects.get()
    assert thread.started_anonymously and thread.citizen is None and thread.language == "ar"
    assert thread.messages.get().attachments.get().filename == "zeichnung.png"

    page.locator('a[href="/messages/anonymous/conversation/"]').click()
    expect(page.locator("main")).to_contain_text("أشعر بالتوتر كل يوم قبل المدرسة.")
    axe_check(page)
    page.locator('form[action="/messages/anonymous/leave/"] button').click()  # the youth leaves
    expect(page).to_have_url(re.compile(r"/messages/$"))
    page.goto("/messages/anonymous/conversation/")
    expect(page).to_have_url(re.compile(r"/messages/anonymous/return/$"))

    # --- the team answers from its inbox ---------------------------------------------------------
    context.clear_cookies()
    log_in_as(cast.clerk_a, cast.office_a)
    page.goto(f"/staff/messages/?team={site.school_health.pk}")
    axe_check(page)
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("ضغط في المدرسة")
    expect(row).to_contain_text("anonymous")
    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(rf"/staff/messages/{thread.public_id}/$"))
    axe_check(page)
    page.locator('button[name="action"][value="assign_me"]').click()
    expect(page.locator('select[name="assignee"]')).to_have_value(str(cast.clerk_a.pk))
    page.locator('select[name="text_block"]').select_option(str(site.block.pk))
    page.locator('button[name="action"][value="insert_block"]').click()
    expect(page.locator('textarea[name="body"]')).to_have_value(site.block.body)
    axe_check(page)
    page.locator('textarea[name="body"]').fill(site.block.body + "\nمرحبا، نحن هنا من أجلك.")
    page.locator('button[name="action"][value="reply"]').click()
    page.locator('textarea[name="note"]').fill("Interne Notiz: Schulsozialarbeit einbeziehen?")
    page.locator('button[name="action"][value="note"]').click()
    expect(page.locator("main")).to_contain_text("Interne Notiz: Schulsozialarbeit einbeziehen?")
    axe_check(page)
    thread.refresh_from_db()
    assert thread.assignee == cast.clerk_a and not thread.needs_reply
    staff_messages = thread.messages.filter(author_kind=Message.Author.STAFF)
    assert [m.internal for m in staff_messages.order_by("id")] == [False, True]
    # the staff member saw the youth's file: it opens for them
    file_link = page.locator('a[href*="/files/"]').first
    assert file_link.inner_text() == "zeichnung.png"

    # --- the youth comes back with code and PIN ---------------------------------------------------
    context.clear_cookies()
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}])
    page.goto(f"/messages/anonymous/return/#code={code}")  # as the QR code opens it
    expect_arabic_page(page)
    expect(page.locator('input[name="code"]')).to_have_value(code)
    axe_check(page)
    page.locator('input[name="pin"]').fill("1111")  # a wrong PIN first
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    axe_check(page)
    page.locator('input[name="code"]').fill(code)
    page.locator('input[name="pin"]').fill("2580")
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/messages/anonymous/conversation/$"))
    main = page.locator("main")
    expect(main).to_contain_text("مرحبا، نحن هنا من أجلك.")
    expect(main).not_to_contain_text("Interne Notiz")
    axe_check(page)
    answer = Message.objects.get(thread=thread, author_kind=Message.Author.STAFF, internal=False)
    assert answer.read_at is not None  # read receipt
    page.locator('form[action="/messages/anonymous/leave/"] button').click()

    # --- later: a new account, and the conversation moves into it ----------------------------------
    mail.outbox.clear()
    page.goto("/register/")
    expect_arabic_page(page)
    page.locator('input[name="full_name"]').fill("Jamal")
    page.locator('input[name="email"]').fill("jamal@example.org")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password_repeat"]').fill(PASSWORD)
    page.locator('input[name="privacy"]').check()
    page.locator("form.oegd-form button[type=submit]").click()
    link = re.search(r"https?://\S+/register/verify/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.locator('input[name="email"]').fill("jamal@example.org")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my/$"))

    page.goto("/my/messages/")
    expect_arabic_page(page)
    axe_check(page)
    page.locator('a[href="/my/messages/link/"]').click()
    axe_check(page)
    page.locator('input[name="code"]').fill(code.lower())
    page.locator('input[name="pin"]').fill("2580")
    page.locator("form.oegd-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/my/messages/{thread.public_id}/$"))
    expect(page.locator("main")).to_contain_text("أشعر بالتوتر كل يوم قبل المدرسة.")
    expect(page.locator("main")).to_contain_text("مرحبا، نحن هنا من أجلك.")
    axe_check(page)
    page.goto("/my/messages/")
    expect(page.locator("table tbody")).to_contain_text("ضغط في المدرسة")
    thread.refresh_from_db()
    assert thread.citizen.email == "jamal@example.org"
    assert AnonymousAccess.objects.get(thread=thread).linked_at is not None
