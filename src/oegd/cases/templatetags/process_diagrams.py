"""Template helpers of the process diagrams and the process library link in the staff navigation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils.translation import gettext as _

from oegd.cases.diagrams import DiagramPosition, position_of
from oegd.core.access import has_permission

register = template.Library()


@register.simple_tag
def diagram_position(case: Any = None, process: Any = None) -> DiagramPosition | None:
    """The position of a case's process (``process`` if given, else the case's own), or None."""
    if not process and case:
        try:
            process = case.process
        except ObjectDoesNotExist:
            return None
    if not process or not getattr(process, "definition_id", None):
        return None
    return position_of(process)


@register.filter
def may_manage_processes(request: HttpRequest) -> bool:
    """Office or state administrators see the process library in the navigation."""
    user = getattr(request, "user", None)
    office = getattr(request, "office", None)
    if user is None or office is None:
        return False
    return has_permission(user, office, "office.manage") or has_permission(user, office, "state.manage")


@register.filter
def duration_text(value: timedelta | None) -> str:
    """A cycle time as people read it: "3 d 4 h", "2 h 5 min", "12 min"."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}
