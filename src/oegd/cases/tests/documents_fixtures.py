"""Fixtures of the document, retention and export tests: private media, a case with a person, templates."""

from __future__ import annotations

import io

import pypdf
import pytest

from oegd.cases.documents import save_document_template
from oegd.cases.models import Case, CaseSubject, Person
from oegd.cases.services import open_case

LETTER_HTML = """<p>Sehr geehrte Frau {{ citizen.name }},</p>
<p>zu Ihrem Vorgang {{ case.reference }} („{{ case.title }}“) vom {{ case.opened_at }} teilen wir Ihnen mit:
die Belehrung nach § 43 IfSG ist erfolgt. Bemerkung: {{ answers.remark }}</p>
<p>Mit freundlichen Grüßen<br>{{ office.name }}</p>"""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CLAMD_ADDRESS = ""
    return tmp_path


@pytest.fixture
def office_a(cast):
    office = cast.office_a
    office.street = "Hauptstraße 1"
    office.postal_code = "12345"
    office.place = "Musterstadt"
    office.phone = "+49 30 123456"
    office.email = "gesundheitsamt@musterstadt.example"
    office.save()
    return office


def make_case(cast, office, *, reference: str = "KXQM-4X2D-R", case_type: str = "t"):
    """A case of the citizen's account; the office's person record of the account is the applicant."""
    case = open_case(
        actor=cast.clerk_a,
        office=office,
        case_type=case_type,
        title="Belehrung für Jürgen Müller-Lüdenscheidt",
        reference=reference,
        subject=cast.citizen,
    )
    Person.objects.filter(case_links__case=case).update(
        given_name="Jürgen",
        family_name="Müller-Lüdenscheidt",
        street="Gänseweg 3",
        postal_code="12345",
        place="Musterstadt",
    )
    assert case.subjects.get().role == CaseSubject.Role.APPLICANT
    return case


@pytest.fixture
def letter_case(cast, office_a, media) -> Case:
    return make_case(cast, office_a)


@pytest.fixture
def letter_template(cast):
    return save_document_template(
        actor=cast.admin_a,
        key="ifsg43-certificate",
        name="Bescheinigung nach § 43 IfSG",
        language="de",
        html=LETTER_HTML,
    )


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join("\n".join(page.extract_text() for page in reader.pages).split())


QUESTIONNAIRE = {
    "resourceType": "Questionnaire",
    "url": "https://oegd.example/Questionnaire/test-application",
    "status": "active",
    "item": [
        {"linkId": "name", "text": "Name", "type": "string"},
        {"linkId": "photo", "text": "Foto", "type": "attachment"},
    ],
}


def attach_submission(case: Case, *, user=None):
    """The form submission that opened ``case``, with one stored upload (as the portal makes them)."""
    import json

    from oegd.forms.attachments import check_upload, store_attachment
    from oegd.forms.models import FormDefinition, FormVersion, Service, Submission

    form, _ = FormDefinition.objects.get_or_create(
        slug="test-application", defaults={"url": QUESTIONNAIRE["url"], "title": "Antrag"}
    )
    version, _ = FormVersion.objects.get_or_create(
        form=form, version=1, defaults={"status": FormVersion.Status.ACTIVE, "resource": QUESTIONNAIRE}
    )
    service, _ = Service.objects.get_or_create(
        slug="test-application",
        defaults={
            "kind": Service.Kind.APPLICATION,
            "form": form,
            "case_type": case.case_type,
            "texts": {"de": {"title": "Antrag auf Bescheinigung"}},
        },
    )
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": [{"linkId": "name", "answer": [{"valueString": "Jürgen Müller-Lüdenscheidt"}]}],
    }
    submission = Submission.objects.create(
        reference=case.reference,
        service=service,
        form_version=version,
        office=case.office,
        case=case,
        response=json.dumps(response),
        submitted_by=user,
        language="de",
        idempotency_key=f"test:{case.reference}",
        status_secret="SECR-ET12-3456",
    )
    accepted = check_upload(data=PNG, filename="foto.png", declared_type="image/png", item=None)
    attachment = store_attachment(
        actor=user, draft=None, link_id="photo", accepted=accepted, data=PNG, submission=submission
    )
    return submission, attachment


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English (German is the default and its catalogue is compiled)."""
    from django.utils import translation

    with translation.override("en"):
        yield
