"""Journeys through the portal and the staff shell in Chromium, with axe-core on every page.

The browser speaks English (``locale="en-GB"``), so the assertions read the source strings and
do not change when the German catalogue changes.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from oegd.core.models import Membership, Role, User
from oegd.core.tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARABIC_LETTERS = re.compile(r"[\u0600-\u06FF]")


def switch_language(page, code: str) -> None:
    """Use the switcher in the header; its label and button are in the current language."""
    switcher = page.locator("form.oegd-language")
    switcher.locator("select").select_option(code)
    switcher.locator("button[type=submit]").click()


def test_citizen_registers_confirms_logs_in_and_changes_language(page, live_server, settings, axe_check):
    settings.SITE_URL = live_server.url  # the verification link must point at this server

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your health office online")
    axe_check(page)

    page.get_by_role("link", name="Register", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a citizen account")
    page.get_by_label("Your name").fill("Rana Beispiel")
    page.get_by_label("E-mail address").fill("rana@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("I have read the privacy notice.").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert [m.to for m in mail.outbox] == [["rana@example.org"]]
    link = re.search(r"https?://\S+/register/verify/\S+/", mail.outbox[0].body).group(0)
    assert link.startswith(live_server.url)

    page.goto(link)
    expect(page.get_by_role("status")).to_contain_text("Your e-mail address is confirmed; you can log in now.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("E-mail address").fill("rana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/my/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My area")
    expect(page.get_by_text("Logged in as Rana Beispiel.")).to_be_visible()
    axe_check(page)

    switch_language(page, "ar")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page).to_have_url(re.compile(r"/my/$"))
    # "My area" in Arabic script (the catalogue says "صفحتي"; needs `make compilemessages`).
    expect(page.get_by_role("heading", level=1)).to_have_text(ARABIC_LETTERS)
    axe_check(page)

    switch_language(page, "tr")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    heading = page.get_by_role("heading", level=1)
    expect(heading).not_to_have_text(ARABIC_LETTERS)
    expect(heading).not_to_have_text("My area")  # Turkish catalogue: "Kişisel alanım"


def test_staff_enrols_authenticator_on_first_login(page, cast, settings, axe_check):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code below would otherwise delay the right one
    assert not TOTPDevice.objects.filter(user=cast.admin_a).exists()

    page.goto("/login/")
    page.get_by_label("E-mail address").fill(cast.admin_a.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/login/verify/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your login")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("code.oegd-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    axe_check(page)

    now = time.time()
    valid_now = {totp.at(now + step * totp.interval) for step in (-1, 0, 1)}  # the drift django-otp accepts
    wrong = next(code for code in ("000000", "111111", "222222") if code not in valid_now)
    page.get_by_label("Six-digit code from your authenticator app").fill(wrong)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("The code is not valid.")
    expect(page).to_have_url(re.compile(r"/login/verify/"))
    assert not TOTPDevice.objects.filter(user=cast.admin_a, confirmed=True).exists()
    axe_check(page)

    page.get_by_label("Six-digit code from your authenticator app").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_text("You are working in Gesundheitsamt Musterstadt.")).to_be_visible()
    assert TOTPDevice.objects.get(user=cast.admin_a).confirmed
    axe_check(page)


def test_office_admin_sees_only_colleagues_of_own_office(page, cast, log_in_as):
    log_in_as(cast.admin_a)

    response = page.goto(f"/staff/people/{cast.clerk_b.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This page does not exist.")
    expect(page.get_by_text(cast.clerk_b.email)).to_have_count(0)

    response = page.goto(f"/staff/people/{cast.clerk_a.pk}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(str(cast.clerk_a))
    expect(page.get_by_text(cast.clerk_a.email)).to_be_visible()


def test_office_switcher_only_offered_with_more_than_one_office(page, cast, log_in_as, axe_check):
    log_in_as(cast.admin_a)
    page.goto("/staff/")
    expect(page.get_by_text("You are working in Gesundheitsamt Musterstadt.")).to_be_visible()
    expect(page.get_by_label("Switch to office")).to_have_count(0)

    Membership.objects.create(user=cast.admin_a, office=cast.office_b, role=Role.CLERK)
    page.reload()
    expect(page.get_by_label("Switch to office")).to_be_visible()
    axe_check(page)


PUBLIC_PAGES = [
    "/",
    "/services/",
    "/status/",
    "/appointments/",
    "/messages/",
    "/info/",
    "/privacy/",
    "/accessibility/",
    "/login/",
    "/register/",
    "/responsibility/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_passes_axe(page, path, axe_check):
    response = page.goto(path)
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    axe_check(page)


@pytest.mark.parametrize("path", ["/", "/login/"])
def test_public_page_in_arabic_passes_axe(page, context, live_server, path, settings, axe_check):
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ar", "url": live_server.url}])
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    axe_check(page)


def test_register_form_with_errors_passes_axe(page, axe_check):
    page.goto("/register/")
    page.get_by_role("button", name="Register").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please check your entries")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Your name")).to_be_focused()
    assert not User.objects.exists()
    axe_check(page)


def test_my_area_passes_axe(page, cast, log_in_as, axe_check):
    log_in_as(cast.citizen)
    page.goto("/my/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My area")
    axe_check(page)


@pytest.mark.parametrize(
    ("member", "path", "heading"),
    [
        ("admin_a", "/staff/", "Welcome, "),
        ("admin_a", "/staff/people/", "Staff of Gesundheitsamt Musterstadt"),
        ("admin_a", "/staff/api-clients/", "API clients"),
        ("dpo_a", "/staff/audit/", "Audit log"),
    ],
)
def test_staff_page_passes_axe(page, cast, log_in_as, member, path, heading, axe_check):
    log_in_as(getattr(cast, member))
    response = page.goto(path)
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    axe_check(page)


def test_first_tab_reaches_skip_link_and_enter_moves_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_citizen_not_logged_in_is_sent_to_login_from_my_area(page):
    page.goto("/my/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/my/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_unverified_user_cannot_log_in(page):
    UserFactory(email="new@example.org", email_verified_at=None)
    page.goto("/login/")
    page.get_by_label("E-mail address").fill("new@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please confirm your e-mail address first")
    expect(page).to_have_url(re.compile(r"/login/$"))
