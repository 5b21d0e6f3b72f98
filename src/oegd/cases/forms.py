"""Input of the staff case pages: worklist filters, case details, on-hold dates, task forms.

Forms only read and type the input; the rules (a deadline in the future, a person of the office)
live in the services, which raise a ``DomainError`` with the message a person reads.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oegd.cases import selectors
from oegd.cases.models import Case
from oegd.core.models import Office
from oegd.forms.questionnaire import Item, QuestionnaireDefinition, Value, value_of
from oegd.forms.rendering import Page, answers_from_post, merge_page
from oegd.forms.validation import ValidationIssue, validate_response

UNASSIGNED = "none"


def start_of_day(day: date) -> datetime:
    """00:00 of ``day`` in the office's time zone (the project's TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of_day(day: date) -> datetime:
    """23:59 of ``day`` in the project's time zone: a deadline "on the 5th" lasts all that day."""
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


class WorklistFilterForm(forms.Form):
    """The GET parameters of a worklist; invalid values are simply not applied."""

    view = forms.ChoiceField(choices=[(view, view) for view in selectors.WORKLIST_VIEWS], required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    case_type = forms.CharField(label=_("Case type"), max_length=100, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=[("", "")] + list(Case.Priority.choices), coerce=int, required=False
    )
    assignee = forms.CharField(label=_("Assignee"), required=False)
    due_by = forms.DateField(label=_("Due by"), required=False)
    sort = forms.ChoiceField(choices=[(sort, sort) for sort in selectors.WORKLIST_SORTS], required=False)

    def __init__(self, *args, office: Office, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.teams_of_office(office)
        self.office = office

    def clean_assignee(self) -> str:
        value = self.cleaned_data["assignee"]
        if value in ("", UNASSIGNED):
            return value
        if not value.isdigit() or not selectors.staff_of_office(self.office).filter(pk=int(value)).exists():
            raise forms.ValidationError(_("Unknown person."))
        return value

    def filters(self) -> selectors.WorklistFilters:
        """The filters from the valid fields (call ``is_valid()`` first)."""
        data = self.cleaned_data
        assignee = data.get("assignee") or ""
        due_by = data.get("due_by")
        team = data.get("team")
        return selectors.WorklistFilters(
            case_type=data.get("case_type") or "",
            team_id=team.pk if team else None,
            priority=data.get("priority") if isinstance(data.get("priority"), int) else None,
            assignee_id=int(assignee) if assignee.isdigit() else None,
            unassigned=assignee == UNASSIGNED,
            due_before=start_of_day(due_by + timedelta(days=1)) if due_by else None,
            query=data.get("q") or "",
        )


class CaseUpdateForm(forms.Form):
    """Priority, team, assignee and deadline of a case; empty fields leave the value as it is."""

    priority = forms.TypedChoiceField(label=_("Priority"), choices=Case.Priority.choices, coerce=int, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False)
    due_date = forms.DateField(label=_("Deadline"), required=False)
    clear_due = forms.BooleanField(label=_("Remove the deadline"), required=False)

    def __init__(self, *args, office: Office, **kwargs) -> None:
        kwargs.setdefault("prefix", "case")
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.teams_of_office(office)
        self.fields["assignee"].queryset = selectors.staff_of_office(office)
        self.fields["team"].error_messages["invalid_choice"] = _("Please choose a team of this office.")
        self.fields["assignee"].error_messages["invalid_choice"] = _("Please choose a person of this office.")
        self.fields["due_date"].error_messages["invalid"] = _("Please enter a valid date.")


class HoldForm(forms.Form):
    """Put a task on hold until a date (Wiedervorlage)."""

    until = forms.DateField(
        label=_("On hold until"),
        error_messages={"required": _("Please enter the date."), "invalid": _("Please enter a valid date.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "hold")
        super().__init__(*args, **kwargs)


# --- task questionnaires -------------------------------------------------------------------------


def task_page(definition: QuestionnaireDefinition) -> Page:
    """A task's whole form on one page (task forms are short)."""
    return Page(0, list(definition.items))


def read_task_answers(definition: QuestionnaireDefinition, data: QueryDict) -> tuple[list[dict], list[ValidationIssue]]:
    """The posted task form as QuestionnaireResponse items, and every problem with them."""
    page = task_page(definition)
    page_items, issues = answers_from_post(definition=definition, page=page, data=data)
    items = merge_page(definition, [], page, page_items)
    # A group left empty would make its required questions optional (FHIR): on a task's single
    # page every question is in front of the person, so validate as if each group were there.
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "item": _with_groups(definition.items, items),
    }
    return items, [*issues, *validate_response(definition, response)]


def _with_groups(defined: list[Item], entries: list[dict]) -> list[dict]:
    """``entries`` with an empty entry for every non-repeating group that has none (recursively)."""
    completed = []
    for item in defined:
        found = [entry for entry in entries if entry.get("linkId") == item.link_id]
        if item.type == "group" and not item.repeats:
            found = found or [{"linkId": item.link_id, "item": []}]
            found = [{**entry, "item": _with_groups(item.children, entry.get("item") or [])} for entry in found]
        completed += found
    return completed


FREE_TEXT = {"string", "text"}


def process_variables(definition: QuestionnaireDefinition, items: list[dict]) -> dict[str, Any]:
    """The answers by linkId as the plain values process conditions compare: boolean → bool,
    integer → int, decimal → float, choice → code, date → ISO string; a repeating question gives
    a list. Free text and attachments stay out of the process data: the workflow state is not
    encrypted, the task's answers are (letters read them from there)."""
    variables: dict[str, Any] = {}

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            link_id = str(entry.get("linkId", ""))
            item = definition.by_link_id.get(link_id)
            values = []
            for answer in entry.get("answer") or []:
                value = _plain(value_of(answer, "value"))
                if value is not None:
                    values.append(value)
                walk(answer.get("item") or [])
            if item is not None and item.is_question and values and item.type not in FREE_TEXT:
                variables[link_id] = values if item.repeats else values[0]
            walk(entry.get("item") or [])

    walk(items)
    return variables


def _plain(value: Value | None) -> Any:
    if value is None:
        return None
    raw = value.value
    match value.kind:
        case "Boolean" | "Integer" | "String" | "Uri" | "Date":
            return raw
        case "Decimal":
            return float(raw)
        case "DateTime" | "Time":
            return raw if isinstance(raw, str) else raw.isoformat()
        case "Coding":
            return raw.code or raw.display
        case "Quantity":
            return float(raw.value)
    return None
