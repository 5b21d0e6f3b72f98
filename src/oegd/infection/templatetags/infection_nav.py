"""Template helpers of the infection protection pages and their staff navigation entry."""

from __future__ import annotations

from django import template
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from oegd.core.access import has_permission
from oegd.infection.catalogue import disease_label as catalogue_label

register = template.Library()


@register.filter
def may_view_infection(request: HttpRequest) -> bool:
    """Staff holding ``infection.view`` in the active office see "Infection protection"."""
    user = getattr(request, "user", None)
    office = getattr(request, "office", None)
    if user is None or office is None:
        return False
    return has_permission(user, office, "infection.view")


@register.filter
def disease_label(key: str) -> str:
    """The catalogue label of a disease key or DEMIS code ("cvd" → "COVID-19")."""
    return catalogue_label(key) if key else ""


_EVENT_LABELS = {
    "case.opened": _("Case opened"),
    "case.assigned": _("Case assigned"),
    "case.classified": _("Classification changed"),
    "case.updated": _("Clinical details changed"),
    "case.closed": _("Case closed"),
    "case.reopened": _("Case reopened"),
    "note.added": _("Note"),
    "notification.linked": _("Notification linked"),
    "notification.received": _("Notification received"),
    "notification.forwarded": _("Notification forwarded to another office"),
    "case.transferred": _("Transferred to the state authority"),
    "contact.added": _("Contact added"),
    "contact.updated": _("Contact changed"),
    "contact.ended": _("Observation of a contact ended"),
    "contact.became_case": _("A contact became a case"),
    "call.recorded": _("Follow-up call recorded"),
    "measure.issued": _("Order issued"),
    "measure.lifted": _("Order lifted"),
    "document.created": _("Letter written"),
    "outbreak.linked": _("Linked to an outbreak"),
    "outbreak.unlinked": _("Removed from an outbreak"),
}


@register.filter
def event_label(code: str) -> str:
    """What a timeline event code means, for people ("case.closed" → "Case closed")."""
    label = _EVENT_LABELS.get(code)
    return str(label) if label is not None else code
