"""A parent fills the school-entry anamnesis in Turkish in Chromium: pages, an upload, leaving and
resuming by the e-mail link, sending, the receipt PDF read back, and the status page."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core import mail
from playwright.sync_api import expect
from pypdf import PdfReader

from oegd.core.models import User
from oegd.forms.models import Attachment, Submission
from oegd.forms.rendering import pages_of
from oegd.forms.selectors import active_version, definition_of
from oegd.forms.tests.filling import answers_by_link_id, drop_uploads, typed_value

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def fill(tab, definition, form_page, answers, upload) -> None:
    """Type the example's answers into the controls of one form page, as a person would."""
    for top in form_page.items:
        for item in top.walk():
            if item.type in ("group", "display") or item.read_only:
                continue
            name = f"q:{item.link_id}"
            if item.type == "attachment":
                if item.link_id in answers:
                    tab.locator(f'input[name="{name}"]').set_input_files(str(upload))
                continue
            if item.link_id not in answers:
                continue
            for answer in answers[item.link_id] if item.repeats else answers[item.link_id][:1]:
                for control, value in typed_value(item, answer).items():
                    if value == "other" and item.repeats:
                        continue  # checkbox groups take free text in their "something else" field alone
                    field = tab.locator(f'[name="{control}"]')
                    if control.endswith(":unit") and field.count() == 0:
                        continue  # a single unit is shown as text, not offered as a choice
                    kind = field.first.evaluate("e => e.tagName + ':' + (e.type || '')")
                    if kind.startswith("SELECT"):
                        field.select_option(value)
                    elif kind.endswith(("radio", "checkbox")):
                        tab.locator(f'[name="{control}"][value="{value}"]').check()
                    else:
                        field.fill(value)


def test_parent_fills_anamnesis_in_turkish_leaves_resumes_and_follows_status(
    browser,
    context,
    page,
    log_in_as,
    axe_check,
    live_server,
    settings,
    tmp_path,
):
    from oegd.demo.data import load_demo
    from oegd.forms.models import Service

    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path
    load_demo()
    parent = User.objects.get(email="buerger@example.org")
    service = Service.objects.get(slug="school-entry-anamnesis")
    definition = definition_of(active_version(service.form))
    pages = pages_of(definition)
    example = json.loads(
        (settings.BASE_DIR / "src/oegd/demo/questionnaires/examples/school-entry-anamnesis.response.json").read_text()
    )
    answers = answers_by_link_id(example["item"])
    upload = tmp_path / "asi-karnesi.pdf"
    upload.write_bytes(PDF)

    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "tr", "url": live_server.url}])
    log_in_as(parent)
    page.goto(f"/services/{service.slug}/")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.get_by_role("heading", level=1)).to_have_text(service.text("title", "tr"))
    axe_check(page)
    page.locator("form[action$='/start/'] button[type=submit]").click()

    # The first two pages, then "save and continue later".
    for index in (0, 1):
        expect(page).to_have_url(re.compile(rf"/page/{index}/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(pages[index].title_in("tr"))
        expect(page.locator("progress")).to_have_attribute("value", str(index + 1))
        fill(page, definition, pages[index], answers, upload)
        axe_check(page)
        if index == 0:
            page.locator('.oegd-actions button[name="action"][value="next"]').click()
    page.locator('button[name="action"][value="save"]').click()
    expect(page.locator("#email")).to_have_value(parent.email)
    page.locator("form.oegd-form button[type=submit]").click()
    assert [m.to for m in mail.outbox] == [[parent.email]]
    link = re.search(r"https?://\S+/forms/resume/\S+/", mail.outbox[0].body).group(0)
    assert link.startswith(live_server.url)
    page.close()

    # Later, in a new browser session: the link brings the parent back to where they left.
    later = browser.new_context(base_url=live_server.url, locale="tr-TR")
    later.set_default_timeout(10_000)
    later.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "tr", "url": live_server.url}])
    from django.test import Client

    client = Client()
    client.force_login(parent)
    later.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    resumed = later.new_page()
    resumed.goto(link)
    expect(resumed).to_have_url(re.compile(r"/page/1/$"))
    name_field = resumed.locator('[name="q:family.contact.name"]')
    expect(name_field).to_have_value(answers["family.contact.name"][0]["valueString"])

    index = 1
    while True:
        fill(resumed, definition, pages[index], answers, upload)
        resumed.locator('.oegd-actions button[name="action"][value="next"]').click()
        if re.search(r"/review/$", resumed.url):
            break
        next_index = int(re.search(r"/page/(\d+)/$", resumed.url).group(1))
        assert next_index > index, resumed.content()[:3000]
        index = next_index
        axe_check(resumed)

    expect(resumed.get_by_text("asi-karnesi.pdf")).to_be_visible()
    axe_check(resumed)
    resumed.locator("form.oegd-form button[type=submit]").click()
    expect(resumed).to_have_url(re.compile(r"/submitted/[0-9A-Z-]+/$"))
    submission = Submission.objects.get()
    assert submission.office.slug == "musterstadt" and submission.language == "tr"
    assert Attachment.objects.get(submission=submission).filename == "asi-karnesi.pdf"
    expect(resumed.locator(".oegd-reference")).to_have_text(submission.reference)
    axe_check(resumed)

    with resumed.expect_download() as download:
        resumed.locator(f'a[href$="/status/{submission.reference}/receipt.pdf"]').first.click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert submission.reference in text
    child_name_label = definition.by_link_id["child.name"].text_in("tr")
    assert child_name_label.split()[0] in text  # the questions in Turkish
    assert answers["child.name"][0]["valueString"] in text

    resumed.locator(f'a[href="/status/{submission.reference}/"]').click()
    expect(resumed.locator(".oegd-timeline li")).to_have_count(1)
    expect(resumed.locator(".oegd-reference")).to_have_text(submission.reference)
    axe_check(resumed)
    later.close()


def test_anonymous_counselling_request_and_status_by_reference_and_secret(
    browser, page, axe_check, live_server, settings
):
    from oegd.demo.data import load_demo
    from oegd.forms.models import Service

    settings.SITE_URL = live_server.url
    load_demo()
    service = Service.objects.get(slug="counselling-request")
    definition = definition_of(active_version(service.form))
    example = json.loads(
        (settings.BASE_DIR / "src/oegd/demo/questionnaires/examples/counselling-request.response.json").read_text()
    )
    answers = answers_by_link_id(example["item"])

    page.goto("/services/")
    page.get_by_role("link", name=service.text("title", "en")).click()
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
    reference = page.locator(".oegd-reference").inner_text()
    secret = page.locator("code.oegd-secret").inner_text()
    assert Submission.objects.get(reference=reference).office.slug == "beispielkreis"

    # Another device, no account: reference and secret from the receipt open the status page.
    other = browser.new_context(base_url=live_server.url, locale="en-GB")
    status = other.new_page()
    status.goto("/status/")
    status.get_by_label("Reference").fill(reference.lower())
    status.get_by_label("Secret").fill("WRONG-WRONG-WRONG")
    status.get_by_role("button", name="Show status").click()
    expect(status.get_by_role("alert")).to_contain_text("We found no request with this reference and secret.")
    status.get_by_label("Secret").fill(secret)
    status.get_by_role("button", name="Show status").click()
    expect(status).to_have_url(re.compile(rf"/status/{reference}/$"))
    expect(status.locator(".oegd-timeline li")).to_have_text(re.compile("Request received"))
    axe_check(status)
    other.close()


def test_office_admin_works_a_case_previews_a_form_in_arabic_and_switches_a_service(
    page, log_in_as, axe_check, live_server, settings, tmp_path
):
    from oegd.demo.data import load_demo
    from oegd.forms import services
    from oegd.forms.models import Service, ServiceOffer

    settings.MEDIA_ROOT = tmp_path
    load_demo()
    parent = User.objects.get(email="buerger@example.org")
    service = Service.objects.get(slug="school-entry-anamnesis")
    example = json.loads(
        (settings.BASE_DIR / "src/oegd/demo/questionnaires/examples/school-entry-anamnesis.response.json").read_text()
    )
    drop_uploads(example["item"])
    draft = services.start_draft(service=service, user=parent, language="tr")
    services.save_draft_page(actor=parent, draft=draft, items=example["item"], page=0)
    reference = services.submit_draft(actor=parent, draft=draft).submission.reference

    admin = User.objects.get(email="admin@musterstadt.example")
    log_in_as(admin, admin.offices().get(slug="musterstadt"))
    page.goto("/staff/cases/")
    axe_check(page)
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(page.get_by_text(answers_by_link_id(example["item"])["child.name"][0]["valueString"])).to_be_visible()
    axe_check(page)
    page.get_by_label("Next milestone").select_option("in_review")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_contain_text("The milestone is recorded.")
    assert list(Submission.objects.get(reference=reference).case.milestones.values_list("code", flat=True)) == [
        "received",
        "in_review",
    ]

    page.goto("/staff/forms/")
    axe_check(page)
    page.goto(f"/staff/forms/{service.form.slug}/preview/?lang=ar")
    expect(page.locator("main")).to_contain_text(definition_of(active_version(service.form)).title_in("ar"))
    axe_check(page)

    page.goto("/staff/forms/services/")
    axe_check(page)
    row = page.locator("tr", has_text=service.text("title", "en"))
    row.get_by_role("button").click()
    expect(page.locator("tr", has_text=service.text("title", "en")).get_by_role("button")).to_contain_text("Switch on")
    assert not ServiceOffer.objects.get(service=service, office__slug="musterstadt").is_active
    assert ServiceOffer.objects.get(service=service, office__slug="beispielkreis").is_active
