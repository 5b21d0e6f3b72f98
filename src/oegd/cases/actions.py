"""Service-task actions a process may call (registry), e.g. ``generate_letter`` or ``set_milestone``.

A BPMN service task names one of these; uploads naming anything else are refused. Each action
runs inside the transaction that advances the process, so a failing action leaves nothing
half-done. Actions return variables that the engine merges into the process data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from oegd.core.services import DomainError


@dataclass(frozen=True)
class ActionContext:
    case: Any  # cases.models.Case
    actor: Any


Action = Callable[[ActionContext, Mapping[str, Any]], Mapping[str, Any] | None]
ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    def register(function: Action) -> Action:
        ACTIONS[name] = function
        return function

    return register


def known_actions() -> frozenset[str]:
    return frozenset(ACTIONS)


def perform(context: ActionContext, name: str, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if name not in ACTIONS:
        raise DomainError(_("The process calls an unknown action: %(name)s.") % {"name": name})
    return ACTIONS[name](context, params)


def _param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if not value:
        raise DomainError(_("The action needs the parameter %(name)s.") % {"name": name})
    return str(value)


@action("set_milestone")
def set_milestone(context: ActionContext, params: Mapping[str, Any]) -> None:
    """Record a milestone the citizen sees (parameter ``code``)."""
    from oegd.cases.services import record_milestone

    record_milestone(actor=context.actor, case=context.case, code=_param(params, "code"))


@action("generate_letter")
def generate_letter(context: ActionContext, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Render a letter template to PDF and file it on the case (parameters ``template``, ``title``)."""
    from oegd.cases.documents import generate_letter as generate

    document = generate(
        actor=context.actor,
        case=context.case,
        template_key=_param(params, "template"),
        title=str(params.get("title") or ""),
        citizen_visible=bool(params.get("citizen_visible", True)),
    )
    return {"last_letter": str(document.identifier)}


@action("notify_citizen")
def notify_citizen(context: ActionContext, params: Mapping[str, Any]) -> None:
    """Tell the citizen by e-mail that their request has news (never what the news is)."""
    from oegd.cases.notifications import send_case_news

    send_case_news(context.case)


@action("invite_to_appointment")
def invite_to_appointment(context: ActionContext, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Invite the case's citizen to book an appointment of the office (parameter ``type``: its slug)."""
    from oegd.cases.notifications import invite_citizen_to_appointment

    invite_citizen_to_appointment(actor=context.actor, case=context.case, type_slug=_param(params, "type"))
    return {"invited": True}


@action("close_case")
def close_case(context: ActionContext, params: Mapping[str, Any]) -> None:
    """Close the case (Abschluss) with the citizen's "completed" milestone."""
    from oegd.cases.services import close_case as close

    close(actor=context.actor, case=context.case)
