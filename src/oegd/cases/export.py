"""The e-file export of a closed case (xdomea 3.0.0): from the models to ``xdomea.ExportCase``.

The package holds the case's documents (each version, checked against its SHA-256), the citizen's
application as the receipt PDF with the answers (without the status secret) and the files the
citizen uploaded with it, and the progress entries as readable history lines.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from oegd.cases import xdomea
from oegd.cases.documents import DocumentUnavailable, document_bytes
from oegd.cases.models import Case, CaseEntry, Document, Task
from oegd.core import audit

ExportRefused = xdomea.ExportRefused


def export_case(case: Case) -> xdomea.ExportCase:
    """The case file as the xdomea module takes it. Refuses (``ExportRefused``) an open case and a
    document whose stored file is missing or damaged."""
    if case.status != Case.Status.CLOSED or case.closed_at is None:
        raise ExportRefused(
            _("The case %(reference)s is still open; only closed case files can be exported.")
            % {"reference": case.reference}
        )
    office = case.office
    type_version = case.type_version if case.type_version_id else None
    days = type_version.retention_days if type_version else None
    return xdomea.ExportCase(
        identifier=case.identifier,
        reference=case.reference,
        title=case.title,
        case_type=type_version.name if type_version else case.case_type,
        filing_code=type_version.filing_code if type_version else "",
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        retention_years=max(1, math.ceil(days / 365)) if days else None,
        office_name=office.name,
        office_code=office.rki_code or office.slug,
        office_street=office.street,
        office_postal_code=office.postal_code,
        office_place=office.place,
        documents=(*_submission_documents(case), *_case_documents(case)),
        entries=tuple(_entries(case)),
    )


def export_package(*, actor: Any, case: Case) -> tuple[str, bytes]:
    """The xdomea package (zip file name and bytes) of a closed case; the export is audited."""
    package = xdomea.build_package(export_case(case))
    with transaction.atomic():
        audit.record(actor, "case.export", case, office=case.office, subject=case.subject, purpose=case.reference)
    return package


def _case_documents(case: Case) -> list[xdomea.ExportDocument]:
    """Each document version; versions of one letter share the identifier of its first version."""
    documents = list(Document.objects.filter(case=case).select_related("created_by").order_by("created_at", "id"))
    roots: dict[int, uuid.UUID] = {}
    exported = []
    for document in documents:
        root = roots.get(document.supersedes_id) if document.supersedes_id else None
        roots[document.pk] = root or document.identifier
        try:
            content = document_bytes(document)
        except DocumentUnavailable as exc:
            raise ExportRefused(
                _("The document “%(title)s” cannot be exported: %(problem)s")
                % {"title": document.title, "problem": exc.message}
            ) from exc
        exported.append(
            xdomea.ExportDocument(
                identifier=roots[document.pk],
                title=document.title,
                filename=document.filename,
                content=content,
                media_type=document.media_type,
                created_at=document.created_at,
                sha256=document.sha256,
                version=document.version,
                author=(document.created_by.full_name or "") if document.created_by else "",
            )
        )
    return exported


def _submission_documents(case: Case) -> list[xdomea.ExportDocument]:
    """The application (Antrag) as its receipt PDF with the answers, and the files uploaded with it."""
    from oegd.forms import selectors as form_selectors
    from oegd.forms.attachments import AttachmentUnavailable, open_attachment
    from oegd.forms.models import Submission
    from oegd.forms.receipts import receipt_filename, render_receipt_pdf

    submission = Submission.objects.filter(case=case).select_related("service", "office", "form_version").first()
    if submission is None:
        return []
    # Not the status secret: the archive needs the answers, not a key to the status page.
    receipt = dataclasses.replace(
        form_selectors.receipt_for(submission), secret="", status_url=form_selectors.status_url(submission)
    )
    pdf = render_receipt_pdf(receipt)
    with override(settings.LANGUAGE_CODE):
        title = _("Application: %(service)s") % {"service": receipt.service_title}
    documents = [
        xdomea.ExportDocument(
            identifier=uuid.uuid5(case.identifier, f"submission:{submission.reference}"),
            title=title,
            filename=receipt_filename(submission.reference),
            content=pdf,
            media_type="application/pdf",
            created_at=submission.submitted_at,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
    ]
    for attachment in submission.attachments.order_by("uploaded_at", "id"):
        try:
            content = open_attachment(attachment)
        except AttachmentUnavailable as exc:
            raise ExportRefused(
                _("The file “%(title)s” cannot be exported: %(problem)s")
                % {"title": attachment.filename, "problem": exc.message}
            ) from exc
        documents.append(
            xdomea.ExportDocument(
                identifier=attachment.public_id,
                title=attachment.filename,
                filename=attachment.filename,
                content=content,
                media_type=attachment.content_type,
                created_at=attachment.uploaded_at,
                sha256=attachment.sha256,
            )
        )
    return documents


# Progress entry codes as the archive reads them (German, the language of the file).
_ENTRY_TEXTS = {
    "case.opened": "Vorgang eingegangen",
    "case.closed": "Vorgang abgeschlossen",
    "case.updated": "Vorgang geändert",
    "case.related": "Verknüpfung mit Vorgang",
    "process.started": "Prozess gestartet",
    "process.completed": "Prozess beendet",
    "task.created": "Aufgabe angelegt",
    "task.completed": "Aufgabe erledigt",
    "task.assigned": "Aufgabe zugewiesen",
    "task.waiting": "Aufgabe auf Wiedervorlage",
    "task.withdrawn": "Aufgabe zurückgezogen",
    "milestone": "Bearbeitungsstand",
    "document.created": "Dokument erstellt",
    "note.added": "Aktenvermerk angelegt",
    "entry.manual": "Verlaufseintrag",
    "checklist": "Checkliste",
    "legal_hold": "Aufbewahrung (Rechtsstreit)",
}


def _entries(case: Case) -> list[xdomea.ExportEntry]:
    task_names = dict(Task.objects.filter(case=case).values_list("element_id", "name"))
    entries = []
    for entry in CaseEntry.objects.filter(case=case).order_by("at", "id"):
        code, _sep, argument = entry.code.partition(":")
        label = _ENTRY_TEXTS.get(code, code or entry.get_kind_display())
        if code.startswith("task.") and argument:
            argument = task_names.get(argument, argument)
        text = ": ".join(part for part in (label, argument, entry.text) if part)
        entries.append(xdomea.ExportEntry(at=entry.at, actor=entry.actor_label, text=text))
    return entries
