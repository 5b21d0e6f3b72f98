"""An office admin writes a letter template; a clerk files an upload and a letter on a case in
Chromium and downloads the letter; axe checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from oegd.cases.documents import document_bytes
from oegd.cases.models import Document, DocumentTemplate
from oegd.cases.tests import documents_fixtures as fx
from oegd.cases.tests.documents_fixtures import PNG, make_case, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Shared fixtures of the document tests.
media, office_a = fx.media, fx.office_a


def test_template_upload_letter_and_download(page, log_in_as, axe_check, cast, office_a, media, tmp_path):
    case = make_case(cast, office_a, reference="BROW-SER0-A")

    log_in_as(cast.admin_a, cast.office_a)
    page.goto("/staff/letter-templates/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Letter templates")
    axe_check(page)
    page.get_by_role("link", name="New letter template").click()
    axe_check(page)
    page.get_by_label("Key").fill("reply")
    page.get_by_label("Name").fill("Antwortschreiben")
    page.get_by_label("Letter text (HTML)").fill("<p>Guten Tag {{ citizen.name }}, {{ settings.SECRET_KEY }}</p>")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.locator("#error-summary")).to_contain_text("Unknown placeholder: {{ settings.SECRET_KEY }}.")
    axe_check(page)
    assert not DocumentTemplate.objects.exists()
    page.get_by_label("Letter text (HTML)").fill("<p>Guten Tag {{ citizen.name }}, zu {{ case.reference }}.</p>")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Antwortschreiben (version 1)")
    axe_check(page)

    log_in_as(cast.clerk_a, cast.office_a)
    page.goto(f"/staff/cases/{case.reference}/")
    documents = page.locator("#documents")
    expect(documents).to_contain_text("No documents yet.")
    picture = tmp_path / "impfpass.png"
    picture.write_bytes(PNG)
    documents.get_by_label("File (PDF, JPEG or PNG)").set_input_files(str(picture))
    documents.get_by_label("Title").first.fill("Impfpass")
    documents.get_by_role("button", name="Upload").click()
    expect(page.locator("#documents")).to_contain_text("Impfpass")
    page.locator("#documents").get_by_label("Letter template").select_option("reply")
    page.locator("#documents").get_by_role("button", name="Create letter").click()
    expect(page.locator("#documents")).to_contain_text("Antwortschreiben")
    axe_check(page)

    letter = Document.objects.get(case=case, kind=Document.Kind.LETTER)
    with page.expect_download() as download_info:
        page.locator("#documents").get_by_role("link", name="Antwortschreiben").click()
    downloaded = download_info.value.path().read_bytes()
    assert downloaded == document_bytes(letter)
    assert re.search(r"Guten Tag Jürgen Müller-Lüdenscheidt, zu BROW-SER0-A\.", pdf_text(downloaded))
