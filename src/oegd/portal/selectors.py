"""Reads of the citizen's own area: documents, the access log, document verification."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from oegd.cases.models import Document
from oegd.core import audit
from oegd.core.models import AuditEvent, User

ACCESS_LOG_PAGE_SIZE = 50


def documents_of_citizen(user: User) -> QuerySet[Document]:
    """Letters and certificates the offices released to the person (cases about them), newest first."""
    return (
        Document.objects.filter(citizen_visible=True, case__subject=user)
        .select_related("case", "case__office")
        .order_by("-created_at", "-id")
    )


def get_document_of_citizen(*, user: User, identifier: str) -> Document:
    import uuid

    try:
        wanted = uuid.UUID(str(identifier))
    except ValueError:
        raise Http404 from None
    return get_object_or_404(documents_of_citizen(user), identifier=wanted)


def access_log_of_citizen(user: User) -> QuerySet[AuditEvent]:
    """Who accessed the person's data (Art. 15 GDPR), newest first; their own actions left out."""
    return AuditEvent.objects.filter(subject=user).exclude(actor=user).order_by("-id")


def normalise_verification_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:20]


def verify_document(code: str) -> Document:
    """The document printed with ``code`` (public verification page); 404 for any unknown code."""
    wanted = normalise_verification_code(code)
    if len(wanted) != 16:
        raise Http404
    document = get_object_or_404(Document.objects.select_related("case__office"), verification_code=wanted)
    audit.record(None, "document.verify", document, office=document.case.office)
    return document
