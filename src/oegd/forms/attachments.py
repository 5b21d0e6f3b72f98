"""Files that answer attachment items: checks, virus scan, private storage, FHIR answers.

The path of an upload (portal or API):

1. ``read_upload`` (portal) or ``decode_inline_attachment`` (API) gets the bytes, never more
   than the limit plus one byte;
2. ``check_upload`` decides by the content (magic bytes), not by the name or declared type:
   only PDF, JPEG and PNG (``FORMS_ATTACHMENT_TYPES``, narrowed by the item's SDC mimeType),
   not empty, not larger than ``FORMS_MAX_ATTACHMENT_BYTES`` (lowered by the item's SDC
   maxSize), and a name or declared type that contradicts the content is refused;
3. ``store_attachment`` scans the bytes (``scan_for_viruses``: clamd when ``CLAMD_ADDRESS`` is
   set, failing closed), writes them under ``MEDIA_ROOT/attachments`` with a random name and
   creates the ``Attachment`` row, audited.

Settings (all optional): ``FORMS_ATTACHMENT_TYPES`` (default PDF, JPEG, PNG; types without a
sniffer here are ignored), ``FORMS_MAX_ATTACHMENT_BYTES`` (default 10 MiB), ``CLAMD_ADDRESS``
(``tcp://host:port`` or ``unix:///path/to/clamd.ctl``; empty: no scan) and ``CLAMD_TIMEOUT``
(seconds, default 30).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import mimetypes
import re
import socket
import struct
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.services import DomainError
from oegd.core.stored_files import StoredFileUnreadable, read_verified
from oegd.forms.models import Attachment, Draft, Submission

if TYPE_CHECKING:
    from oegd.forms.questionnaire import Item

logger = logging.getLogger(__name__)

DEFAULT_TYPES = ("application/pdf", "image/jpeg", "image/png")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILENAME_LENGTH = 200
CLAMD_CHUNK_BYTES = 64 * 1024  # bytes per INSTREAM chunk

# The file types we can recognise by content: type -> (magic prefix, label, extensions).
_SIGNATURES: dict[str, tuple[bytes, str, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", "PDF", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", "JPEG", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "image/png": (b"\x89PNG\r\n\x1a\n", "PNG", (".png",)),
}
# Declared types that browsers and clients send for our three types.
_TYPE_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
}
# Declared types that say nothing about the content.
_UNINFORMATIVE_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
# Only the built-in table of the standard library, so the decision does not depend on /etc/mime.types.
_MIME_TABLE = mimetypes.MimeTypes()


class AttachmentRefused(DomainError):
    """An upload that is not accepted; ``message`` tells the person why (translated)."""


class AttachmentUnavailable(DomainError):
    """A stored file that is missing or no longer matches its checksum."""


@dataclass(frozen=True)
class AcceptedFile:
    """An upload that passed ``check_upload``: what the ``Attachment`` row will say about it."""

    filename: str  # sanitised, for display only
    content_type: str  # sniffed from the content
    size: int
    sha256: str  # hex
    sha1_b64: str  # base64 SHA-1, as FHIR Attachment.hash wants it


class PrivateStorage(FileSystemStorage):
    """A file system storage without URLs: attachments are served only by a permission-checked view."""

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Attachments have no public URL.")


def attachment_storage() -> PrivateStorage:
    """The storage under ``MEDIA_ROOT/attachments`` (read on each call, so tests can move it)."""
    return PrivateStorage(
        location=Path(settings.MEDIA_ROOT) / "attachments",
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


# --- checks -----------------------------------------------------------------------------------


def allowed_types(item: Item | None = None) -> list[str]:
    """The content types accepted for ``item``: the configured ones, narrowed by its mimeType."""
    configured = {_normalise_type(t) for t in getattr(settings, "FORMS_ATTACHMENT_TYPES", DEFAULT_TYPES)}
    types = [t for t in _SIGNATURES if t in configured]  # a fixed order keeps messages stable
    if item is not None and item.mime_types:
        wanted = {_normalise_type(t) for t in item.mime_types}
        types = [t for t in types if t in wanted]
    return types


def max_attachment_bytes(item: Item | None = None) -> int:
    """The size limit for ``item``: the configured one, lowered by its maxSize."""
    limit = int(getattr(settings, "FORMS_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_BYTES))
    if item is not None and item.max_size is not None and item.max_size > 0:
        limit = min(limit, item.max_size)
    return limit


def read_upload(uploaded_file: IO[bytes], limit: int) -> bytes:
    """Read at most ``limit + 1`` bytes of an upload, so an oversized file is seen without reading it all."""
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    parts: list[bytes] = []
    remaining = limit + 1
    while remaining > 0:
        part = uploaded_file.read(min(remaining, 1024 * 1024))
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def sniff_content_type(data: bytes) -> str | None:
    """The content type recognised by the file's first bytes, or None for anything else."""
    for content_type, (magic, _label, _extensions) in _SIGNATURES.items():
        if data.startswith(magic):
            return content_type
    return None


def sanitize_filename(filename: str, content_type: str | None = None) -> str:
    """A file name safe to show and to offer for download: no path, no control characters, ≤ 200 chars."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = unicodedata.normalize("NFC", name)
    # Cc: control characters; Cf: format characters such as the right-to-left override that
    # makes "rechnung\u202efdp.exe" look like "rechnungexe.pdf".
    name = "".join(" " if ch.isspace() else ch for ch in name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = re.sub(r" {2,}", " ", name).strip(" .")
    if not name:
        extension = _SIGNATURES[content_type][2][0] if content_type in _SIGNATURES else ""
        name = _("attachment") + extension
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH].rstrip(" .")
    return name


def check_upload(*, data: bytes, filename: str, declared_type: str, item: Item) -> AcceptedFile:
    """Accept or refuse an uploaded file for ``item``; the decision rests on the content.

    Refused (``AttachmentRefused``): an empty file; a file over the limit; content that is not one
    of the allowed types; a name extension or declared type that contradicts the content (a
    program or web page disguised as a PDF or picture).
    """
    if not data:
        raise AttachmentRefused(_("The file is empty."))
    limit = max_attachment_bytes(item)
    if len(data) > limit:
        raise AttachmentRefused(_("The file is larger than %(size)s.") % {"size": filesizeformat(limit)})
    types = allowed_types(item)
    if not types:
        raise AttachmentRefused(_("Files cannot be accepted for this question."))
    clean_name = sanitize_filename(filename)
    claimed = {t for t in (_type_of_extension(clean_name), _normalise_type(declared_type)) if t}
    sniffed = sniff_content_type(data)
    if sniffed is None:
        if claimed & _SIGNATURES.keys():  # says it is a PDF or picture, but is not
            raise AttachmentRefused(_("The file content does not match its type."))
        raise AttachmentRefused(_type_refusal(types))
    if claimed - {sniffed}:
        raise AttachmentRefused(_("The file content does not match its type."))
    if sniffed not in types:
        raise AttachmentRefused(_type_refusal(types))
    return AcceptedFile(
        filename=sanitize_filename(filename, sniffed),
        content_type=sniffed,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        sha1_b64=_sha1_b64(data),
    )


def decode_inline_attachment(value: dict[str, Any], item: Item) -> tuple[AcceptedFile, bytes] | None:
    """Check a FHIR ``valueAttachment`` sent by an API client with base64 ``data``.

    Returns the accepted file and its bytes. A value without ``data`` whose ``url`` is
    ``urn:uuid:<public_id>`` refers to a file uploaded before: then this returns None and the
    caller resolves the reference (and checks that the attachment belongs to the same draft or
    client). Anything else is refused with ``AttachmentRefused``. When the client sends ``size``
    or ``hash`` too, they must match the data.
    """
    if not isinstance(value, dict):
        raise AttachmentRefused(_("The attachment has no content."))
    raw = value.get("data")
    if raw is None:
        url = value.get("url")
        if isinstance(url, str) and url.startswith("urn:uuid:"):
            return None
        raise AttachmentRefused(_("The attachment has no content."))
    if not isinstance(raw, str):
        raise AttachmentRefused(_("The attachment data is not valid base64."))
    encoded = "".join(raw.split())
    limit = max_attachment_bytes(item)
    if len(encoded) // 4 * 3 > limit + 3:  # refuse before decoding a huge payload
        raise AttachmentRefused(_("The file is larger than %(size)s.") % {"size": filesizeformat(limit)})
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AttachmentRefused(_("The attachment data is not valid base64.")) from exc
    accepted = check_upload(
        data=data,
        filename=str(value.get("title") or ""),
        declared_type=str(value.get("contentType") or ""),
        item=item,
    )
    if ("size" in value and value["size"] != accepted.size) or ("hash" in value and value["hash"] != accepted.sha1_b64):
        raise AttachmentRefused(_("The attachment data does not match its size or hash."))
    return accepted, data


def _normalise_type(content_type: str | None) -> str:
    base = (content_type or "").split(";")[0].strip().lower()
    base = _TYPE_ALIASES.get(base, base)
    return "" if base in _UNINFORMATIVE_TYPES else base


def _type_of_extension(filename: str) -> str:
    """The type a file name's extension claims ("" when it has none or an unknown one)."""
    extension = Path(filename).suffix.lower()
    if not extension:
        return ""
    for content_type, (_magic, _label, extensions) in _SIGNATURES.items():
        if extension in extensions:
            return content_type
    # Any other known extension (.exe, .html, .svg, .zip, ...) claims some other type.
    guessed, _encoding = _MIME_TABLE.guess_type("file" + extension, strict=False)
    return guessed or ""


def _type_refusal(types: list[str]) -> str:
    labels = ", ".join(_SIGNATURES[t][1] for t in types)
    return _("Only these file types are accepted: %(types)s.") % {"types": labels}


def _sha1_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


# --- virus scan -------------------------------------------------------------------------------


def scan_for_viruses(data: bytes) -> Attachment.Scan:
    """Scan ``data`` with clamd (INSTREAM) when ``CLAMD_ADDRESS`` is set; else NOT_SCANNED.

    CLEAN when clamd answers ``stream: OK``. A finding refuses the file; so does every other
    answer, a connection error or a timeout (fail closed: no unchecked file gets in while a
    scanner is configured).
    """
    address = getattr(settings, "CLAMD_ADDRESS", "")
    if not address:
        return Attachment.Scan.NOT_SCANNED
    timeout = float(getattr(settings, "CLAMD_TIMEOUT", 30))
    try:
        reply = _clamd_instream(address, data, timeout)
    except (OSError, ValueError) as exc:
        logger.warning("Virus scan failed: %s", type(exc).__name__)
        raise AttachmentRefused(_("The file could not be checked for viruses. Please try again later.")) from exc
    if reply == "stream: OK":
        return Attachment.Scan.CLEAN
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        logger.warning("Virus scan found %s in an upload", reply.removeprefix("stream: ").removesuffix(" FOUND"))
        raise AttachmentRefused(_("The file was rejected by the virus check."))
    logger.warning("Virus scan gave an unexpected answer: %.200s", reply)
    raise AttachmentRefused(_("The file could not be checked for viruses. Please try again later."))


def _clamd_connect(address: str, timeout: float) -> socket.socket:
    parts = urlsplit(address)
    if parts.scheme == "tcp" and parts.hostname and parts.port:
        return socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    if parts.scheme == "unix" and parts.path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(parts.path)
        except OSError:
            sock.close()
            raise
        return sock
    raise ValueError("CLAMD_ADDRESS must be tcp://host:port or unix:///path")


def _clamd_instream(address: str, data: bytes, timeout: float) -> str:
    """Send ``data`` to clamd with the null-terminated INSTREAM command; return its answer."""
    with _clamd_connect(address, timeout) as sock:
        sock.sendall(b"zINSTREAM\0")
        for start in range(0, len(data), CLAMD_CHUNK_BYTES):
            chunk = data[start : start + CLAMD_CHUNK_BYTES]
            sock.sendall(struct.pack(">I", len(chunk)) + chunk)
        sock.sendall(struct.pack(">I", 0))
        reply = b""
        while b"\0" not in reply and len(reply) < 4096:
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    return reply.split(b"\0")[0].decode("utf-8", "replace").strip()


# --- storage ----------------------------------------------------------------------------------


def store_attachment(
    *,
    actor: Any,
    draft: Draft | None,
    link_id: str,
    accepted: AcceptedFile,
    data: bytes,
    submission: Submission | None = None,
) -> Attachment:
    """Scan, store and record an accepted file for ``link_id`` of a draft (or an API submission).

    The file is written first under a random name, then the row and its audit event in one
    transaction; if that fails, the file is removed again. ``actor``: a User, an ApiClient or
    None (anonymous). Raises ``AttachmentRefused`` when the virus scan refuses the file.
    """
    if len(data) != accepted.size or hashlib.sha256(data).hexdigest() != accepted.sha256:
        raise ValueError("data is not the file that was checked")
    scan = scan_for_viruses(data)
    storage = attachment_storage()
    key = uuid.uuid4().hex
    storage_name = storage.save(f"{key[:2]}/{key[2:4]}/{key}", ContentFile(data))
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                draft=draft,
                submission=submission,
                link_id=link_id,
                filename=accepted.filename,
                content_type=accepted.content_type,
                size=accepted.size,
                sha256=accepted.sha256,
                sha1=accepted.sha1_b64,
                storage_name=storage_name,
                scan=scan,
            )
            audit.record(
                actor,
                "attachment.upload",
                attachment,
                office=submission.office if submission is not None else None,
                subject=_subject_of(draft, submission),
            )
    except BaseException:
        storage.delete(storage_name)
        raise
    return attachment


def open_attachment(attachment: Attachment) -> bytes:
    """The stored bytes of ``attachment``, checked against its SHA-256. Check permission first."""
    try:
        return read_verified(
            attachment_storage(), attachment.storage_name, attachment.sha256, label=f"attachment {attachment.public_id}"
        )
    except StoredFileUnreadable as exc:
        raise AttachmentUnavailable(_("The file is no longer available.")) from exc


def delete_attachment(*, actor: Any, attachment: Attachment) -> None:
    """Remove an upload from a draft (e.g. to replace it): the row now, the file after commit.

    Files that belong to a submission are part of the record and cannot be removed here.
    """
    if attachment.submission_id is not None:
        raise DomainError(_("A file that was submitted cannot be removed."))
    storage_name = attachment.storage_name
    with transaction.atomic():
        audit.record(actor, "attachment.delete", attachment, subject=_subject_of(attachment.draft, None))
        attachment.delete()
        # Only once the row is surely gone, so a rollback never leaves a row without its file.
        transaction.on_commit(lambda: attachment_storage().delete(storage_name))


def sweep_orphans(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Retention: remove uploads that belong to nothing any more; returns how many.

    Rows of neither a draft nor a submission (their draft expired), and files without a row
    (a submission whose transaction rolled back after its inline files were written). Only
    things older than ``older_than``, so uploads in flight are never touched.
    """
    cutoff = timezone.now() - older_than
    swept: set[str] = set()  # their files go once the deletion commits
    for attachment in Attachment.objects.filter(draft=None, submission=None, uploaded_at__lt=cutoff):
        swept.add(attachment.storage_name)
        delete_attachment(actor=audit.SystemActor("retention"), attachment=attachment)
    removed = len(swept)
    root = Path(attachment_storage().location)
    if not root.exists():
        return removed
    candidates = [path for path in root.rglob("*") if path.is_file() and path.stat().st_mtime < cutoff.timestamp()]
    names = {path.relative_to(root).as_posix(): path for path in candidates}
    names = {name: path for name, path in names.items() if name not in swept}
    known = set(Attachment.objects.filter(storage_name__in=list(names)).values_list("storage_name", flat=True))
    for name, path in names.items():
        if name not in known:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def attachment_answer(attachment: Attachment) -> dict[str, Any]:
    """The FHIR ``valueAttachment`` of a QuestionnaireResponse answer for ``attachment``."""
    return {
        "contentType": attachment.content_type,
        "title": attachment.filename,
        "size": attachment.size,
        "hash": attachment.sha1,
        "url": f"urn:uuid:{attachment.public_id}",
        "creation": attachment.uploaded_at.isoformat(),
    }


def _subject_of(draft: Draft | None, submission: Submission | None) -> Any:
    if draft is not None and draft.user_id is not None:
        return draft.user
    if submission is not None:
        return submission.submitted_by
    return None
