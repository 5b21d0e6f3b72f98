"""My area: documents with their public verification, the access log, the data export, closing the account."""

from __future__ import annotations

import hashlib
import io
import json

import pypdf
import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from oegd.cases.documents import generate_letter
from oegd.cases.tests.documents_fixtures import letter_case, letter_template, make_case, office_a, pdf_text  # noqa: F401
from oegd.core import audit
from oegd.core.models import AuditEvent, User
from oegd.core.tests.factories import PASSWORD, UserFactory
from oegd.messaging import services as messaging_services

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def letter(cast, letter_case, letter_template):  # noqa: F811
    return generate_letter(actor=cast.physician_a, case=letter_case, template_key="ifsg43-certificate")


def test_letter_carries_a_qr_code_with_the_verification_address(letter):
    from oegd.cases.documents import document_bytes

    assert len(letter.verification_code) == 16
    data = document_bytes(letter)
    text = pdf_text(data)
    assert f"https://portal.example/verify/{letter.verification_code}/" in text
    drawing = pypdf.PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data()
    assert drawing.count(b" m") > 200  # the QR code's modules, drawn as paths from its SVG


def test_verification_page_shows_a_genuine_document_without_personal_data(client, letter):
    response = client.get(f"/verify/{letter.verification_code}/", **EN)
    body = response.content.decode()
    assert response.status_code == 200
    assert "This document is genuine." in body
    assert letter.title in body and "Gesundheitsamt Musterstadt" in body and letter.sha256 in body
    assert "Müller-Lüdenscheidt" not in body and letter.case.reference not in body
    lower = client.get(f"/verify/{letter.verification_code.lower()}/", **EN)
    assert lower.status_code == 200  # typed from paper in lower case


@pytest.mark.parametrize("code", ["0000000000000000", "short", "AAAA-BBBB-CCCC-DDDD-EEEE"])
def test_unknown_verification_code_is_not_found(client, letter, code):
    response = client.get(f"/verify/{code}/", **EN)
    assert response.status_code == 404
    assert "genuine" not in response.content.decode()


def test_citizen_sees_and_downloads_released_documents_only(client, cast, letter, letter_case):  # noqa: F811
    hidden = generate_letter(
        actor=cast.physician_a, case=letter_case, template_key="ifsg43-certificate", citizen_visible=False
    )
    client.force_login(cast.citizen)
    listing = client.get("/my/documents/", **EN).content.decode()
    assert letter.title in listing and str(letter.identifier) in listing and str(hidden.identifier) not in listing
    response = client.get(f"/my/documents/{letter.identifier}/", **EN)
    assert response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == letter.sha256
    assert AuditEvent.objects.filter(action="document.download", object_id=str(letter.pk), actor=cast.citizen).exists()
    assert client.get(f"/my/documents/{hidden.identifier}/", **EN).status_code == 404
    assert client.get("/my/documents/not-a-uuid/", **EN).status_code == 404
    assert str(letter.identifier) in client.get("/my/", **EN).content.decode()

    other = UserFactory(email="other@example.org")
    client.force_login(other)
    assert client.get(f"/my/documents/{letter.identifier}/", **EN).status_code == 404


def test_a_damaged_document_is_not_handed_out(client, cast, letter, media):
    (media / letter.path).write_bytes(b"%PDF-1.4 tampered")
    client.force_login(cast.citizen)
    response = client.get(f"/my/documents/{letter.identifier}/", **EN)
    assert response.status_code == 410 and b"checksum" in response.content
    assert not AuditEvent.objects.filter(action="document.download").exists()


def test_access_log_has_its_own_page_with_paging(client, cast):
    for number in range(60):
        audit.record(cast.clerk_a, "case.read", cast.office_a, subject=cast.citizen, purpose=str(number))
    audit.record(cast.citizen, "auth.login", cast.citizen, subject=cast.citizen)  # own actions are left out
    client.force_login(cast.citizen)
    first = client.get("/my/access/", **EN).content.decode()
    assert first.count("carl@musterstadt.example") == 50 and "Page 1 of 2" in first
    second = client.get("/my/access/?page=2", **EN).content.decode()
    assert second.count("carl@musterstadt.example") == 10 and "auth.login" not in second
    assert client.get("/my/access/?page=x", **EN).status_code == 200


def _threads(cast):
    messaging_services.start_thread(
        actor=cast.citizen,
        office=cast.office_a,
        subject="Meine Frage",
        body="Das ist meine vertrauliche Nachricht.",
        citizen=cast.citizen,
    )
    stranger = UserFactory(email="stranger@example.org")
    messaging_services.start_thread(
        actor=stranger, office=cast.office_a, subject="Fremd", body="Nachricht eines anderen.", citizen=stranger
    )


def test_export_json_holds_my_data_and_nothing_of_others(client, cast, letter):
    _threads(cast)
    audit.record(cast.clerk_a, "case.read", cast.office_a, subject=cast.citizen)
    client.force_login(cast.citizen)
    response = client.get("/my/export/my-data.json", **EN)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data["profile"]["email"] == "clara@example.org"
    assert data["conversations"][0]["messages"][0]["text"] == "Das ist meine vertrauliche Nachricht."
    assert [document["title"] for document in data["documents"]] == [letter.title]
    assert any(event["who"] == "carl@musterstadt.example" for event in data["access_log"])
    raw = response.content.decode()
    assert "Nachricht eines anderen" not in raw and "stranger@example.org" not in raw and "Fremd" not in raw
    assert AuditEvent.objects.filter(action="account.export", actor=cast.citizen, purpose="json").exists()


def test_export_pdf_is_a_readable_summary(client, cast):
    _threads(cast)
    client.force_login(cast.citizen)
    assert client.get("/my/export/", **EN).status_code == 200
    response = client.get("/my/export/my-data.pdf", **EN)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "clara@example.org" in text and "Das ist meine vertrauliche Nachricht." in text
    assert "Nachricht eines anderen" not in text
    assert AuditEvent.objects.filter(action="account.export", purpose="pdf").exists()


def test_close_account_needs_the_password(client, cast):
    client.force_login(cast.citizen)
    response = client.post("/my/close/", {"password": "wrong"}, **EN)
    assert response.status_code == 400 and "The password is not right." in response.content.decode()
    cast.citizen.refresh_from_db()
    assert cast.citizen.is_active and cast.citizen.email == "clara@example.org"


def test_close_account_logs_out_everywhere_and_blocks_login(client, cast, family):
    other_device = Client()
    other_device.force_login(cast.citizen)
    client.force_login(cast.citizen)
    response = client.post("/my/close/", {"password": PASSWORD}, **EN)
    assert response.status_code == 302 and response["Location"] == "/my/closed/"
    assert "Your account is closed" in client.get("/my/closed/", **EN).content.decode()

    user = User.objects.get(pk=cast.citizen.pk)
    assert not user.is_active and user.email.endswith(".invalid") and user.full_name == ""
    assert not user.has_usable_password() and not hasattr(user, "citizen_profile")
    assert not user.dependants.exists()
    assert AuditEvent.objects.filter(action="account.close", object_id=str(user.pk)).exists()
    for device in (client, other_device):
        assert device.get("/my/", **EN).status_code == 302
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]
    refused = Client().post("/login/", {"email": "clara@example.org", "password": PASSWORD}, **EN)
    assert refused.status_code in (200, 400) and "_auth_user_id" not in Client().session
    assert not AuditEvent.objects.filter(action="auth.login", actor=user).exists()


def test_my_area_links_every_section(client, cast):
    client.force_login(cast.citizen)
    body = client.get("/my/", **EN).content.decode()
    for href in (
        "/my/appointments/",
        "/my/messages/",
        "/my/documents/",
        "/my/family/",
        "/my/access/",
        "/my/export/",
        "/my/close/",
    ):
        assert f'href="{href}"' in body, href
