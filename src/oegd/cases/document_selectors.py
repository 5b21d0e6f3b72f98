"""Reads of case documents and letter templates, scoped to the acting staff member's office."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from oegd.cases.models import Case, Document, DocumentTemplate
from oegd.core import audit
from oegd.core.models import Office, User


def documents_of_case(case: Case) -> list[Document]:
    """Every document of a case, oldest first, each with whom it was made by."""
    return list(Document.objects.filter(case=case).select_related("created_by").order_by("created_at", "id"))


def get_document_for_user(*, user: User, office: Office, identifier: str) -> Document:
    """A document of a case of the active office; 404 for anything else. The read is audited."""
    try:
        wanted = uuid.UUID(str(identifier))
    except ValueError as exc:
        raise Http404 from exc
    document = get_object_or_404(
        Document.objects.select_related("case", "case__office", "case__subject"), identifier=wanted, case__office=office
    )
    audit.record(
        user, "document.read", document, office=office, subject=document.case.subject, purpose=document.case.reference
    )
    return document


def templates_visible_to(office: Office) -> QuerySet[DocumentTemplate]:
    """Every version of the state's templates and of the office's own."""
    return DocumentTemplate.objects.filter(Q(office=office) | Q(office__isnull=True))


def current_templates(office: Office) -> list[DocumentTemplate]:
    """The newest version of each template (key, language) the office sees: its own and the state's."""
    newest: dict[tuple[str, int | None, str], DocumentTemplate] = {}
    for template in templates_visible_to(office).select_related("created_by").order_by("key", "language", "-version"):
        newest.setdefault((template.key, template.office_id, template.language), template)
    return sorted(newest.values(), key=lambda t: (t.key, t.office_id is None, t.language))


def letter_choices(office: Office) -> list[tuple[str, str]]:
    """(key, name) of the letter templates staff can generate on a case, the office's name first."""
    names: dict[str, str] = {}
    for template in current_templates(office):
        if template.key not in names or (template.office_id is not None and template.language == "de"):
            names[template.key] = template.name
    return sorted(names.items(), key=lambda pair: pair[1].lower())


def get_template_for_admin(*, office: Office, template_id: int) -> DocumentTemplate:
    """A template version the office may see (its own or the state's); 404 otherwise."""
    return get_object_or_404(templates_visible_to(office).select_related("created_by"), pk=template_id)


def template_versions(template: DocumentTemplate) -> list[DocumentTemplate]:
    """All versions of the same template (key, office, language), newest first."""
    return list(
        DocumentTemplate.objects.filter(key=template.key, office=template.office_id, language=template.language)
        .select_related("created_by")
        .order_by("-version")
    )
