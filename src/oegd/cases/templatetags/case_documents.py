"""``{% documents_panel case %}``: what the documents partial of a case page shows."""

from __future__ import annotations

from typing import Any

from django import template

from oegd.cases import document_selectors
from oegd.core.access import has_permission

register = template.Library()


@register.simple_tag(takes_context=True)
def documents_panel(context: template.Context, case: Any) -> dict[str, Any]:
    """The case's documents and letter templates, and whether the viewer may add documents; values
    the including page already passes (``documents``, ``templates``, ``can_edit``) are used as given."""
    request = context.get("request")
    documents = context.get("documents")
    if documents is None:
        documents = document_selectors.documents_of_case(case)
    templates = context.get("templates")
    if templates is None:
        templates = document_selectors.letter_choices(case.office)
    templates = [(t.key, t.name) if hasattr(t, "key") else tuple(t) for t in templates]
    can_edit = context.get("can_edit")
    if can_edit is None:
        can_edit = request is not None and has_permission(request.user, getattr(request, "office", None), "cases.edit")
    return {
        "documents": documents,
        "templates": templates,
        "can_edit": bool(can_edit),
        "can_add": bool(can_edit) and case.status == case.Status.OPEN and case.anonymised_at is None,
        "is_closed": case.status == case.Status.CLOSED,
    }


@register.filter
def may_manage_letter_templates(request: Any) -> bool:
    """Office administrators (and state administrators) see the letter templates in the navigation."""
    return has_permission(request.user, getattr(request, "office", None), "office.manage")
