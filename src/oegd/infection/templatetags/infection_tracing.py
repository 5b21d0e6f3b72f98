"""The contact tracing panel of the infection case page (contacts, measures, outbreaks)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("infection/tracing/_case_panel_body.html", takes_context=True)
def tracing_panel(context: template.Context, infection_case: Any) -> dict[str, Any]:
    """Render the panel for ``infection_case`` with what the tracing selectors read for it."""
    from oegd.infection.tracing_views import panel_context

    request = context["request"]
    panel = panel_context(request, infection_case)
    panel["request"] = request
    panel["csrf_token"] = context.get("csrf_token")
    return panel
