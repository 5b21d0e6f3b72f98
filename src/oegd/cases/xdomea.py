"""A closed case file as an xdomea 3.0.0 message (E-Akten-Export, Aussonderung an das Archiv).

The message is ``Aussonderung.Aussonderung.0503``: the hand-over of closed records (Schriftgutobjekte)
to the responsible archive together with their primary documents. The case becomes one Vorgang, as in
the official example; its progress entries become ``HistorienProtokollInformation`` (who did what when),
its documents become ``Dokument`` elements with one ``Version`` per document version, and every
primary document travels in the zip package under the file name the message references.

This module works on plain dataclasses and knows nothing about the ORM; an adapter in the cases app
fills them from the models. Code values and list versions are those of the genericode lists shipped
with xdomea 3.0.0 (Nachrichtentyp 2.0, Dateiformat 1.0, Medium 1.0, Aussonderungsart 1.0).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import io
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from oegd.core.services import DomainError

NAMESPACE = "urn:xoev-de:xdomea:schema:3.0.0"
MESSAGE_TYPE = "Aussonderung.Aussonderung.0503"
MESSAGE_TYPE_CODE = "0503"
PRODUCT_NAME = "oegd"
ARCHIVE_NAME = "Landesarchiv"

# Code lists (listURI, listVersionID) as the 3.0.0 schema fixes or requires them.
MESSAGE_TYPE_LIST = ("urn:xoev-de:xdomea:codeliste:nachrichtentyp", "2.0")
FILE_FORMAT_LIST = ("urn:xoev-de:xdomea:codeliste:dateiformat", "1.0")
MEDIUM_LIST = ("urn:xoev-de:xdomea:codeliste:medium", "1.0")
DISPOSAL_LIST = ("urn:xoev-de:xdomea:codeliste:aussonderungsart", "1.0")

MEDIUM_ELECTRONIC = ("001", "Elektronisch: Das Schriftgutobjekt liegt ausschließlich in elektronischer Form vor.")
# The archive appraises the case file (Aussonderungsart "B": zum Bewerten markiert).
DISPOSAL_TO_APPRAISE = ("B", "Das Schriftgutobjekt ist zum Bewerten markiert.")

# The health office code of the RKI directory, e.g. "1.01.0.01." (as DEMIS uses it).
RKI_OFFICE_CODE = re.compile(r"^\d+(\.\d+)*\.$")
RKI_OFFICE_CODE_SYSTEM = "https://demis.rki.de/fhir/CodeSystem/ResponsibleDepartment"

# Dateiformat 1.0: media type → (code, file name extension).
OTHER_FORMAT = "100"
FORMATS_BY_MEDIA_TYPE = {
    "application/pdf": ("018", "pdf"),
    "image/png": ("019", "png"),
    "image/jpeg": ("011", "jpg"),
    "image/tiff": ("024", "tiff"),
    "image/bmp": ("001", "bmp"),
    "text/plain": ("045", "txt"),
    "text/csv": ("002", "csv"),
    "text/html": ("008", "html"),
    "application/xml": ("030", "xml"),
    "text/xml": ("030", "xml"),
    "application/rtf": ("022", "rtf"),
    "application/postscript": ("021", "ps"),
    "message/rfc822": ("006", "eml"),
    "application/vnd.ms-outlook": ("012", "msg"),
    "application/msword": ("003", "doc"),
    "application/vnd.ms-excel": ("028", "xls"),
    "application/vnd.ms-powerpoint": ("020", "ppt"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("035", "docx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("036", "xlsx"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("037", "pptx"),
    "application/vnd.oasis.opendocument.text": ("015", "odt"),
    "application/vnd.oasis.opendocument.spreadsheet": ("014", "ods"),
    "application/vnd.oasis.opendocument.presentation": ("013", "odp"),
}

# Characters XML 1.0 cannot carry at all; dropped rather than failing the export.
NOT_XML_CHARACTERS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
PDF_VERSION = re.compile(rb"%PDF-(\d\.\d)")
SAFE_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
STREET_AND_NUMBER = re.compile(r"^(?P<street>.*\S)\s+(?P<number>\d+\s?[a-zA-Z]?(\s?[-/]\s?\d+\s?[a-zA-Z]?)?)$")


@dataclass(frozen=True)
class ExportDocument:
    """One version of a document of the case file, with its bytes (Primärdokument)."""

    identifier: uuid.UUID
    title: str
    filename: str
    content: bytes
    media_type: str
    created_at: datetime
    sha256: str
    version: int = 1
    author: str = ""


@dataclass(frozen=True)
class ExportEntry:
    """A progress entry of the case: what happened when, by whom (Verlaufseintrag)."""

    at: datetime
    actor: str
    text: str


@dataclass(frozen=True)
class ExportCase:
    """A closed case file as the archive receives it (Vorgang)."""

    identifier: uuid.UUID
    reference: str
    title: str
    case_type: str
    filing_code: str
    opened_at: datetime
    closed_at: datetime | None
    retention_years: int | None
    office_name: str
    office_code: str
    office_street: str
    office_postal_code: str
    office_place: str
    documents: tuple[ExportDocument, ...]
    entries: tuple[ExportEntry, ...]


class ExportRefused(DomainError):
    """The case file cannot be exported as it is; ``message`` says why."""


def build_message(
    case: ExportCase, *, message_id: uuid.UUID, created_at: datetime, archive_name: str = ARCHIVE_NAME
) -> bytes:
    """The ``Aussonderung.Aussonderung.0503`` message for a closed case file, as UTF-8 XML.

    Refuses (``ExportRefused``) a case that is not closed and a document whose bytes do not match
    its recorded SHA-256 digest: the archive must receive exactly what the office kept.
    """
    _check_exportable(case)
    root = etree.Element(_q(MESSAGE_TYPE), nsmap={"xdomea": NAMESPACE})
    _add_header(root, case, message_id=message_id, created_at=created_at, archive_name=archive_name)
    records = _sub(root, "Schriftgutobjekt")
    _add_procedure(records, case)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def build_package(
    case: ExportCase,
    *,
    message_id: uuid.UUID | None = None,
    created_at: datetime | None = None,
    archive_name: str = ARCHIVE_NAME,
) -> tuple[str, bytes]:
    """The zip package of the hand-over: the 0503 message and every primary document it references.

    Returns ``(file name, zip bytes)``; the file name is ``<message id>_Aussonderung.Aussonderung.0503.zip``.
    """
    message_id = message_id or uuid.uuid4()
    created_at = created_at or timezone.now()
    message = build_message(case, message_id=message_id, created_at=created_at, archive_name=archive_name)
    stem = f"{message_id}_{MESSAGE_TYPE}"
    stamp = timezone.localtime(created_at).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr(_zip_entry(f"{stem}.xml", stamp), message)
        for document in case.documents:
            package.writestr(_zip_entry(primary_document_filename(document), stamp), document.content)
    return f"{stem}.zip", buffer.getvalue()


def primary_document_filename(document: ExportDocument) -> str:
    """The file name of a document version in the package ("UUID.Dateiformat", as xdomea suggests).

    The UUID is derived from the document and its version, so each version has its own stable name.
    """
    file_id = uuid.uuid5(document.identifier, f"version-{document.version}")
    return f"{file_id}.{_extension(document)}"


def schema_errors(xml: bytes, schema_dir: Path) -> list[str]:
    """Validation errors of an xdomea message against ``schema_dir/xdomea.xsd``; ``[]`` means valid."""
    schema = _schema(str(Path(schema_dir).resolve() / "xdomea.xsd"))
    try:
        tree = etree.fromstring(xml, parser=_safe_parser())  # entities and network are off
    except etree.XMLSyntaxError as error:
        return [f"not well-formed: {error}"]
    if schema.validate(tree):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]


# --- checks -------------------------------------------------------------------------------------


def _check_exportable(case: ExportCase) -> None:
    if case.closed_at is None:
        raise ExportRefused(
            _("The case %(reference)s is still open; only closed case files can be exported.")
            % {"reference": case.reference}
        )
    seen: set[tuple[uuid.UUID, int]] = set()
    for document in case.documents:
        if hashlib.sha256(document.content).hexdigest() != document.sha256.strip().lower():
            raise ExportRefused(
                _("The document “%(title)s” does not match its recorded checksum; it may be damaged.")
                % {"title": document.title}
            )
        key = (document.identifier, document.version)
        if key in seen:
            raise ExportRefused(
                _("The document “%(title)s” is listed twice with version %(version)s.")
                % {"title": document.title, "version": document.version}
            )
        seen.add(key)


# --- message parts ------------------------------------------------------------------------------


def _add_header(
    root: etree._Element, case: ExportCase, *, message_id: uuid.UUID, created_at: datetime, archive_name: str
) -> None:
    header = _sub(root, "Kopf")
    _sub(header, "ProzessID", str(message_id))
    _code(header, "Nachrichtentyp", MESSAGE_TYPE_LIST, MESSAGE_TYPE_CODE, "Aussonderung.Aussonderung")
    _sub(header, "Erstellungszeitpunkt", _datetime(created_at))
    _add_sender(_sub(header, "Absender"), case)
    recipient = _sub(header, "Empfaenger")
    _sub(_sub(recipient, "Institution"), "Name", archive_name)
    system = _sub(header, "SendendesSystem")
    _sub(system, "Produktname", PRODUCT_NAME)
    _sub(system, "Version", _product_version())
    _sub(header, "Importbestaetigung", "1")  # fixed by the schema
    # This platform does not process the archive's answers (0506/0507), so it asks for none.
    _sub(header, "RueckmeldungArchivkennung", "0")
    _sub(header, "Empfangsbestaetigung", "0")


def _add_sender(sender: etree._Element, case: ExportCase) -> None:
    if RKI_OFFICE_CODE.match(case.office_code):
        authority = _sub(sender, "Behoerdenkennung")
        key = _sub(authority, "Behoerdenschluessel", listURI=RKI_OFFICE_CODE_SYSTEM)
        etree.SubElement(key, "code").text = case.office_code
    institution = _sub(sender, "Institution")
    _sub(institution, "Name", case.office_name)
    if case.office_code:
        _sub(institution, "Kurzbezeichnung", case.office_code)
    if case.office_street or case.office_postal_code or case.office_place:
        address = _sub(sender, "Anschrift")
        street, number = _split_street(case.office_street)
        if street:
            _sub(address, "Strasse", street)
        if number:
            _sub(address, "Hausnummer", number)
        if case.office_postal_code:
            _sub(address, "Postleitzahl", case.office_postal_code)
        if case.office_place:
            _sub(address, "Ort", case.office_place)


def _add_procedure(records: etree._Element, case: ExportCase) -> None:
    assert case.closed_at is not None  # checked before
    procedure = _sub(records, "Vorgang")
    _sub(_sub(procedure, "Identifikation"), "ID", str(case.identifier))
    metadata = _sub(procedure, "AllgemeineMetadaten")
    if case.title:
        _sub(metadata, "Betreff", case.title)
    _sub(metadata, "Kennzeichen", case.reference)
    if case.office_name:
        _sub(metadata, "Federfuehrung", case.office_name)
    _code(metadata, "Medium", MEDIUM_LIST, *MEDIUM_ELECTRONIC)
    if case.filing_code:
        _sub(_sub(metadata, "Aktenplaneinheit"), "Kennzeichen", case.filing_code)

    closed_on = _local_date(case.closed_at)
    archival = _sub(procedure, "ArchivspezifischeMetadaten")
    if case.retention_years is not None:
        _sub(_sub(archival, "Aufbewahrungsdauer"), "AnzahlJahre", str(case.retention_years))
    _code(_sub(archival, "Aussonderungsart"), "Aussonderungsart", DISPOSAL_LIST, *DISPOSAL_TO_APPRAISE)
    if case.retention_years is not None and closed_on.year + case.retention_years <= date.max.year:
        # The retention period runs from the end of the year the case was closed in.
        _sub(archival, "Aufbewahrungsende", date(closed_on.year + case.retention_years, 12, 31).isoformat())

    if case.case_type:
        _sub(procedure, "Typ", case.case_type)
    _sub(procedure, "ZdA", "1")
    _sub(procedure, "ZdADatum", closed_on.isoformat())
    period = _sub(procedure, "Laufzeit")
    _sub(period, "Beginn", _local_date(case.opened_at).isoformat())
    _sub(period, "Ende", closed_on.isoformat())
    for entry in sorted(case.entries, key=lambda entry: entry.at):
        history = _sub(procedure, "HistorienProtokollInformation")
        _sub(history, "Akteur", entry.actor or PRODUCT_NAME)
        _sub(history, "DatumUhrzeit", _datetime(entry.at))
        _sub(history, "Aktion", entry.text)
    for number, versions in enumerate(_documents_with_versions(case.documents), start=1):
        _add_document(procedure, number, versions)


def _add_document(procedure: etree._Element, number: int, versions: list[ExportDocument]) -> None:
    latest = versions[-1]
    document = _sub(procedure, "Dokument")
    identification = _sub(document, "Identifikation")
    _sub(identification, "ID", str(latest.identifier))
    _sub(identification, "NummerImUebergeordnetenContainer", str(number))
    metadata = _sub(document, "AllgemeineMetadaten")
    if latest.title:
        _sub(metadata, "Betreff", latest.title)
    _code(metadata, "Medium", MEDIUM_LIST, *MEDIUM_ELECTRONIC)
    for version in versions:
        version_element = _sub(document, "Version")
        _sub(version_element, "Nummer", str(version.version))
        file_format = _sub(version_element, "Format")
        code = _format_code(version)
        _code(file_format, "Name", FILE_FORMAT_LIST, code)
        if code == OTHER_FORMAT:
            _sub(file_format, "SonstigerName", version.media_type or _extension(version))
        _sub(file_format, "Version", _format_version(version))
        primary = _sub(file_format, "Primaerdokument")
        _sub(primary, "Dateiname", primary_document_filename(version))
        if version.filename:
            _sub(primary, "DateinameOriginal", version.filename)
        if version.author:
            _sub(primary, "Ersteller", version.author)
        _sub(primary, "DatumUhrzeit", _datetime(version.created_at))


def _documents_with_versions(documents: Iterable[ExportDocument]) -> list[list[ExportDocument]]:
    """Documents in the order they first appear, each with its versions in ascending order."""
    grouped: dict[uuid.UUID, list[ExportDocument]] = {}
    for document in documents:
        grouped.setdefault(document.identifier, []).append(document)
    return [sorted(versions, key=lambda version: version.version) for versions in grouped.values()]


# --- formats ------------------------------------------------------------------------------------


def _media_type(document: ExportDocument) -> str:
    return document.media_type.split(";")[0].strip().lower()


def _format_code(document: ExportDocument) -> str:
    known = FORMATS_BY_MEDIA_TYPE.get(_media_type(document))
    if known:
        return known[0]
    by_extension = {extension: code for code, extension in FORMATS_BY_MEDIA_TYPE.values()}
    return by_extension.get(_extension(document), OTHER_FORMAT)


def _extension(document: ExportDocument) -> str:
    known = FORMATS_BY_MEDIA_TYPE.get(_media_type(document))
    if known:
        return known[1]
    suffix = PurePosixPath(document.filename.replace("\\", "/")).suffix.lstrip(".").lower()
    return suffix if SAFE_EXTENSION.match(suffix) else "bin"


def _format_version(document: ExportDocument) -> str:
    if _media_type(document) == "application/pdf":
        found = PDF_VERSION.match(document.content[:16])
        if found:
            return found.group(1).decode()
    return ""


# --- XML helpers --------------------------------------------------------------------------------


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name), attributes)
    if text is not None:
        element.text = NOT_XML_CHARACTERS.sub("", text)
    return element


def _code(parent: etree._Element, name: str, code_list: tuple[str, str], code: str, label: str = "") -> None:
    """A code element (xoev-code:Code); ``code`` and ``name`` are unqualified as the schema says."""
    element = _sub(parent, name, listURI=code_list[0], listVersionID=code_list[1])
    etree.SubElement(element, "code").text = code
    if label:
        etree.SubElement(element, "name").text = label


def _datetime(value: datetime) -> str:
    """xs:dateTime in UTC, as in the official example."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _local_date(value: datetime) -> date:
    return timezone.localtime(value).date()


def _split_street(value: str) -> tuple[str, str]:
    found = STREET_AND_NUMBER.match(value.strip())
    if found:
        return found.group("street"), found.group("number")
    return value.strip(), ""


def _zip_entry(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


@functools.cache
def _product_version() -> str:
    try:
        return importlib.metadata.version(PRODUCT_NAME)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@functools.lru_cache(maxsize=4)
def _schema(path: str) -> etree.XMLSchema:
    """The compiled schema; compiling takes a while, so it is kept per path."""
    return etree.XMLSchema(etree.parse(path, parser=_safe_parser()))
