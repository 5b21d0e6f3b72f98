"""Staff pages of documents and letter templates: permissions per office, refusals, downloads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from oegd.cases.documents import document_bytes, generate_letter, save_document_template
from oegd.cases.models import Document, DocumentTemplate
from oegd.cases.services import close_case
from oegd.cases.tests import documents_fixtures as fx
from oegd.cases.tests.documents_fixtures import pdf_text
from oegd.core.models import AuditEvent, Role
from oegd.core.tests.factories import login_staff, staff

pytestmark = pytest.mark.django_db

# Shared fixtures of the document tests (``english`` is autouse).
letter_case, letter_template, media, office_a, english = (
    fx.letter_case,
    fx.letter_template,
    fx.media,
    fx.office_a,
    fx.english,
)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def letter(cast, letter_case, letter_template, media):
    return generate_letter(actor=cast.clerk_a, case=letter_case, template_key="ifsg43-certificate")


def test_staff_of_the_office_download_a_document(client, cast, letter):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("case_documents:download", args=[letter.identifier]), **EN)
    assert response.status_code == 200
    assert response.content == document_bytes(letter)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert AuditEvent.objects.filter(action="document.read", actor=cast.clerk_a, object_id=str(letter.pk)).exists()


def test_other_offices_anonymous_and_citizens_get_no_document(client, cast, letter):
    url = reverse("case_documents:download", args=[letter.identifier])
    assert client.get(url).status_code == 302  # to the login
    client.force_login(cast.citizen)
    assert client.get(url).status_code == 302
    login_staff(client, cast.clerk_b, cast.office_b)
    assert client.get(url, **EN).status_code == 404
    assert client.get(reverse("case_documents:download", args=["not-a-uuid"]), **EN).status_code == 404
    assert not AuditEvent.objects.filter(action="document.read").exists()


def test_a_damaged_file_is_reported_not_served(client, cast, letter, media):
    (media / letter.path).write_bytes(b"%PDF-broken")
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("case_documents:download", args=[letter.identifier]), **EN)
    assert response.status_code == 410
    assert "does not match its recorded checksum" in response.content.decode()


def test_upload_through_the_page(client, cast, letter_case):
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("case_documents:upload", args=[letter_case.reference])
    assert client.get(url, **EN).status_code == 200
    upload = SimpleUploadedFile("arztbrief.pdf", PDF, content_type="application/pdf")
    response = client.post(url, {"file": upload, "title": "Arztbrief"}, **EN)
    assert response.status_code == 302 and response["Location"].endswith(f"/{letter_case.reference}/#documents")
    assert Document.objects.get(case=letter_case).title == "Arztbrief"


def test_a_refused_upload_says_why_and_changes_nothing(client, cast, letter_case):
    login_staff(client, cast.clerk_a, cast.office_a)
    upload = SimpleUploadedFile("brief.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = client.post(reverse("case_documents:upload", args=[letter_case.reference]), {"file": upload}, **EN)
    assert response.status_code == 400
    assert "The file content does not match its type." in response.content.decode()
    assert not Document.objects.exists()


def test_uploads_and_letters_need_cases_edit_in_the_cases_office(client, cast, letter_case, letter_template):
    dpo = cast.dpo_a  # office.view and audit.view only
    upload_url = reverse("case_documents:upload", args=[letter_case.reference])
    letter_url = reverse("case_documents:generate", args=[letter_case.reference])
    for user, office in ((dpo, cast.office_a), (cast.clerk_b, cast.office_b)):
        login_staff(client, user, office)
        upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
        assert client.post(upload_url, {"file": upload}, **EN).status_code == 404
        assert client.post(letter_url, {"template": "ifsg43-certificate"}, **EN).status_code == 404
    assert not Document.objects.exists()


def test_generate_a_letter_through_the_page(client, cast, letter_case, letter_template):
    login_staff(client, cast.physician_a, cast.office_a)
    url = reverse("case_documents:generate", args=[letter_case.reference])
    page = client.get(url, **EN)
    assert "Bescheinigung nach § 43 IfSG" in page.content.decode()
    response = client.post(url, {"template": "ifsg43-certificate", "title": "", "citizen_visible": "on"}, **EN)
    assert response.status_code == 302
    document = Document.objects.get(case=letter_case)
    assert document.citizen_visible and "KXQM-4X2D-R" in pdf_text(document_bytes(document))
    response = client.post(url, {"template": "unknown"}, **EN)
    assert response.status_code == 400 and Document.objects.count() == 1


def test_a_closed_case_refuses_a_letter_with_a_message(client, cast, letter_case, letter_template):
    close_case(actor=cast.clerk_a, case=letter_case)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(
        reverse("case_documents:generate", args=[letter_case.reference]), {"template": "ifsg43-certificate"}, **EN
    )
    assert response.status_code == 400 and "This case is closed." in response.content.decode()
    assert not Document.objects.exists()


def test_the_documents_partial_lists_every_document(cast, letter_case, letter, media):
    upload = Document.objects.create(
        case=letter_case,
        kind=Document.Kind.UPLOAD,
        title="Impfpass",
        filename="impfpass.png",
        media_type="image/png",
        size=2048,
        sha256="ab" * 32,
        path="documents/x.png",
    )
    request = RequestFactory().get("/")
    request.user = cast.clerk_a
    request.office = cast.office_a
    html = render_to_string("cases/partials/documents.html", {"case": letter_case, "can_edit": True}, request=request)
    assert "Bescheinigung nach § 43 IfSG" in html and "Impfpass" in html
    assert reverse("case_documents:download", args=[letter.identifier]) in html
    assert reverse("case_documents:download", args=[upload.identifier]) in html
    assert letter.sha256[:12] in html and "abababababab" in html
    assert reverse("case_documents:upload", args=[letter_case.reference]) in html
    assert 'value="ifsg43-certificate"' in html
    readonly = render_to_string(
        "cases/partials/documents.html",
        {"case": letter_case, "can_edit": False, "documents": [letter]},
        request=request,
    )
    assert "Impfpass" not in readonly  # the documents the page passes are used as given
    assert reverse("case_documents:upload", args=[letter_case.reference]) not in readonly


# --- letter templates ---------------------------------------------------------------------------


def test_office_admin_creates_and_versions_an_office_template(client, cast):
    login_staff(client, cast.admin_a, cast.office_a)
    assert client.get(reverse("case_documents:template_new"), **EN).status_code == 200
    data = {
        "key": "reply",
        "name": "Antwort",
        "language": "de",
        "scope": "office",
        "html": "<p>{{ case.reference }}</p>",
    }
    response = client.post(reverse("case_documents:template_new"), data, **EN)
    assert response.status_code == 302
    first = DocumentTemplate.objects.get()
    assert (first.office, first.version, first.created_by) == (cast.office_a, 1, cast.admin_a)
    edit = reverse("case_documents:template_edit", args=[first.pk])
    page = client.get(edit, **EN).content.decode()
    assert "{{ citizen.name }}" in page and "Version 1" in page
    # Key and language stay; the text makes version 2.
    response = client.post(edit, {**data, "key": "changed", "html": "<p>{{ citizen.name }}</p>"}, **EN)
    second = DocumentTemplate.objects.order_by("-pk").first()
    assert response.status_code == 302 and (second.key, second.version) == ("reply", 2)
    listing = client.get(reverse("case_documents:templates"), **EN).content.decode()
    assert "Antwort" in listing and "reply" in listing


def test_an_unknown_placeholder_is_named_and_nothing_is_saved(client, cast):
    login_staff(client, cast.admin_a, cast.office_a)
    data = {
        "key": "reply",
        "name": "Antwort",
        "language": "de",
        "scope": "office",
        "html": "<p>{{ settings.SECRET_KEY }}</p>",
    }
    response = client.post(reverse("case_documents:template_new"), data, **EN)
    assert response.status_code == 400
    assert "Unknown placeholder: {{ settings.SECRET_KEY }}." in response.content.decode()
    assert not DocumentTemplate.objects.exists()


def test_state_templates_need_state_manage(client, cast):
    state = save_document_template(actor=cast.admin_a, key="notice", name="Staat", language="de", html="<p>x</p>")
    login_staff(client, cast.admin_a, cast.office_a)
    data = {"key": "notice", "name": "Staat", "language": "de", "scope": "state", "html": "<p>neu</p>"}
    response = client.post(reverse("case_documents:template_new"), data, **EN)
    assert response.status_code == 400 and DocumentTemplate.objects.count() == 1
    # Saving the state's template as an office admin makes the office's own version.
    response = client.post(reverse("case_documents:template_edit", args=[state.pk]), {**data, "scope": "office"}, **EN)
    assert response.status_code == 302
    assert DocumentTemplate.objects.filter(office=cast.office_a, key="notice", version=1).exists()
    assert DocumentTemplate.objects.filter(office=None).count() == 1

    state_admin = staff(cast.office_a, Role.STATE_ADMIN, email="sarah@land.example")
    login_staff(client, state_admin, cast.office_a)
    response = client.post(reverse("case_documents:template_edit", args=[state.pk]), data, **EN)
    assert response.status_code == 302
    assert DocumentTemplate.objects.filter(office=None, key="notice", version=2).exists()


def test_templates_of_other_offices_and_non_admins_are_refused(client, cast):
    other = save_document_template(
        actor=cast.admin_b, key="b", name="B", language="de", html="<p>b</p>", office=cast.office_b
    )
    login_staff(client, cast.admin_a, cast.office_a)
    assert client.get(reverse("case_documents:template_edit", args=[other.pk]), **EN).status_code == 404
    assert client.get(reverse("case_documents:template_preview", args=[other.pk]), **EN).status_code == 404
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.get(reverse("case_documents:templates"), **EN).status_code == 404
    data = {"key": "x", "name": "X", "language": "de", "scope": "office", "html": "<p>x</p>"}
    assert client.post(reverse("case_documents:template_new"), data, **EN).status_code == 404
    assert DocumentTemplate.objects.count() == 1


def test_preview_is_a_pdf_of_a_sample_case(client, cast, office_a, letter_template):
    login_staff(client, cast.admin_a, cast.office_a)
    response = client.get(reverse("case_documents:template_preview", args=[letter_template.pk]), **EN)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Erika Mustermann" in text and "Gesundheitsamt Musterstadt" in text
