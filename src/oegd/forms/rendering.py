"""Questionnaire pages as accessible HTML (KERN UX), and posted pages back into response items.

A form is shown page by page (``pages_of``): every top-level group is a page, consecutive top-level
questions outside groups share one. ``render_page`` draws the fields of one page filled with the
answers so far; ``answers_from_post`` reads the posted page back into QuestionnaireResponse items;
``merge_page`` puts them into the whole response. Everything works without JavaScript;
``static/forms/conditions.js`` only shows and hides items with enableWhen while the person types.

Names of the HTML controls (what ``answers_from_post`` reads):

* ``q:<linkId>``: the control of a question (text-like input, textarea, select, radio group,
  checkbox group of a repeating choice, file input). Choice options post their index in
  ``answerOption`` ("0", "1", ...), never their code; booleans post "true"/"false".
* ``q:<linkId>:<n>``: the n-th entry (0, 1, ...) of a repeating simple question.
* ``q:<linkId>:other``: the free text of an open-choice (with the option value "other" for
  the radio/select entry "Other").
* ``q:<linkId>:value`` and ``q:<linkId>:unit`` (unit = index in the unit options): a quantity.
* ``g:<linkId>:<n>:`` is put in front of the names of everything inside the n-th entry of a
  repeating group (nested repeating groups stack: ``g:a:0:g:b:1:q:c``).
* ``add`` = ``<linkId>`` ("Add another") and ``remove`` = the name of an entry (``q:x:1`` or
  ``g:a:0:g:b:1``) are submit buttons: the view shows the same page again; ``answers_from_post``
  leaves the removed entry out.
* ``remove-attachment`` = public id of an uploaded file the person wants gone (the view acts).
* File inputs are always named ``q:<linkId>``, also inside repeating groups: files belong to the
  linkId (``uploaded``/``attachments`` are keyed by it) and go to its first entry.

Known limits: a repeating quantity or boolean takes one answer on the page; items below a
question (rare) are drawn after it, not inside it, so conditions.js cannot hide them together
with it (the server still prunes them).

Element ids are ``q-<slug>`` with an injective slug of the linkId (ASCII letters, digits, ".",
"_" and "-" kept, any other character written as ``~<hex>~``); like the names, their parts are
joined with ":", which no slug contains, so ids stay unique whatever the linkIds. Inside the n-th
entry of a repeating group they are prefixed with ``g-<slug>:<n>:``, except the first occurrence
that shows an error, which keeps the plain id so that ``error_summary`` can link to it.
Sub-elements: ``<id>:<i>`` (option i or entry i), ``<id>:hint``, ``<id>:error``, ``<id>:other``,
``<id>:value``, ``<id>:unit``, ``<id>:remove:<k>``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext, override

from oegd.forms.questionnaire import (
    BadValue,
    Coding,
    EnableWhen,
    Item,
    Quantity,
    QuestionnaireDefinition,
    Value,
    value_of,
)
from oegd.forms.summary import format_answer, format_value
from oegd.forms.validation import (
    NOT_AN_OPTION,
    REQUIRED,
    WRONG_TYPE,
    ValidationIssue,
    compare,
    enabled_link_ids,
    prune_disabled,
)

TEMPLATES = "forms/items/"
# More options than this are offered as a drop-down list instead of radio buttons.
MAX_RADIO_OPTIONS = 7
AUTOCOMPLETE = {
    "full_name": "name",
    "email": "email",
    "postal_code": "postal-code",
    "place": "address-level2",
    "institution_name": "organization",
    "institution_address": "street-address",
}
INPUT_TYPES = {"date": "date", "dateTime": "datetime-local", "time": "time", "url": "url"}
MIME_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/heic": "HEIC",
    "image/tiff": "TIFF",
    "text/plain": "TXT",
}
OTHER = "other"
_INT32 = range(-(2**31), 2**31)


# --- pages --------------------------------------------------------------------------------------


@dataclass
class Page:
    """One page of a form: a top-level group, or a run of top-level questions outside groups."""

    index: int
    items: list[Item]

    @property
    def group(self) -> Item | None:
        """The top-level group this page shows, if it is a group page."""
        if len(self.items) == 1 and self.items[0].type == "group":
            return self.items[0]
        return None

    def title_in(self, lang: str) -> str:
        """The page heading: the group's text, else a generic "Questions"."""
        if self.group is not None and self.group.text_in(lang):
            return self.group.text_in(lang) or ""
        with override(lang):
            return gettext("Questions")

    def link_ids(self) -> set[str]:
        """linkIds of every item on the page, nested ones included."""
        return {node.link_id for item in self.items for node in item.walk()}


def pages_of(definition: QuestionnaireDefinition) -> list[Page]:
    """The pages of a form in order; always at least one (possibly empty) page."""
    pages: list[Page] = []
    loose: list[Item] = []
    for item in definition.items:
        if item.type == "group":
            if loose:
                pages.append(Page(len(pages), loose))
                loose = []
            pages.append(Page(len(pages), [item]))
        else:
            loose.append(item)
    if loose or not pages:
        pages.append(Page(len(pages), loose))
    return pages


def progress(pages: list[Page], current_index: int) -> tuple[int, int]:
    """(step, total) for "Step 2 of 5"; steps count from 1."""
    return current_index + 1, len(pages)


def page_is_enabled(definition: QuestionnaireDefinition, page: Page, items: list[dict]) -> bool:
    """Whether anything on the page applies with the answers so far (a view skips pages that do not)."""
    enabled = enabled_link_ids(definition, items)
    return any(item.link_id in enabled for item in page.items)


def page_is_answered(page: Page, items: list[dict]) -> bool:
    """Whether the response holds an answer to anything on this page."""
    on_page = {item.link_id for item in page.items}
    return any(_has_content(entry) for entry in items if entry.get("linkId") in on_page)


def page_needs_multipart(page: Page) -> bool:
    """Whether the page has a file input (its <form> then needs enctype="multipart/form-data")."""
    return any(node.type == "attachment" for item in page.items for node in item.walk())


def page_issues(
    definition: QuestionnaireDefinition, page: Page, issues: Iterable[ValidationIssue]
) -> list[ValidationIssue]:
    """The issues about items on this page (anywhere in its subtree)."""
    on_page = page.link_ids()
    return [issue for issue in issues if issue.link_id in on_page]


# --- issues of posted input ---------------------------------------------------------------------


@dataclass(frozen=True)
class InputIssue(ValidationIssue):
    """Posted text that does not fit its item's type; it keeps the text so the page can show it again."""

    field_name: str = ""
    raw_value: str = ""


class _Unfit(ValueError):
    """Raised by the parsers below; carries the issue code and the translated message."""

    def __init__(self, message: str, code: str = WRONG_TYPE):
        super().__init__(message)
        self.code = code
        self.message = message


def error_summary(
    definition: QuestionnaireDefinition, issues: Iterable[ValidationIssue], language: str
) -> list[tuple[str, str, str]]:
    """(anchor id, question label, message) per issue for the error summary box, duplicates dropped."""
    issues = list(issues)
    typed_wrong = {issue.link_id for issue in issues if isinstance(issue, InputIssue)}
    rows: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for issue in issues:
        if issue.code == REQUIRED and issue.link_id in typed_wrong:
            continue  # "please enter a number" already says it; "required" on top would confuse
        if (issue.link_id, issue.message) in seen:
            continue
        seen.add((issue.link_id, issue.message))
        item = definition.by_link_id.get(issue.link_id)
        label = (item.text_in(language) if item else None) or issue.link_id
        rows.append((element_id(issue.link_id), label, issue.message))
    return rows


def element_id(link_id: str) -> str:
    """The id of the element that shows the item (and its error) outside repeating groups."""
    return f"q-{_slug(link_id)}"


def _slug(link_id: str) -> str:
    # Injective: "~" never stays, and ":" (the separator of the parts of an id) never appears.
    return "".join(
        char if char.isascii() and (char.isalnum() or char in "._-") else f"~{ord(char):x}~" for char in link_id
    )


# --- rendering ----------------------------------------------------------------------------------


@dataclass
class _Control:
    """One input element (an entry of a repeating question has one each)."""

    name: str
    value: str = ""
    label: str = ""  # entries of repeating questions: "Entry 2"
    required: bool = False
    invalid: bool = False
    removable: bool = False
    id: str = ""


@dataclass
class _Option:
    value: str
    label: str
    checked: bool = False
    id: str = ""


@dataclass
class _Instance:
    """One entry of a repeating group."""

    name: str  # "g:<linkId>:<n>" with the outer prefix; the value of its remove button
    legend: str
    id_stem: str
    children: list[_Node]
    removable: bool
    id: str = ""


@dataclass
class _Node:
    """One occurrence of an item on the page, with everything its template needs."""

    template: str
    item: Item
    label: str
    name: str = ""
    id_prefix: str = ""
    in_instance: bool = False
    hidden: bool = False
    disabled: bool = False
    required: bool = False
    optional: bool = False
    empty: bool = True
    hints: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    controls: list[_Control] = field(default_factory=list)
    control_template: str = ""
    input_type: str = "text"
    inputmode: str = ""
    autocomplete: str = ""
    options: list[_Option] = field(default_factory=list)
    multiple: bool = False
    horizontal: bool = False
    other: _Control | None = None
    unit: _Control | None = None
    unit_options: list[_Option] = field(default_factory=list)
    unit_text: str = ""
    accept: str = ""
    attachments: list[dict] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # read-only items: the answers as text
    children: list[_Node] = field(default_factory=list)
    instances: list[_Instance] = field(default_factory=list)
    enable_when: str = ""  # JSON for conditions.js
    plain_id: bool = False  # inside a repeating group, but the first occurrence showing an error
    id: str = ""

    @property
    def hint_id(self) -> str:
        return f"{self.id}:hint"

    @property
    def error_id(self) -> str:
        return f"{self.id}:error"

    @property
    def describedby(self) -> str:
        ids = ([self.hint_id] if self.hints else []) + ([self.error_id] if self.errors else [])
        return " ".join(ids)

    @property
    def names(self) -> set[str]:
        found = {control.name for control in self.controls}
        found |= {part.name for part in (self.other, self.unit) if part is not None}
        return found | {self.name}


def render_page(
    *,
    definition: QuestionnaireDefinition,
    page: Page,
    items: list[dict],
    issues: list[ValidationIssue],
    language: str,
    attachments: dict[str, list[dict]] | None = None,
) -> SafeString:
    """The fields of ``page`` (no <form>, no navigation buttons) filled with ``items``, errors beside them."""
    with override(language):
        builder = _PageBuilder(definition, items, language, attachments or {})
        nodes = builder.level(page.items, items, prefix="", id_prefix="", in_instance=False, top=True)
        _place_issues(builder.occurrences, page_issues(definition, page, issues))
        for node in nodes:
            _assign_ids(node)
        return render_to_string(TEMPLATES + "page.html", {"nodes": nodes})


class _PageBuilder:
    def __init__(
        self,
        definition: QuestionnaireDefinition,
        items: list[dict],
        language: str,
        attachments: dict[str, list[dict]],
    ):
        self.definition = definition
        self.language = language
        self.attachments = attachments
        self.enabled = enabled_link_ids(definition, items)
        self.answers = _answers_by_link_id(items)
        self.occurrences: dict[str, list[_Node]] = defaultdict(list)

    def level(
        self,
        items: list[Item],
        entries: list[dict],
        *,
        prefix: str,
        id_prefix: str,
        in_instance: bool,
        top: bool = False,
        required_context: bool = True,
    ) -> list[_Node]:
        nodes: list[_Node] = []
        for item in items:
            mine = [entry for entry in entries if entry.get("linkId") == item.link_id]
            context: dict[str, Any] = {"prefix": prefix, "id_prefix": id_prefix, "in_instance": in_instance}
            if item.type == "group":
                node = self.group(item, mine, top=top, required_context=required_context, **context)
            else:
                node = self.question(item, mine, required_context=required_context, **context)
            nodes.append(node)
            if item.type != "group" and item.children:
                # Items below a question follow it (stored under the item or under its answers).
                below = [child for entry in mine for child in entry.get("item") or []]
                below += [
                    child
                    for entry in mine
                    for answer in entry.get("answer") or []
                    for child in answer.get("item") or []
                ]
                nodes.extend(self.level(item.children, below, required_context=required_context, **context))
        return nodes

    def base(self, item: Item, template: str, *, prefix: str, id_prefix: str, in_instance: bool) -> _Node:
        node = _Node(
            template=TEMPLATES + template,
            item=item,
            label=item.text_in(self.language) or item.link_id,
            name=f"{prefix}q:{item.link_id}",
            id_prefix=id_prefix,
            in_instance=in_instance,
            # Only items with their own conditions get `hidden` (conditions.js can show them again);
            # items below them are hidden with them, and every disabled item's inputs are disabled.
            hidden=bool(item.enable_when) and item.link_id not in self.enabled,
            disabled=item.link_id not in self.enabled,
            enable_when=self.conditions_json(item),
        )
        self.occurrences[item.link_id].append(node)
        return node

    # --- groups -----------------------------------------------------------------------------

    def group(self, item: Item, entries: list[dict], *, top: bool, required_context: bool, **context: Any) -> _Node:
        inner_required = required_context and item.required
        if item.repeats:
            node = self.base(item, "group_repeating.html", **context)
            kept = [entry for entry in entries if _has_content(entry)]
            prefix, id_prefix = context["prefix"], context["id_prefix"]
            slug = _slug(item.link_id)
            for n, entry in enumerate([*kept, {}]):
                extra = n == len(kept)
                stem = f"{id_prefix}g-{slug}:{n}"
                node.instances.append(
                    _Instance(
                        name=f"{prefix}g:{item.link_id}:{n}",
                        legend=gettext("%(label)s, entry %(number)s") % {"label": node.label, "number": n + 1},
                        id_stem=stem,
                        removable=not extra,
                        children=self.level(
                            item.children,
                            entry.get("item") or [],
                            prefix=f"{prefix}g:{item.link_id}:{n}:",
                            id_prefix=f"{stem}:",
                            in_instance=True,
                            # A blank extra entry may stay blank; the first one of a required group may not.
                            # An entry that exists must be complete; the blank extra one may stay blank
                            # unless it is the first entry of a required group.
                            required_context=(inner_required and n == 0) if extra else required_context,
                        ),
                    )
                )
            node.empty = not kept
            return node
        bare = top or not (item.text_in(self.language) or "")
        node = self.base(item, "group_bare.html" if bare else "group.html", **context)
        node.empty = not any(_has_content(entry) for entry in entries)
        children_entries = [child for entry in entries for child in entry.get("item") or []]
        node.children = self.level(item.children, children_entries, required_context=inner_required, **context)
        return node

    # --- questions --------------------------------------------------------------------------

    def question(self, item: Item, entries: list[dict], *, required_context: bool, **context: Any) -> _Node:
        answers = [answer for entry in entries for answer in entry.get("answer") or []]
        values = [value for answer in answers if (value := _value_or_none(answer)) is not None]
        if item.type == "display":
            return self.base(item, "display.html", **context)
        if item.read_only:
            node = self.base(item, "read_only.html", **context)
            answers = answers or [_answer_of_value(value) for value in item.initial]
            node.values = [text for answer in answers if (text := format_answer(item, answer, self.language))]
            node.empty = not node.values
            return node
        template, build = self.kind(item)
        node = self.base(item, template, **context)
        node.required = item.required and required_context
        node.optional = not item.required
        node.empty = not values
        node.hints = self.hints(item)
        build(node, values)
        return node

    def kind(self, item: Item) -> tuple[str, Callable[[_Node, list[Value]], None]]:
        if item.type == "boolean":
            return "options.html", self.boolean
        if item.type in ("choice", "open-choice") and not item.answer_options:
            # answerValueSet is not expanded: without options the person types the answer.
            return ("repeating.html", self.repeating) if item.repeats else ("field.html", self.single)
        if item.type in ("choice", "open-choice"):
            if item.repeats:
                return "options.html", self.choice
            drop_down = item.item_control == "drop-down" or (
                len(item.answer_options) > MAX_RADIO_OPTIONS and item.item_control != "radio-button"
            )
            return ("select.html" if drop_down else "options.html"), self.choice
        if item.type == "quantity":
            return "quantity.html", self.quantity
        if item.type == "attachment":
            return "attachment.html", self.attachment
        if item.repeats:
            return "repeating.html", self.repeating
        return "field.html", self.single

    def boolean(self, node: _Node, values: list[Value]) -> None:
        given = {value.value for value in values if value.kind == "Boolean"}
        node.options = [
            _Option("true", gettext("Yes"), True in given),
            _Option("false", gettext("No"), False in given),
        ]
        node.horizontal = True

    def choice(self, node: _Node, values: list[Value]) -> None:
        item = node.item
        node.multiple = item.repeats
        matched: set[int] = set()
        for index, option in enumerate(item.answer_options):
            if any(compare(value, "=", option) for value in values):
                matched.add(index)
        node.options = [
            _Option(str(index), item.option_text_in(index, self.language), index in matched)
            for index in range(len(item.answer_options))
        ]
        if item.type == "open-choice":
            free = [
                value.value
                for value in values
                if value.kind == "String" and not any(compare(value, "=", option) for option in item.answer_options)
            ]
            node.other = _Control(name=f"{node.name}:{OTHER}", value=free[0] if free else "")
            if not item.repeats:
                node.options.append(_Option(OTHER, gettext("Other"), bool(free) and not matched))

    def quantity(self, node: _Node, values: list[Value]) -> None:
        item = node.item
        quantity = next((value.value for value in values if value.kind == "Quantity"), None)
        node.controls = [
            _Control(
                name=f"{node.name}:value",
                value=self.number_text(quantity.value) if quantity else "",
                required=node.required,
            )
        ]
        node.inputmode = "decimal"
        if len(item.unit_options) == 1:
            unit = item.unit_options[0]
            node.unit_text = unit.display or unit.code or ""
        elif item.unit_options:
            node.unit = _Control(name=f"{node.name}:unit", required=node.required)
            node.unit_options = [
                _Option(
                    str(index),
                    unit.display or unit.code or "",
                    quantity is not None and quantity.same_unit(_quantity_of(unit, quantity.value)),
                )
                for index, unit in enumerate(item.unit_options)
            ]

    def attachment(self, node: _Node, values: list[Value]) -> None:
        item = node.item
        node.name = f"q:{item.link_id}"  # the view reads request.FILES by this name
        node.attachments = list(self.attachments.get(item.link_id, []))
        node.multiple = item.repeats
        node.accept = ",".join(item.mime_types)
        node.empty = not values and not node.attachments
        node.required = node.required and not node.attachments
        node.controls = [_Control(name=node.name, required=node.required)]

    def single(self, node: _Node, values: list[Value]) -> None:
        self.text_like(node)
        text = self.value_text(values[0]) if values else ""
        node.controls = [_Control(name=node.name, value=text, required=node.required)]

    def repeating(self, node: _Node, values: list[Value]) -> None:
        self.text_like(node)
        texts = [self.value_text(value) for value in values] + [""]
        node.controls = [
            _Control(
                name=f"{node.name}:{n}",
                value=text,
                label=gettext("Entry %(number)s") % {"number": n + 1},
                required=node.required and n == 0,
                removable=n < len(values),
            )
            for n, text in enumerate(texts)
        ]

    def text_like(self, node: _Node) -> None:
        item = node.item
        node.control_template = TEMPLATES + ("_textarea.html" if item.type == "text" else "_input.html")
        node.input_type = INPUT_TYPES.get(item.type, "text")
        node.inputmode = {"integer": "numeric", "decimal": "decimal"}.get(item.type, "")
        if item.prefill == "email":
            node.inputmode = "email"
        node.autocomplete = AUTOCOMPLETE.get(item.prefill or "", "")

    # --- texts ------------------------------------------------------------------------------

    def hints(self, item: Item) -> list[str]:
        hints: list[str] = []
        if item.max_length is not None and item.type in ("string", "text", "url", "open-choice"):
            hints.append(gettext("At most %(count)s characters.") % {"count": item.max_length})
        low = self.limit_text(item.min_value)
        high = self.limit_text(item.max_value)
        if low and high:
            hints.append(gettext("Between %(low)s and %(high)s.") % {"low": low, "high": high})
        elif low:
            hints.append(gettext("At least %(low)s.") % {"low": low})
        elif high:
            hints.append(gettext("At most %(high)s.") % {"high": high})
        if item.type == "date":
            hints.append(gettext("For example 31.03.2024."))
        elif item.type == "dateTime":
            hints.append(gettext("For example 31.03.2024, 14:30."))
        elif item.type == "time":
            hints.append(gettext("For example 14:30."))
        elif item.type == "decimal":
            hints.append(gettext("A number, for example %(example)s.") % {"example": self.number_text(Decimal("1.5"))})
        elif item.type == "attachment":
            if item.mime_types:
                names = ", ".join(MIME_NAMES.get(mime, mime) for mime in item.mime_types)
                hints.append(gettext("Allowed file types: %(types)s.") % {"types": names})
            if item.max_size:
                hints.append(gettext("At most %(size)s per file.") % {"size": filesizeformat(item.max_size)})
        return hints

    def limit_text(self, value: Value | None) -> str:
        if value is None:
            return ""
        if value.kind == "Quantity":
            return format_value(value)
        if value.kind in ("Decimal", "Integer"):
            return self.number_text(Decimal(value.value))
        return format_value(value)

    def number_text(self, number: Decimal | int) -> str:
        text = format(Decimal(number), "f")
        return text.replace(".", get_format("DECIMAL_SEPARATOR", self.language))

    def value_text(self, value: Value) -> str:
        """A stored value as the text an input of its item shows."""
        match value.kind:
            case "Decimal":
                return self.number_text(value.value)
            case "Integer":
                return str(value.value)
            case "DateTime":
                if isinstance(value.value, str):
                    return value.value
                moment = _local(value.value)
                return moment.strftime("%Y-%m-%dT%H:%M" + (":%S" if moment.second else ""))
            case "Time":
                return value.value.strftime("%H:%M" + (":%S" if value.value.second else ""))
            case "Quantity":
                return self.number_text(value.value.value)
            case "Coding":
                return value.value.display or value.value.code or ""
            case "Attachment" | "Reference":
                return ""
        return str(value.value)

    # --- enableWhen for conditions.js -------------------------------------------------------

    def conditions_json(self, item: Item) -> str:
        if not item.enable_when:
            return ""
        conditions = [self.condition(condition) for condition in item.enable_when]
        return json.dumps({"behavior": item.enable_behavior, "conditions": conditions}, separators=(",", ":"))

    def condition(self, condition: EnableWhen) -> dict[str, Any]:
        question = self.definition.by_link_id[condition.question]
        result: dict[str, Any] = {
            "question": condition.question,
            "operator": condition.operator,
            "kind": condition.answer.kind,
            "answer": _simple(condition.answer),
            # The server's verdict, used by the script when the question is on another page.
            "met": _condition_met(self.enabled, self.answers, condition),
        }
        if question.type in ("choice", "open-choice"):
            # Options post their index; tell the script which indices meet the condition.
            operator = "=" if condition.operator == "!=" else condition.operator
            result["options"] = [
                index
                for index, option in enumerate(question.answer_options)
                if condition.operator != "exists" and compare(option, operator, condition.answer)
            ]
        return result


def _condition_met(enabled: set[str], answers: dict[str, list[Value]], condition: EnableWhen) -> bool:
    """The validator's reading of one condition (see validation.py), for questions on other pages."""
    given = answers.get(condition.question, []) if condition.question in enabled else []
    if condition.operator == "exists":
        return bool(given) == condition.answer.value
    if condition.operator == "!=":
        return bool(given) and not any(compare(value, "=", condition.answer) for value in given)
    return any(compare(value, condition.operator, condition.answer) for value in given)


def _local(moment: datetime) -> datetime:
    """A stored date-time in the office's time zone (the one ``_parse_date_time`` stores with)."""
    return timezone.localtime(moment, timezone.get_default_timezone()) if timezone.is_aware(moment) else moment


def _simple(value: Value) -> Any:
    """A condition's answer as a plain JSON value for the script."""
    match value.kind:
        case "Decimal":
            return float(value.value)
        case "Coding":
            return value.value.code
        case "Quantity":
            return float(value.value.value)
        case "DateTime":
            if isinstance(value.value, str):
                return value.value
            moment = _local(value.value)
            return moment.strftime("%Y-%m-%dT%H:%M:%S")
        case "Time":
            return value.value.strftime("%H:%M:%S")
        case "Attachment" | "Reference":
            return None
    return value.value


def _place_issues(occurrences: dict[str, list[_Node]], issues: list[ValidationIssue]) -> None:
    """Put each issue next to one occurrence of its item and give that occurrence the plain id."""
    typed_wrong = {issue.link_id for issue in issues if isinstance(issue, InputIssue)}
    for issue in issues:
        nodes = occurrences.get(issue.link_id)
        if not nodes or (issue.code == REQUIRED and issue.link_id in typed_wrong):
            continue
        if isinstance(issue, InputIssue):
            node = next((n for n in nodes if issue.field_name in n.names), nodes[0])
            _show_raw(node, issue)
        elif issue.code == REQUIRED:
            node = next((n for n in nodes if n.empty and not n.disabled), nodes[0])
        else:
            node = nodes[0]
        if issue.message not in node.errors:
            node.errors.append(issue.message)
    for nodes in occurrences.values():
        first = next((node for node in nodes if node.errors), None)
        if first is not None and first.in_instance:
            first.plain_id = True


def _show_raw(node: _Node, issue: InputIssue) -> None:
    """Show what the person typed again, marked invalid, so they can correct it."""
    for control in [*node.controls, *(part for part in (node.other,) if part is not None)]:
        if control.name == issue.field_name:
            control.value = issue.raw_value
            control.invalid = True
            return
    if node.template.endswith("repeating.html") and node.controls:
        # Entries are numbered afresh on every page view: put the text into the blank last entry.
        blank = node.controls[-1]
        blank.value, blank.invalid = issue.raw_value, True
        return
    for control in node.controls:
        control.invalid = True


def _assign_ids(node: _Node) -> None:
    plain = not node.in_instance or node.plain_id
    node.id = element_id(node.item.link_id) if plain else f"{node.id_prefix}{element_id(node.item.link_id)}"
    if node.template.endswith("repeating.html"):
        for n, control in enumerate(node.controls):
            control.id = f"{node.id}:{n}"
    else:
        for n, control in enumerate(node.controls):
            control.id = node.id if n == 0 and not node.template.endswith("quantity.html") else f"{node.id}:{n}"
    if node.template.endswith("quantity.html") and node.controls:
        node.controls[0].id = f"{node.id}:value"
    for index, option in enumerate(node.options):
        option.id = f"{node.id}:{index}"
    if node.other is not None:
        node.other.id = f"{node.id}:other"
    if node.unit is not None:
        node.unit.id = f"{node.id}:unit"
    for child in node.children:
        _assign_ids(child)
    for instance in node.instances:
        instance.id = instance.id_stem
        for child in instance.children:
            _assign_ids(child)


# --- reading a posted page ----------------------------------------------------------------------


def answers_from_post(
    *,
    definition: QuestionnaireDefinition,
    page: Page,
    data: QueryDict,
    uploaded: dict[str, list[dict]] | None = None,
) -> tuple[list[dict], list[ValidationIssue]]:
    """The response items of ``page`` built from the posted ``data``, and issues of input that does not fit.

    Empty inputs give no answer; read-only items keep their ``initial`` value (``merge_page`` keeps
    the stored one); ``uploaded`` holds the ``valueAttachment`` of files the view has stored. The
    items are not pruned here: ``merge_page`` does that with the whole response at hand.
    """
    reader = _PostReader(data, uploaded or {})
    items = reader.level(page.items, prefix="")
    return items, reader.issues


class _PostReader:
    def __init__(self, data: QueryDict, uploaded: dict[str, list[dict]]):
        self.data = data
        self.uploaded = uploaded
        self.removed = set(data.getlist("remove")) if hasattr(data, "getlist") else {data.get("remove")}
        self.issues: list[ValidationIssue] = []
        self.attachments_given: set[str] = set()

    def get(self, name: str) -> str:
        return (self.data.get(name) or "").strip()

    def getlist(self, name: str) -> list[str]:
        return [value.strip() for value in self.data.getlist(name) if value.strip()]

    def indices(self, stem: str) -> list[int]:
        """The entry numbers n posted as ``<stem>:<n>...`` (repeating questions and groups)."""
        found = set()
        for key in self.data:
            if key.startswith(stem + ":"):
                head = key[len(stem) + 1 :].split(":", 1)[0]
                if head.isascii() and head.isdigit() and len(head) <= 4:
                    found.add(int(head))
        return sorted(found)

    def level(self, items: list[Item], prefix: str) -> list[dict]:
        entries: list[dict] = []
        for item in items:
            entries.extend(self.item(item, prefix))
        return entries

    def item(self, item: Item, prefix: str) -> list[dict]:
        if item.type == "display":
            return []
        if item.type == "group":
            if item.repeats:
                stem = f"{prefix}g:{item.link_id}"
                entries = []
                for n in self.indices(stem):
                    if f"{stem}:{n}" in self.removed:
                        continue
                    children = self.level(item.children, f"{stem}:{n}:")
                    if any(_has_content(child) for child in children):
                        entries.append({"linkId": item.link_id, "item": children})
                return entries
            children = self.level(item.children, prefix)
            if not any(_has_content(child) for child in children):
                return []
            return [{"linkId": item.link_id, "item": children}]
        answers = [_answer_of_value(value) for value in item.initial] if item.read_only else self.answers(item, prefix)
        entry: dict[str, Any] = {"linkId": item.link_id}
        if answers:
            entry["answer"] = answers
        children = self.level(item.children, prefix) if item.children else []
        if any(_has_content(child) for child in children):
            entry["item"] = children
        return [entry] if len(entry) > 1 else []

    def answers(self, item: Item, prefix: str) -> list[dict]:
        name = f"{prefix}q:{item.link_id}"
        if item.type == "attachment":
            if item.link_id in self.attachments_given:
                return []  # several entries of a repeating group: the files belong to the first
            self.attachments_given.add(item.link_id)
            return [{"valueAttachment": attachment} for attachment in self.uploaded.get(item.link_id, [])]
        if item.type in ("choice", "open-choice") and item.answer_options:
            return self.choice(item, name)
        if item.type == "boolean":
            return self.parsed(item, name, self.get(name), _parse_boolean)
        if item.type == "quantity":
            return self.quantity(item, name)
        parser = _PARSERS[item.type]
        if not item.repeats:
            return self.parsed(item, name, self.get(name), parser)
        answers = []
        for n in self.indices(name):
            if f"{name}:{n}" not in self.removed:
                answers += self.parsed(item, f"{name}:{n}", self.get(f"{name}:{n}"), parser)
        return answers

    def parsed(self, item: Item, name: str, raw: str, parser) -> list[dict]:
        if not raw:
            return []
        try:
            return [parser(raw)]
        except _Unfit as unfit:
            self.issues.append(InputIssue(item.link_id, unfit.code, unfit.message, field_name=name, raw_value=raw))
            return []

    def choice(self, item: Item, name: str) -> list[dict]:
        chosen = self.getlist(name) if item.repeats else [value for value in [self.get(name)] if value]
        answers: list[dict] = []
        for raw in chosen:
            if raw == OTHER and item.type == "open-choice":
                continue  # the free text below is the answer
            answers += self.parsed(item, name, raw, lambda text: _parse_option(item, text))
        other = self.get(f"{name}:{OTHER}") if item.type == "open-choice" else ""
        # A chosen option wins over text left in "Other" unless "Other" itself was chosen.
        if other and (item.repeats or OTHER in chosen or not chosen):
            answers.append({"valueString": other})
        return answers

    def quantity(self, item: Item, name: str) -> list[dict]:
        raw = self.get(f"{name}:value")
        if not raw:
            return []
        try:
            number = _parse_decimal_text(raw)
        except _Unfit as unfit:
            self.issues.append(
                InputIssue(item.link_id, unfit.code, unfit.message, field_name=f"{name}:value", raw_value=raw)
            )
            return []
        quantity: dict[str, Any] = {"value": _json_number(number)}
        unit = None
        if len(item.unit_options) == 1:
            unit = item.unit_options[0]
        elif item.unit_options:
            choice = self.get(f"{name}:unit")
            if not (choice.isascii() and choice.isdigit() and int(choice) < len(item.unit_options)):
                message = gettext("Please choose a unit.")
                self.issues.append(InputIssue(item.link_id, WRONG_TYPE, message, field_name=f"{name}:unit"))
                return []
            unit = item.unit_options[int(choice)]
        if unit is not None:
            quantity.update(_present(unit=unit.display or unit.code, system=unit.system, code=unit.code))
        return [{"valueQuantity": quantity}]


def _parse_boolean(raw: str) -> dict:
    if raw not in ("true", "false"):
        raise _Unfit(gettext("Please choose yes or no."))
    return {"valueBoolean": raw == "true"}


def _parse_option(item: Item, raw: str) -> dict:
    if not (raw.isascii() and raw.isdigit() and int(raw) < len(item.answer_options)):
        raise _Unfit(gettext("Please choose one of the options."), NOT_AN_OPTION)
    return _answer_of_value(item.answer_options[int(raw)])


def _parse_integer(raw: str) -> dict:
    text = re.sub(r"\s", "", raw)
    if not re.fullmatch(r"[+-]?[0-9]+", text) or int(text) not in _INT32:
        raise _Unfit(gettext("Please enter a whole number, for example 12."))
    return {"valueInteger": int(text)}


def _parse_decimal_text(raw: str) -> Decimal:
    # "1,5" (German and most other citizen languages) and "1.5" both mean one and a half.
    text = re.sub(r"\s", "", raw).replace(",", ".")
    if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text) or len(text) > 30:
        raise _Unfit(gettext("Please enter a number, for example 1,5."))
    return Decimal(text)


def _parse_decimal(raw: str) -> dict:
    return {"valueDecimal": _json_number(_parse_decimal_text(raw))}


_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")


def _date_of(text: str) -> date:
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return date.fromisoformat(text)
        if match := _GERMAN_DATE.fullmatch(text):  # browsers without a date picker
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise _Unfit(gettext("Please enter a valid date, for example 31.03.2024."))


def _parse_date(raw: str) -> dict:
    return {"valueDate": _date_of(raw).isoformat()}


def _time_of(text: str) -> time:
    match = re.fullmatch(r"([0-9]{1,2})[:.]([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?", text)
    try:
        if match:
            return time(int(match[1]), int(match[2]), int(match[3] or 0))
    except ValueError:
        pass
    raise _Unfit(gettext("Please enter a valid time, for example 14:30."))


def _parse_time(raw: str) -> dict:
    return {"valueTime": _time_of(raw).isoformat()}


def _parse_date_time(raw: str) -> dict:
    """datetime-local posts local time without offset; we store it with the office's offset (Europe/Berlin)."""
    parts = re.split(r"[T ,]+", raw.strip(), maxsplit=1)
    try:
        if len(parts) != 2:
            raise _Unfit("")
        day, moment = _date_of(parts[0]), _time_of(parts[1])
    except _Unfit:
        raise _Unfit(gettext("Please enter a valid date and time, for example 31.03.2024, 14:30.")) from None
    local = datetime.combine(day, moment).replace(tzinfo=timezone.get_default_timezone())
    return {"valueDateTime": local.isoformat(timespec="seconds")}


def _parse_string(raw: str) -> dict:
    return {"valueString": raw}


def _parse_text(raw: str) -> dict:
    return {"valueString": raw.replace("\r\n", "\n")}


def _parse_url(raw: str) -> dict:
    try:
        URLValidator(schemes=["http", "https"])(raw)
    except ValidationError:
        raise _Unfit(gettext("Please enter a web address starting with https://.")) from None
    return {"valueUri": raw}


_PARSERS = {
    "choice": _parse_string,  # only without answerOption; otherwise options post their index
    "open-choice": _parse_string,
    "integer": _parse_integer,
    "decimal": _parse_decimal,
    "date": _parse_date,
    "dateTime": _parse_date_time,
    "time": _parse_time,
    "string": _parse_string,
    "text": _parse_text,
    "url": _parse_url,
}


# --- whole responses ----------------------------------------------------------------------------


def merge_page(
    definition: QuestionnaireDefinition, items: list[dict], page: Page, page_items: list[dict]
) -> list[dict]:
    """The whole response ``items`` with the page's items replaced by ``page_items``, pruned of hidden answers.

    Items follow the definition's order. Read-only items keep their stored answers (they come from
    ``initial`` or prefill, never from the post).
    """
    on_page = {item.link_id for item in page.items}
    merged: list[dict] = []
    for item in definition.items:
        old = [entry for entry in items if entry.get("linkId") == item.link_id]
        if item.link_id in on_page:
            new = [entry for entry in page_items if entry.get("linkId") == item.link_id]
            merged += _merge_item(item, old, new)
        else:
            merged += old
    return prune_disabled(definition, merged)


def _merge_item(item: Item, old: list[dict], new: list[dict]) -> list[dict]:
    if item.read_only and item.is_question:
        return old or new
    if not item.children or not any(child.read_only or child.children for child in item.children):
        return new
    merged = []
    for index, entry in enumerate(new):
        # Repeating groups: read-only children of the n-th entry keep the n-th stored entry's answers.
        before = old[index] if index < len(old) else {}
        children = []
        for child in item.children:
            old_children = [c for c in before.get("item") or [] if c.get("linkId") == child.link_id]
            new_children = [c for c in entry.get("item") or [] if c.get("linkId") == child.link_id]
            children += _merge_item(child, old_children, new_children)
        entry = {**entry}
        if children:
            entry["item"] = children
        else:
            entry.pop("item", None)
        merged.append(entry)
    return merged


def initial_items(definition: QuestionnaireDefinition, prefill: dict[str, str]) -> list[dict]:
    """Response items holding the definition's ``initial`` values and prefilled answers, pruned of hidden ones."""
    return prune_disabled(definition, _initial_level(definition.items, prefill))


def _initial_level(items: list[Item], prefill: dict[str, str]) -> list[dict]:
    entries = []
    for item in items:
        entry: dict[str, Any] = {"linkId": item.link_id}
        if item.is_question:
            answers = [_answer_of_value(value) for value in item.initial]
            known = (prefill.get(item.prefill) or "").strip() if item.prefill else ""
            if not answers and known and item.type == "string":
                answers = [{"valueString": known}]
            if answers:
                entry["answer"] = answers
        children = _initial_level(item.children, prefill)
        if children:
            entry["item"] = children
        if len(entry) > 1:
            entries.append(entry)
    return entries


# --- values -------------------------------------------------------------------------------------


def _answer_of_value(value: Value) -> dict:
    """A typed value as a FHIR answer (``{"valueX": ...}``), JSON-ready."""
    raw: Any = value.value
    match value.kind:
        case "Decimal":
            raw = _json_number(raw)
        case "DateTime":
            raw = raw if isinstance(raw, str) else raw.isoformat()
        case "Time":
            raw = raw.isoformat()
        case "Coding":
            raw = _present(system=raw.system, code=raw.code, display=raw.display)
        case "Quantity":
            raw = {"value": _json_number(raw.value), **_present(unit=raw.unit, system=raw.system, code=raw.code)}
    return {f"value{value.kind}": raw}


def _present(**parts: str | None) -> dict[str, str]:
    """The parts that are given (FHIR has no nulls)."""
    return {key: value for key, value in parts.items() if value}


def _json_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _quantity_of(unit: Coding, number: Decimal) -> Quantity:
    return Quantity(number, unit.display or unit.code, unit.system, unit.code)


def _value_or_none(answer: dict) -> Value | None:
    try:
        return value_of(answer, "value")
    except BadValue:
        return None


def _answers_by_link_id(entries: list[dict]) -> dict[str, list[Value]]:
    found: dict[str, list[Value]] = defaultdict(list)

    def collect(level: list[dict]) -> None:
        for entry in level:
            for answer in entry.get("answer") or []:
                if (value := _value_or_none(answer)) is not None:
                    found[str(entry.get("linkId"))].append(value)
                collect(answer.get("item") or [])
            collect(entry.get("item") or [])

    collect(entries)
    return found


def _has_content(entry: dict) -> bool:
    if entry.get("answer"):
        return True
    return any(_has_content(child) for child in entry.get("item") or [])
