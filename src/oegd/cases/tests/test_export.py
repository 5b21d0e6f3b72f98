"""The e-file export of closed cases (xdomea 3.0.0): adapter, command and staff download."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from lxml import etree

from oegd.cases.documents import generate_letter, upload_document
from oegd.cases.export import ExportRefused, export_case, export_package
from oegd.cases.models import CaseEntry, CaseType
from oegd.cases.services import close_case
from oegd.cases.tests import documents_fixtures as fx
from oegd.cases.tests.documents_fixtures import PNG, attach_submission, make_case, pdf_text
from oegd.cases.xdomea import schema_errors
from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff

pytestmark = pytest.mark.django_db

# Shared fixtures of the document tests (``english`` is autouse).
letter_template, media, office_a, english = fx.letter_template, fx.media, fx.office_a, fx.english

SCHEMA_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "xdomea" / "schemas" / "3.0.0"
NS = {"x": "urn:xoev-de:xdomea:schema:3.0.0"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def closed_case(cast, office_a, media, letter_template):
    """Like a demo §43 case at its end: the application with a photo, two letter versions, an upload."""
    office_a.rki_code = "1.01.0.01."
    office_a.save()
    CaseType.objects.create(
        slug="ifsg43-instruction", name="Belehrung nach § 43 IfSG", filing_code="53.20.01", retention_days=3650
    )
    case = make_case(cast, office_a, reference="EXPO-RT00-A", case_type="ifsg43-instruction")
    attach_submission(case, user=cast.citizen)
    generate_letter(actor=cast.physician_a, case=case, template_key="ifsg43-certificate")
    generate_letter(actor=cast.physician_a, case=case, template_key="ifsg43-certificate", title="Bescheinigung (neu)")
    upload_document(
        actor=cast.clerk_a,
        case=case,
        uploaded_file=SimpleUploadedFile("Impfpass Müller & Söhne.png", PNG, "image/png"),
        title="Impfpass <Kopie>",
    )
    close_case(actor=cast.clerk_a, case=case)
    case.refresh_from_db()
    return case


def _message(package: bytes) -> tuple[etree._Element, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(package))
    [xml_name] = [name for name in archive.namelist() if name.endswith(".xml")]
    return etree.fromstring(archive.read(xml_name)), archive


def test_a_closed_case_exports_every_document_and_entry(cast, closed_case):
    name, package = export_package(actor=cast.clerk_a, case=closed_case)
    assert name.endswith("_Aussonderung.Aussonderung.0503.zip")
    root, archive = _message(package)
    procedure = root.find("x:Schriftgutobjekt/x:Vorgang", NS)
    assert procedure.findtext("x:Identifikation/x:ID", namespaces=NS) == str(closed_case.identifier)
    assert procedure.findtext("x:AllgemeineMetadaten/x:Kennzeichen", namespaces=NS) == "EXPO-RT00-A"
    assert procedure.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=NS) == closed_case.title
    assert procedure.findtext("x:AllgemeineMetadaten/x:Aktenplaneinheit/x:Kennzeichen", namespaces=NS) == "53.20.01"
    assert procedure.findtext("x:ArchivspezifischeMetadaten/x:Aufbewahrungsdauer/x:AnzahlJahre", namespaces=NS) == "10"

    documents = procedure.findall("x:Dokument", NS)
    titles = [d.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=NS) for d in documents]
    assert titles == [
        "Antrag: Antrag auf Bescheinigung",  # the e-file is in German
        "foto.png",
        "Bescheinigung (neu)",  # one document with both versions of the letter
        "Impfpass <Kopie>",
    ]
    letter_versions = documents[2].findall("x:Version", NS)
    assert [v.findtext("x:Nummer", namespaces=NS) for v in letter_versions] == ["1", "2"]
    referenced = [element.text for element in procedure.iterfind(".//x:Primaerdokument/x:Dateiname", NS)]
    assert len(referenced) == 5
    for file_name in referenced:  # every referenced file travels in the package
        assert file_name in archive.namelist()
    stored = {d.sha256 for d in closed_case.documents.all()}
    in_package = {hashlib.sha256(archive.read(file_name)).hexdigest() for file_name in referenced}
    assert stored <= in_package and hashlib.sha256(PNG).hexdigest() in in_package

    application_file = documents[0].findtext(".//x:Primaerdokument/x:Dateiname", namespaces=NS)
    application = pdf_text(archive.read(application_file))
    assert "EXPO-RT00-A" in application and "Jürgen Müller-Lüdenscheidt" in application  # the answers
    assert "SECR-ET12-3456" not in application  # the status secret stays out of the archive

    history = procedure.findall("x:HistorienProtokollInformation", NS)
    assert len(history) == CaseEntry.objects.filter(case=closed_case).count()
    actions = [h.findtext("x:Aktion", namespaces=NS) for h in history]
    assert "Vorgang eingegangen" in actions and "Vorgang abgeschlossen" in actions
    assert any(action.startswith("Dokument erstellt: Bescheinigung") for action in actions)
    event = AuditEvent.objects.get(action="case.export")
    assert event.actor == cast.clerk_a and event.purpose == "EXPO-RT00-A"


@pytest.mark.skipif(not (SCHEMA_DIR / "xdomea.xsd").exists(), reason=f"official xdomea schemas absent: {SCHEMA_DIR}")
def test_the_export_validates_against_the_official_schema(cast, closed_case):
    _name, package = export_package(actor=cast.clerk_a, case=closed_case)
    root, _archive = _message(package)
    assert schema_errors(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), SCHEMA_DIR) == []


def test_an_open_case_is_refused(cast, office_a, media):
    case = make_case(cast, office_a, reference="OPEN-EXPO-A")
    with pytest.raises(ExportRefused, match="still open"):
        export_package(actor=cast.clerk_a, case=case)
    assert not AuditEvent.objects.filter(action="case.export").exists()


def test_a_damaged_document_is_refused(cast, closed_case, media):
    document = closed_case.documents.filter(kind="upload").get()
    (Path(media) / document.path).write_bytes(PNG + b"changed")
    with pytest.raises(ExportRefused, match="Impfpass <Kopie>"):
        export_case(closed_case)


def test_the_command_writes_the_package(cast, closed_case, tmp_path):
    out = tmp_path / "export.zip"
    stdout = io.StringIO()
    call_command("export_xdomea", "--reference", "EXPO-RT00-A", "--out", str(out), stdout=stdout)
    root, archive = _message(out.read_bytes())
    assert root.findtext("x:Schriftgutobjekt/x:Vorgang/x:AllgemeineMetadaten/x:Kennzeichen", namespaces=NS) == (
        "EXPO-RT00-A"
    )
    assert "Wrote" in stdout.getvalue()
    assert AuditEvent.objects.get(action="case.export").actor_label == "system:export_xdomea"


def test_the_command_refuses_unknown_and_open_cases(cast, office_a, media, tmp_path):
    make_case(cast, office_a, reference="OPEN-EXPO-A")
    out = tmp_path / "export.zip"
    with pytest.raises(CommandError, match="No case with the reference NOPE"):
        call_command("export_xdomea", "--reference", "NOPE", "--out", str(out))
    with pytest.raises(CommandError, match="still open"):
        call_command("export_xdomea", "--reference", "OPEN-EXPO-A", "--out", str(out))
    assert not out.exists()


def test_staff_download_the_package(client, cast, closed_case):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("case_documents:export", args=["EXPO-RT00-A"]), **EN)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    root, _archive = _message(response.content)
    assert root.find("x:Schriftgutobjekt/x:Vorgang", NS) is not None


def test_staff_are_told_an_open_case_cannot_be_exported(client, cast, office_a, media):
    make_case(cast, office_a, reference="OPEN-EXPO-A")
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("case_documents:export", args=["OPEN-EXPO-A"]), **EN)
    assert response.status_code == 409
    assert "only closed case files can be exported" in response.content.decode()
    assert not AuditEvent.objects.filter(action="case.export").exists()


def test_the_download_is_for_staff_of_the_cases_office_only(client, cast, closed_case):
    url = reverse("case_documents:export", args=["EXPO-RT00-A"])
    assert client.get(url).status_code == 302
    client.force_login(cast.citizen)
    assert client.get(url).status_code == 302
    for user, office in ((cast.clerk_b, cast.office_b), (cast.dpo_a, cast.office_a)):
        login_staff(client, user, office)
        assert client.get(url, **EN).status_code == 404
    assert not AuditEvent.objects.filter(action="case.export").exists()


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from oegd.demo.data import load_demo

    return load_demo()


@pytest.mark.skipif(not (SCHEMA_DIR / "xdomea.xsd").exists(), reason=f"official xdomea schemas absent: {SCHEMA_DIR}")
def test_a_demo_case_exports_valid_xdomea(demo):
    """A citizen's §43 application in the demo state, with its certificate letter, closed and exported."""
    import json

    from oegd.core.models import User
    from oegd.forms import services as form_services
    from oegd.forms.models import Service

    examples = Path(__file__).resolve().parents[2] / "demo" / "questionnaires" / "examples"
    items = json.loads((examples / "ifsg43-instruction.response.json").read_text(encoding="utf-8"))["item"]
    citizen = User.objects.get(email="buerger@example.org")
    draft = form_services.start_draft(
        service=Service.objects.get(slug="ifsg43-instruction"), user=citizen, language="de"
    )
    form_services.save_draft_page(actor=citizen, draft=draft, items=items, page=0)
    case = form_services.submit_draft(actor=citizen, draft=draft).submission.case
    physician = User.objects.get(email="aerztin@musterstadt.example")
    generate_letter(actor=physician, case=case, template_key="ifsg43-certificate")
    close_case(actor=physician, case=case)
    case.refresh_from_db()

    _name, package = export_package(actor=physician, case=case)
    root, archive = _message(package)
    assert schema_errors(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), SCHEMA_DIR) == []
    referenced = [element.text for element in root.iterfind(".//x:Primaerdokument/x:Dateiname", NS)]
    assert len(referenced) >= 2 and all(name in archive.namelist() for name in referenced)
