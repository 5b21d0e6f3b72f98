import base64
import hashlib
import socket
import socketserver
import struct
import threading
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from oegd.core.models import AuditEvent
from oegd.core.services import DomainError
from oegd.core.tests.factories import OfficeFactory, UserFactory
from oegd.forms.attachments import (
    AttachmentRefused,
    AttachmentUnavailable,
    attachment_answer,
    attachment_storage,
    check_upload,
    decode_inline_attachment,
    delete_attachment,
    open_attachment,
    read_upload,
    sanitize_filename,
    scan_for_viruses,
    store_attachment,
)
from oegd.forms.models import Attachment, Draft, FormDefinition, FormVersion, Service
from oegd.forms.questionnaire import EXT_MAX_SIZE, EXT_MIME_TYPE, Item, load_questionnaire

# Built from two halves so that virus scanners looking at this source file do not flag it.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
    b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def png_bytes() -> bytes:
    """A valid 1x1 black PNG, written by hand."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")
    )


PNG = png_bytes()
TYPE_MISMATCH = "The file content does not match its type."
TYPES_ALL = "Only these file types are accepted: PDF, JPEG, PNG."


def item(**kwargs) -> Item:
    return Item(link_id="document", type="attachment", **kwargs)


def refusal(**kwargs) -> str:
    kwargs.setdefault("item", item())
    with pytest.raises(AttachmentRefused) as caught:
        check_upload(**kwargs)
    return caught.value.message


# --- checks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "declared", "expected"),
    [
        (PDF, "Befund.pdf", "application/pdf", "application/pdf"),
        (PNG, "foto.PNG", "image/png", "image/png"),
        (JPEG, "foto.jpg", "image/jpg", "image/jpeg"),
        (JPEG, "scan", "application/octet-stream", "image/jpeg"),  # no extension, uninformative type
    ],
)
def test_real_files_are_accepted_by_their_content(data, filename, declared, expected):
    accepted = check_upload(data=data, filename=filename, declared_type=declared, item=item())
    assert accepted.content_type == expected
    assert accepted.size == len(data)
    assert accepted.sha256 == hashlib.sha256(data).hexdigest()
    assert base64.b64decode(accepted.sha1_b64) == hashlib.sha1(data, usedforsecurity=False).digest()
    assert accepted.filename == filename


@pytest.mark.parametrize(
    ("data", "filename", "declared"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "befund.pdf", "application/pdf"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "foto.png", "image/png"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "befund.pdf", "application/pdf"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "bild.jpg", ""),
        (PDF, "befund.exe", ""),  # a real PDF with a program's name
        (PDF, "befund.html", "text/html"),
        (PNG, "foto.pdf", "application/pdf"),  # a picture called a PDF
        (PDF, "befund.pdf", "image/png"),  # declared type contradicts the content
        (PDF, "rechnung\u202efdp.exe", "application/pdf"),  # right-to-left override trick
    ],
)
def test_disguised_files_are_refused(data, filename, declared):
    assert refusal(data=data, filename=filename, declared_type=declared) == TYPE_MISMATCH


@pytest.mark.parametrize(
    ("data", "filename", "declared"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "bild.svg", "image/svg+xml"),
        (b"#!/bin/sh\nrm -rf /\n", "script", ""),
        (b"GIF89a\x01\x00\x01\x00", "bild.gif", "image/gif"),
    ],
)
def test_other_types_are_refused_with_the_list_of_accepted_types(data, filename, declared):
    assert refusal(data=data, filename=filename, declared_type=declared) == TYPES_ALL


def test_empty_file_is_refused():
    assert refusal(data=b"", filename="leer.pdf", declared_type="application/pdf") == "The file is empty."


def test_global_size_limit(settings):
    settings.FORMS_MAX_ATTACHMENT_BYTES = 1024
    ok = PDF + b"%" * (1024 - len(PDF))
    assert check_upload(data=ok, filename="a.pdf", declared_type="", item=item()).size == 1024
    message = refusal(data=ok + b"%", filename="a.pdf", declared_type="")
    assert message == f"The file is larger than {filesizeformat(1024)}."


def test_item_max_size_lowers_the_limit_but_never_raises_it(settings):
    settings.FORMS_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
    big = PDF + b"%" * 2 * 1024 * 1024
    message = refusal(data=big, filename="a.pdf", declared_type="", item=item(max_size=1024 * 1024))
    assert message == f"The file is larger than {filesizeformat(1024 * 1024)}."
    huge = PDF + b"%" * 6 * 1024 * 1024
    message = refusal(data=huge, filename="a.pdf", declared_type="", item=item(max_size=100 * 1024 * 1024))
    assert message == f"The file is larger than {filesizeformat(5 * 1024 * 1024)}."


def test_item_mime_types_narrow_the_allowlist():
    pdf_only = item(mime_types=["application/pdf"])
    assert refusal(data=PNG, filename="foto.png", declared_type="image/png", item=pdf_only) == (
        "Only these file types are accepted: PDF."
    )
    assert check_upload(data=PDF, filename="a.pdf", declared_type="", item=pdf_only).content_type == "application/pdf"
    # A type the platform does not accept is not made acceptable by the form.
    word = item(mime_types=["application/msword"])
    assert refusal(data=PDF, filename="a.pdf", declared_type="", item=word) == (
        "Files cannot be accepted for this question."
    )


def test_settings_allowlist(settings):
    settings.FORMS_ATTACHMENT_TYPES = ["image/png", "image/jpeg"]
    assert refusal(data=PDF, filename="a.pdf", declared_type="") == "Only these file types are accepted: JPEG, PNG."


def test_sdc_extensions_of_a_questionnaire_reach_the_check():
    definition = load_questionnaire(
        {
            "resourceType": "Questionnaire",
            "status": "active",
            "item": [
                {
                    "linkId": "photo",
                    "type": "attachment",
                    "extension": [
                        {"url": EXT_MIME_TYPE, "valueCode": "image/png"},
                        {"url": EXT_MIME_TYPE, "valueCode": "image/jpeg"},
                        {"url": EXT_MAX_SIZE, "valueDecimal": 1000},
                    ],
                }
            ],
        }
    )
    photo = definition.by_link_id["photo"]
    assert check_upload(data=PNG, filename="f.png", declared_type="", item=photo).content_type == "image/png"
    assert refusal(data=PDF, filename="a.pdf", declared_type="", item=photo) == (
        "Only these file types are accepted: JPEG, PNG."
    )
    assert refusal(data=PNG + b"\x00" * 1000, filename="f.png", declared_type="", item=photo) == (
        f"The file is larger than {filesizeformat(1000)}."
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\clara\\Befund Mai.pdf", "Befund Mai.pdf"),
        ("bad\x00na\x1bme.pdf", "badname.pdf"),
        ("Befund\r\nMai.pdf", "Befund Mai.pdf"),
        ("rechnung\u202efdp.exe", "rechnungfdp.exe"),
        ("  tabs\tand   spaces.pdf  ", "tabs and spaces.pdf"),
        ("...", "attachment"),
        ("", "attachment"),
    ],
)
def test_file_names_are_sanitised(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_file_names_keep_their_extension():
    name = sanitize_filename("x" * 500 + ".pdf")
    assert len(name) == 200
    assert name.endswith("xxx.pdf")


def test_a_nameless_upload_gets_a_name_with_the_right_extension():
    assert check_upload(data=PDF, filename="/", declared_type="", item=item()).filename == "attachment.pdf"


def test_read_upload_stops_early():
    upload = SimpleUploadedFile("big.pdf", PDF + b"%" * (8 * 1024 * 1024), content_type="application/pdf")
    data = read_upload(upload, 1000)
    assert len(data) == 1001
    assert upload.file.tell() == 1001  # nothing past the limit was read
    message = refusal(data=data, filename="big.pdf", declared_type="", item=item(max_size=1000))
    assert message.startswith("The file is larger than")


def test_read_upload_reads_a_small_file_whole():
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    upload.read(3)  # a previous reader moved the position
    assert read_upload(upload, 1000) == PDF


# --- inline attachments (API) -------------------------------------------------------------------


def test_inline_attachment_is_decoded_and_checked():
    value = {"contentType": "application/pdf", "title": "Befund.pdf", "data": base64.b64encode(PDF).decode()}
    accepted, data = decode_inline_attachment(value, item())
    assert data == PDF
    assert (accepted.filename, accepted.content_type, accepted.size) == ("Befund.pdf", "application/pdf", len(PDF))


def test_inline_attachment_size_and_hash_must_match():
    good = base64.b64encode(hashlib.sha1(PDF, usedforsecurity=False).digest()).decode()
    value = {"data": base64.b64encode(PDF).decode(), "size": len(PDF), "hash": good}
    assert decode_inline_attachment(value, item())[1] == PDF
    with pytest.raises(AttachmentRefused, match="does not match its size or hash"):
        decode_inline_attachment({**value, "size": 1}, item())
    with pytest.raises(AttachmentRefused, match="does not match its size or hash"):
        decode_inline_attachment({**value, "hash": base64.b64encode(b"x" * 20).decode()}, item())


@pytest.mark.parametrize("data", ["not base64!", "QUJ", 42])
def test_invalid_base64_is_refused(data):
    with pytest.raises(AttachmentRefused, match="not valid base64"):
        decode_inline_attachment({"data": data}, item())


def test_inline_attachment_is_checked_like_an_upload(settings):
    html = base64.b64encode(b"<html></html>").decode()
    with pytest.raises(AttachmentRefused) as caught:
        decode_inline_attachment({"data": html, "title": "x.pdf"}, item())
    assert caught.value.message == TYPE_MISMATCH
    settings.FORMS_MAX_ATTACHMENT_BYTES = 100
    huge = base64.b64encode(PDF + b"%" * 10_000).decode()
    with pytest.raises(AttachmentRefused, match="larger than"):
        decode_inline_attachment({"data": huge}, item())


def test_reference_to_an_uploaded_file_is_left_to_the_caller():
    assert decode_inline_attachment({"url": "urn:uuid:7d3c0e5e-3d0f-4d4c-9a43-b0e1f0a1e001"}, item()) is None
    with pytest.raises(AttachmentRefused, match="has no content"):
        decode_inline_attachment({"url": "https://evil.example/x.pdf"}, item())
    with pytest.raises(AttachmentRefused, match="has no content"):
        decode_inline_attachment({"title": "x.pdf"}, item())


# --- virus scan -------------------------------------------------------------------------------


class FakeClamd(socketserver.BaseRequestHandler):
    """Speaks clamd's zINSTREAM: FOUND for the EICAR test string, OK otherwise."""

    answer: bytes | None = None  # a fixed answer instead, to test odd replies

    def handle(self):
        stream = self.request.makefile("rb")
        command = b""
        while not command.endswith(b"\0"):
            byte = stream.read(1)
            if not byte:
                return
            command += byte
        assert command == b"zINSTREAM\0"
        data = b""
        while True:
            (length,) = struct.unpack(">I", stream.read(4))
            if length == 0:
                break
            data += stream.read(length)
        if self.answer is not None:
            reply = self.answer
        elif EICAR in data:
            reply = b"stream: Eicar-Test-Signature FOUND\0"
        else:
            reply = b"stream: OK\0"
        self.request.sendall(reply)


def serve(server: socketserver.BaseServer):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def clamd(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeClamd)
    serve(server)
    settings.CLAMD_ADDRESS = f"tcp://127.0.0.1:{server.server_address[1]}"
    settings.CLAMD_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()


def test_no_scanner_configured_means_not_scanned(settings):
    settings.CLAMD_ADDRESS = ""
    assert scan_for_viruses(EICAR) == Attachment.Scan.NOT_SCANNED


def test_clean_file_passes_the_scanner(clamd):
    assert scan_for_viruses(PDF + b"%" * 200_000) == Attachment.Scan.CLEAN  # several chunks


def test_eicar_is_refused_by_the_scanner(clamd):
    with pytest.raises(AttachmentRefused) as caught:
        scan_for_viruses(b"%PDF-1.4\n" + EICAR)
    assert caught.value.message == "The file was rejected by the virus check."


def test_unexpected_answer_fails_closed(settings):
    handler = type("OddClamd", (FakeClamd,), {"answer": b"INSTREAM size limit exceeded. ERROR\0"})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    serve(server)
    settings.CLAMD_ADDRESS = f"tcp://127.0.0.1:{server.server_address[1]}"
    try:
        with pytest.raises(AttachmentRefused, match="could not be checked for viruses"):
            scan_for_viruses(PDF)
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_scanner_fails_closed(settings):
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CLAMD_ADDRESS = f"tcp://127.0.0.1:{port}"
    with pytest.raises(AttachmentRefused) as caught:
        scan_for_viruses(PDF)
    assert caught.value.message == "The file could not be checked for viruses. Please try again later."


def test_silent_scanner_fails_closed_after_the_timeout(settings):
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (backlog) but never answers
    settings.CLAMD_ADDRESS = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    settings.CLAMD_TIMEOUT = 0.2
    try:
        with pytest.raises(AttachmentRefused, match="could not be checked for viruses"):
            scan_for_viruses(PDF)
    finally:
        listener.close()


def test_malformed_address_fails_closed(settings):
    settings.CLAMD_ADDRESS = "clamd.local:3310"
    with pytest.raises(AttachmentRefused, match="could not be checked for viruses"):
        scan_for_viruses(PDF)


def test_scanner_on_a_unix_socket(settings, tmp_path):
    path = tmp_path / "clamd.ctl"
    server = socketserver.ThreadingUnixStreamServer(str(path), FakeClamd)
    serve(server)
    settings.CLAMD_ADDRESS = f"unix://{path}"
    try:
        assert scan_for_viruses(JPEG) == Attachment.Scan.CLEAN
        with pytest.raises(AttachmentRefused, match="rejected by the virus check"):
            scan_for_viruses(EICAR)
    finally:
        server.shutdown()
        server.server_close()


# --- storage ----------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.CLAMD_ADDRESS = ""
    return settings.MEDIA_ROOT


@pytest.fixture
def draft(db):
    office = OfficeFactory()
    form = FormDefinition.objects.create(slug="befund", url="https://oegd.example/fhir/Questionnaire/befund", title="B")
    version = FormVersion.objects.create(
        form=form, version=1, status=FormVersion.Status.ACTIVE, resource={"resourceType": "Questionnaire"}
    )
    service = Service.objects.create(slug="befund", kind=Service.Kind.APPLICATION, form=form, case_type="befund")
    service.offices.add(office)
    citizen = UserFactory(email="clara@example.org")
    return Draft.objects.create(
        service=service,
        form_version=version,
        user=citizen,
        language="de",
        expires_at=timezone.now() + timedelta(days=30),
    )


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def test_store_open_delete_round_trip(media, draft, settings, django_capture_on_commit_callbacks):
    accepted = check_upload(data=PDF, filename="../Befund.pdf", declared_type="application/pdf", item=item())
    attachment = store_attachment(actor=draft.user, draft=draft, link_id="document", accepted=accepted, data=PDF)

    attachment.refresh_from_db()
    assert (attachment.draft, attachment.link_id, attachment.filename) == (draft, "document", "Befund.pdf")
    assert (attachment.content_type, attachment.size) == ("application/pdf", len(PDF))
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.scan == Attachment.Scan.NOT_SCANNED
    assert open_attachment(attachment) == PDF

    # Random, sharded storage name: nothing of the user's file name.
    shard1, shard2, key = attachment.storage_name.split("/")
    assert (shard1, shard2) == (key[:2], key[2:4]) and len(key) == 32
    assert "Befund" not in attachment.storage_name

    # The file lies in MEDIA_ROOT/attachments, readable by the owner only, nowhere served.
    path = (Path(media) / "attachments" / attachment.storage_name).resolve()
    assert stored_files(Path(media)) == [path]
    assert path.read_bytes() == PDF
    assert path.stat().st_mode & 0o777 == 0o600
    served = [Path(settings.STATIC_ROOT), *(Path(entry[1]) for entry in settings.STATICFILES_DIRS)]
    assert not any(path.is_relative_to(root.resolve()) for root in served)
    with pytest.raises(NotImplementedError):
        attachment_storage().url(attachment.storage_name)

    event = AuditEvent.objects.get(action="attachment.upload", object_id=str(attachment.pk))
    assert (event.actor, event.subject, event.object_type) == (draft.user, draft.user, "forms.attachment")

    answer = attachment_answer(attachment)
    assert answer == {
        "contentType": "application/pdf",
        "title": "Befund.pdf",
        "size": len(PDF),
        "hash": base64.b64encode(hashlib.sha1(PDF, usedforsecurity=False).digest()).decode(),
        "url": f"urn:uuid:{attachment.public_id}",
        "creation": attachment.uploaded_at.isoformat(),
    }

    with django_capture_on_commit_callbacks(execute=True):
        delete_attachment(actor=draft.user, attachment=attachment)
    assert not Attachment.objects.filter(public_id=answer["url"].removeprefix("urn:uuid:")).exists()
    assert stored_files(Path(media)) == []
    assert AuditEvent.objects.filter(action="attachment.delete", subject=draft.user).count() == 1


def test_anonymous_upload_with_a_clean_scan(media, draft, clamd):
    draft.user = None
    draft.save()
    accepted = check_upload(data=PNG, filename="foto.png", declared_type="image/png", item=item())
    attachment = store_attachment(actor=None, draft=draft, link_id="document", accepted=accepted, data=PNG)
    assert attachment.scan == Attachment.Scan.CLEAN
    event = AuditEvent.objects.get(action="attachment.upload", object_id=str(attachment.pk))
    assert (event.actor_label, event.subject) == ("anonymous", None)


def test_infected_file_is_not_stored(media, draft, clamd):
    data = b"%PDF-1.4\n" + EICAR
    accepted = check_upload(data=data, filename="a.pdf", declared_type="", item=item())
    with pytest.raises(AttachmentRefused, match="rejected by the virus check"):
        store_attachment(actor=draft.user, draft=draft, link_id="document", accepted=accepted, data=data)
    assert not Attachment.objects.exists()
    assert stored_files(Path(media)) == []


def test_database_failure_leaves_no_orphan_file(media, draft):
    accepted = check_upload(data=PDF, filename="a.pdf", declared_type="", item=item())
    with pytest.raises(DataError):  # link_id is longer than its column
        store_attachment(actor=draft.user, draft=draft, link_id="x" * 101, accepted=accepted, data=PDF)
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="attachment.upload").exists()
    assert stored_files(Path(media)) == []


def test_tampered_file_is_not_served(media, draft):
    accepted = check_upload(data=PDF, filename="a.pdf", declared_type="", item=item())
    attachment = store_attachment(actor=draft.user, draft=draft, link_id="document", accepted=accepted, data=PDF)
    (Path(media) / "attachments" / attachment.storage_name).write_bytes(PDF + b"changed")
    with pytest.raises(AttachmentUnavailable, match="no longer available"):
        open_attachment(attachment)


def test_a_rolled_back_delete_keeps_row_and_file(media, draft, django_capture_on_commit_callbacks):
    accepted = check_upload(data=PDF, filename="a.pdf", declared_type="", item=item())
    attachment = store_attachment(actor=draft.user, draft=draft, link_id="document", accepted=accepted, data=PDF)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        delete_attachment(actor=draft.user, attachment=attachment)
        raise RuntimeError("the surrounding request failed")
    assert Attachment.objects.filter(storage_name=attachment.storage_name).exists()
    assert len(stored_files(Path(media))) == 1


def test_a_submitted_file_cannot_be_deleted(media, draft):
    accepted = check_upload(data=PDF, filename="a.pdf", declared_type="", item=item())
    attachment = store_attachment(actor=draft.user, draft=draft, link_id="document", accepted=accepted, data=PDF)
    attachment.submission_id = 1  # as if submitted; the check happens before any write
    with pytest.raises(DomainError, match="cannot be removed"):
        delete_attachment(actor=draft.user, attachment=attachment)
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert len(stored_files(Path(media))) == 1
    assert not AuditEvent.objects.filter(action="attachment.delete").exists()


def test_sweep_removes_rows_and_files_that_belong_to_nothing(media, draft, django_capture_on_commit_callbacks):
    import os
    from datetime import timedelta

    import time_machine
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from oegd.forms.attachments import attachment_storage, sweep_orphans

    storage = attachment_storage()
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    stray = storage.save("ab/cd/stray", ContentFile(b"%PDF-1.4 left behind by a rolled-back submission"))
    fresh = storage.save("ab/cd/fresh", ContentFile(b"%PDF-1.4 an upload in flight"))
    os.utime(storage.path(stray), (two_days_ago, two_days_ago))

    def row(name: str, **kwargs) -> Attachment:
        path = storage.save(name, ContentFile(b"%PDF-1.4"))
        os.utime(storage.path(path), (two_days_ago, two_days_ago))
        return Attachment.objects.create(
            link_id="x",
            filename=f"{name[-4:]}.pdf",
            content_type="application/pdf",
            size=8,
            sha256="0" * 64,
            sha1="",
            storage_name=path,
            scan=Attachment.Scan.NOT_SCANNED,
            **kwargs,
        )

    of_draft = row("ef/gh/kept", draft=draft)
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        orphan = row("ij/kl/orph")
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_orphans() == 2  # the row that belongs to nothing, and the stray file
    assert not storage.exists(stray) and not storage.exists(orphan.storage_name)
    assert not Attachment.objects.filter(pk=orphan.pk).exists()
    assert storage.exists(fresh)  # younger than a day: maybe still being submitted
    assert Attachment.objects.filter(pk=of_draft.pk).exists() and storage.exists(of_draft.storage_name)
