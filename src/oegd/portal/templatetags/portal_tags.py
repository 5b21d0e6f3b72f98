"""The banner that says for whom a parent is acting, on every citizen page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("portal/partials/acting_banner.html", takes_context=True)
def acting_banner(context: dict[str, Any]) -> dict[str, Any]:
    from oegd.portal.proxy import SESSION_ACTING_FOR, acting_for

    request = context.get("request")
    if request is None or not request.session.get(SESSION_ACTING_FOR):
        return {"acting": None}
    found = acting_for(request)
    if found is None:
        return {"acting": None}
    dependant, _access = found
    return {"acting": dependant, "age": dependant.age_on(timezone.localdate())}
