"""The xdomea 3.0.0 export of a closed case file, checked against the official schemas when present."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import translation
from lxml import etree

from oegd.cases.xdomea import (
    ExportCase,
    ExportDocument,
    ExportEntry,
    ExportRefused,
    build_message,
    build_package,
    primary_document_filename,
    schema_errors,
)

XDOMEA_DATA = Path(settings.BASE_DIR).parent / "shared" / "data" / "xdomea"
SCHEMA_DIR = XDOMEA_DATA / "schemas" / "3.0.0"
CODE_LISTS = SCHEMA_DIR / "code_lists"
EXAMPLE = (
    XDOMEA_DATA / "examples" / "v3.0.0" / "9fde4e7a-b41b-11ec-9225-005056871b7c_Aussonderung.Aussonderung.0503.xml"
)
# Real data outside the repository: skipped when absent, also on CI (it is never copied into the project).
needs_schemas = pytest.mark.skipif(
    not (SCHEMA_DIR / "xdomea.xsd").exists(), reason=f"the official xdomea 3.0.0 schemas are absent: {SCHEMA_DIR}"
)

NS = {"x": "urn:xoev-de:xdomea:schema:3.0.0"}
MESSAGE_ID = uuid.UUID("0b7f3a52-8d5e-4c1e-9a57-3f1f2f6d9c10")
CREATED_AT = datetime(2025, 3, 4, 9, 30, 15, tzinfo=UTC)
TRICKY_TITLE = "Befund Müller & Söhne <Anlage> – تقرير الفحص"


def _pdf() -> bytes:
    body = (
        b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    )
    return body + b"trailer<</Root 1 0 R>>\n%%EOF\n"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _document(title: str, filename: str, content: bytes, media_type: str, **extra) -> ExportDocument:
    values = {
        "identifier": uuid.uuid4(),
        "title": title,
        "filename": filename,
        "content": content,
        "media_type": media_type,
        "created_at": datetime(2024, 11, 5, 10, 0, tzinfo=UTC),
        "sha256": hashlib.sha256(content).hexdigest(),
        "author": "Dr. Ayşe Öztürk",
    }
    values.update(extra)
    return ExportDocument(**values)


def _case(**extra) -> ExportCase:
    documents = (
        _document("Laborbefund Norovirus", "Befund_Müller.pdf", _pdf(), "application/pdf"),
        _document(TRICKY_TITLE, "Foto Küche.png", _png(), "image/png"),
        _document(
            "Gesprächsnotiz", "notiz.txt", "Telefonat: Familie symptomfrei – ✓\n".encode(), "text/plain; charset=utf-8"
        ),
    )
    entries = (
        ExportEntry(at=datetime(2024, 11, 4, 8, 15, tzinfo=UTC), actor="Jonas Weiß", text="Meldung eingegangen"),
        ExportEntry(at=datetime(2024, 11, 4, 9, 0, tzinfo=UTC), actor="Jonas Weiß", text="Ermittlung begonnen"),
        ExportEntry(at=datetime(2024, 11, 5, 10, 5, tzinfo=UTC), actor="Dr. Ayşe Öztürk", text="Befund & Foto <neu>"),
        ExportEntry(at=datetime(2024, 11, 12, 14, 30, tzinfo=UTC), actor="", text="Frist erinnert"),
        ExportEntry(at=datetime(2024, 11, 20, 16, 45, tzinfo=UTC), actor="Jonas Weiß", text="Vorgang abgeschlossen"),
    )
    values = {
        "identifier": uuid.UUID("6b1c2f0e-52d4-4a8e-b1d3-9f0a7e2c4d55"),
        "reference": "GA-2024-00815",
        "title": "Norovirus-Ausbruch Kita „Sonnenblume“ & Küche <Süd>",
        "case_type": "Infektionsschutz: Ausbruch",
        "filing_code": "53.10.02",
        "opened_at": datetime(2024, 11, 4, 8, 15, tzinfo=UTC),
        "closed_at": datetime(2024, 11, 20, 23, 30, tzinfo=UTC),  # 21 November in Berlin
        "retention_years": 10,
        "office_name": "Gesundheitsamt Musterstadt",
        "office_code": "1.01.0.01.",
        "office_street": "Hauptstraße 12a",
        "office_postal_code": "12345",
        "office_place": "Musterstadt",
        "documents": documents,
        "entries": entries,
    }
    values.update(extra)
    return ExportCase(**values)


def _parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)


def _text(root: etree._Element, path: str) -> str:
    return root.findtext(path, namespaces=NS)


@pytest.fixture(scope="module")
def schema_dir() -> Path:
    """The official schemas; compiling them once here keeps the module fast (``schema_errors`` caches it)."""
    if not (SCHEMA_DIR / "xdomea.xsd").exists():
        pytest.skip(f"the official xdomea 3.0.0 schemas are absent: {SCHEMA_DIR}")
    assert schema_errors(EXAMPLE.read_bytes(), SCHEMA_DIR) == []
    return SCHEMA_DIR


def _codes(code_list: str) -> set[str]:
    tree = etree.parse(str(CODE_LISTS / code_list))
    return {value.findtext("SimpleValue") for value in tree.iter("Value") if value.get("ColumnRef") in ("Code", "code")}


# --- validity -----------------------------------------------------------------------------------


def test_a_closed_case_file_validates_against_the_official_schema(schema_dir):
    xml = build_message(_case(), message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert schema_errors(xml, schema_dir) == []


def test_a_minimal_case_without_documents_retention_or_address_validates(schema_dir):
    case = _case(
        documents=(),
        entries=(),
        retention_years=None,
        filing_code="",
        title="",
        case_type="",
        office_code="musterstadt",
        office_street="",
        office_postal_code="",
        office_place="",
    )
    xml = build_message(case, message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert schema_errors(xml, schema_dir) == []
    root = _parse(xml)
    assert root.find(".//x:Aufbewahrungsdauer", NS) is None
    assert root.find(".//x:Behoerdenkennung", NS) is None  # a slug is no authority key
    assert _text(root, "x:Kopf/x:Absender/x:Institution/x:Kurzbezeichnung") == "musterstadt"


def test_the_validator_accepts_the_official_example_and_reports_errors(schema_dir):
    assert schema_errors(EXAMPLE.read_bytes(), schema_dir) == []
    broken = EXAMPLE.read_bytes().replace(b"<xdomea:Importbestaetigung>1<", b"<xdomea:Importbestaetigung>0<")
    errors = schema_errors(broken, schema_dir)
    assert errors and "Importbestaetigung" in errors[0]
    assert schema_errors(b"<not-closed>", schema_dir)[0].startswith("not well-formed")


@needs_schemas
def test_code_values_come_from_the_official_code_lists():
    root = _parse(build_message(_case(), message_id=MESSAGE_ID, created_at=CREATED_AT))
    message_type = root.find("x:Kopf/x:Nachrichtentyp", NS)
    assert message_type.findtext("code") == "0503" and "0503" in _codes("Nachrichtentyp_2.0.xml")
    assert message_type.get("listVersionID") == "2.0"
    formats = [element.findtext("code") for element in root.iterfind(".//x:Format/x:Name", NS)]
    assert formats == ["018", "019", "045"]
    assert set(formats) <= _codes("Dateiformat_1.0.xml")
    disposal = root.find(".//x:Aussonderungsart/x:Aussonderungsart", NS)
    assert disposal.findtext("code") in _codes("Aussonderungsart_1.0.xml")
    for medium in root.iterfind(".//x:Medium", NS):
        assert medium.findtext("code") in _codes("Medium_1.0.xml")


# --- content ------------------------------------------------------------------------------------


def test_header_and_case_identification():
    case = _case()
    root = _parse(build_message(case, message_id=MESSAGE_ID, created_at=CREATED_AT))
    assert root.tag == "{urn:xoev-de:xdomea:schema:3.0.0}Aussonderung.Aussonderung.0503"
    assert _text(root, "x:Kopf/x:ProzessID") == str(MESSAGE_ID)
    assert _text(root, "x:Kopf/x:Erstellungszeitpunkt") == "2025-03-04T09:30:15Z"
    assert _text(root, "x:Kopf/x:Absender/x:Institution/x:Name") == "Gesundheitsamt Musterstadt"
    assert root.find("x:Kopf/x:Absender/x:Behoerdenkennung/x:Behoerdenschluessel", NS).findtext("code") == "1.01.0.01."
    assert _text(root, "x:Kopf/x:Absender/x:Anschrift/x:Strasse") == "Hauptstraße"
    assert _text(root, "x:Kopf/x:Absender/x:Anschrift/x:Hausnummer") == "12a"
    assert _text(root, "x:Kopf/x:Empfaenger/x:Institution/x:Name") == "Landesarchiv"
    assert _text(root, "x:Kopf/x:SendendesSystem/x:Produktname") == "oegd"
    assert _text(root, "x:Kopf/x:SendendesSystem/x:Version")

    procedure = root.find("x:Schriftgutobjekt/x:Vorgang", NS)
    assert _text(procedure, "x:Identifikation/x:ID") == str(case.identifier)
    assert _text(procedure, "x:AllgemeineMetadaten/x:Kennzeichen") == "GA-2024-00815"
    assert _text(procedure, "x:AllgemeineMetadaten/x:Aktenplaneinheit/x:Kennzeichen") == "53.10.02"
    assert _text(procedure, "x:Typ") == "Infektionsschutz: Ausbruch"
    assert _text(procedure, "x:ZdADatum") == "2024-11-21"
    assert _text(procedure, "x:Laufzeit/x:Beginn") == "2024-11-04"
    assert _text(procedure, "x:Laufzeit/x:Ende") == "2024-11-21"
    assert _text(procedure, "x:ArchivspezifischeMetadaten/x:Aufbewahrungsdauer/x:AnzahlJahre") == "10"
    assert _text(procedure, "x:ArchivspezifischeMetadaten/x:Aufbewahrungsende") == "2034-12-31"


def test_progress_entries_become_the_history_in_order():
    case = _case(entries=tuple(reversed(_case().entries)))
    procedure = _parse(build_message(case, message_id=MESSAGE_ID, created_at=CREATED_AT)).find(".//x:Vorgang", NS)
    history = procedure.findall("x:HistorienProtokollInformation", NS)
    assert [_text(line, "x:Aktion") for line in history] == [
        "Meldung eingegangen",
        "Ermittlung begonnen",
        "Befund & Foto <neu>",
        "Frist erinnert",
        "Vorgang abgeschlossen",
    ]
    assert [_text(line, "x:Akteur") for line in history][2:4] == ["Dr. Ayşe Öztürk", "oegd"]
    assert _text(history[0], "x:DatumUhrzeit") == "2024-11-04T08:15:00Z"


def test_documents_carry_version_format_and_primary_document():
    case = _case()
    procedure = _parse(build_message(case, message_id=MESSAGE_ID, created_at=CREATED_AT)).find(".//x:Vorgang", NS)
    documents = procedure.findall("x:Dokument", NS)
    assert [_text(d, "x:Identifikation/x:ID") for d in documents] == [str(d.identifier) for d in case.documents]
    assert [_text(d, "x:Identifikation/x:NummerImUebergeordnetenContainer") for d in documents] == ["1", "2", "3"]
    pdf = documents[0].find("x:Version", NS)
    assert _text(pdf, "x:Nummer") == "1"
    assert _text(pdf, "x:Format/x:Version") == "1.7"
    primary = pdf.find("x:Format/x:Primaerdokument", NS)
    assert _text(primary, "x:Dateiname") == primary_document_filename(case.documents[0])
    assert _text(primary, "x:Dateiname").endswith(".pdf")
    assert _text(primary, "x:DateinameOriginal") == "Befund_Müller.pdf"
    assert _text(primary, "x:Ersteller") == "Dr. Ayşe Öztürk"
    assert _text(primary, "x:DatumUhrzeit") == "2024-11-05T10:00:00Z"


def test_user_text_round_trips_escaped():
    case = _case()
    xml = build_message(case, message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert b"&amp;" in xml and b"&lt;" in xml and b"<Anlage>" not in xml
    root = _parse(xml)
    assert _text(root, ".//x:Vorgang/x:AllgemeineMetadaten/x:Betreff") == case.title
    assert _text(root, ".//x:Dokument[2]/x:AllgemeineMetadaten/x:Betreff") == TRICKY_TITLE
    assert _text(root, ".//x:Dokument[2]//x:DateinameOriginal") == "Foto Küche.png"


def test_characters_xml_cannot_carry_are_dropped_not_fatal():
    xml = build_message(_case(title="Bericht\x00\x0b Teil\x1f 2"), message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert _text(_parse(xml), ".//x:Vorgang/x:AllgemeineMetadaten/x:Betreff") == "Bericht Teil 2"


@needs_schemas
def test_several_versions_of_a_document_are_one_document_with_versions():
    first = _document("Bescheid", "bescheid.pdf", _pdf(), "application/pdf")
    second_content = _pdf().replace(b"595 842", b"595 843")
    second = _document(
        "Bescheid (korrigiert)",
        "bescheid-v2.pdf",
        second_content,
        "application/pdf",
        identifier=first.identifier,
        version=2,
        sha256=hashlib.sha256(second_content).hexdigest(),
    )
    other = _document("Scan", "scan.jp2", b"\x00\x00\x00\x0cjP  ", "image/jp2")
    case = _case(documents=(second, first, other))
    xml = build_message(case, message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert schema_errors(xml, SCHEMA_DIR) == []
    documents = _parse(xml).findall(".//x:Dokument", NS)
    assert len(documents) == 2
    assert _text(documents[0], "x:AllgemeineMetadaten/x:Betreff") == "Bescheid (korrigiert)"
    versions = documents[0].findall("x:Version", NS)
    assert [_text(v, "x:Nummer") for v in versions] == ["1", "2"]
    names = [_text(v, ".//x:Dateiname") for v in versions]
    assert len(set(names)) == 2
    unknown = documents[1].find("x:Version/x:Format", NS)
    assert unknown.find("x:Name", NS).findtext("code") == "100"
    assert _text(unknown, "x:SonstigerName") == "image/jp2"
    assert _text(unknown, ".//x:Dateiname").endswith(".jp2")


# --- package ------------------------------------------------------------------------------------


def test_the_package_holds_every_referenced_primary_document_byte_for_byte():
    case = _case()
    name, payload = build_package(case, message_id=MESSAGE_ID, created_at=CREATED_AT)
    stem = f"{MESSAGE_ID}_Aussonderung.Aussonderung.0503"
    assert name == f"{stem}.zip"
    with zipfile.ZipFile(io.BytesIO(payload)) as package:
        assert package.testzip() is None
        root = _parse(package.read(f"{stem}.xml"))
        referenced = [element.text for element in root.iterfind(".//x:Primaerdokument/x:Dateiname", NS)]
        assert len(referenced) == 3
        assert set(package.namelist()) == {f"{stem}.xml", *referenced}
        contents = {hashlib.sha256(package.read(filename)).hexdigest() for filename in referenced}
    assert contents == {document.sha256 for document in case.documents}
    by_name = {primary_document_filename(document): document.content for document in case.documents}
    with zipfile.ZipFile(io.BytesIO(payload)) as package:
        for filename in referenced:
            assert package.read(filename) == by_name[filename]


@time_machine.travel(datetime(2025, 6, 1, 12, 0, tzinfo=UTC), tick=False)
def test_the_package_defaults_to_a_fresh_message_id_and_now():
    name, payload = build_package(_case())
    message_id = uuid.UUID(name.split("_", 1)[0])
    with zipfile.ZipFile(io.BytesIO(payload)) as package:
        root = _parse(package.read(f"{message_id}_Aussonderung.Aussonderung.0503.xml"))
    assert _text(root, "x:Kopf/x:ProzessID") == str(message_id)
    assert _text(root, "x:Kopf/x:Erstellungszeitpunkt") == "2025-06-01T12:00:00Z"


# --- refusals -----------------------------------------------------------------------------------


def test_an_open_case_is_refused():
    with translation.override("en"), pytest.raises(ExportRefused) as refused:
        build_package(_case(closed_at=None), message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert refused.value.message == ("The case GA-2024-00815 is still open; only closed case files can be exported.")


def test_a_document_whose_checksum_does_not_match_is_refused():
    tampered = _document(
        "Laborbefund", "befund.pdf", _pdf(), "application/pdf", sha256=hashlib.sha256(b"x").hexdigest()
    )
    with translation.override("en"), pytest.raises(ExportRefused) as refused:
        build_package(_case(documents=(tampered,)), message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert (
        refused.value.message == "The document “Laborbefund” does not match its recorded checksum; it may be damaged."
    )


def test_a_document_version_listed_twice_is_refused():
    document = _document("Befund", "befund.pdf", _pdf(), "application/pdf")
    with translation.override("en"), pytest.raises(ExportRefused) as refused:
        build_message(_case(documents=(document, document)), message_id=MESSAGE_ID, created_at=CREATED_AT)
    assert "listed twice" in refused.value.message
