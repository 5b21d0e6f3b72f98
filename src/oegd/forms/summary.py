"""The answers of a submission as rows a person reads (Antwortübersicht).

One summary for every place that shows a submission to people: the receipt PDF, the staff case view
and the summary page before submitting. ``answer_summary`` walks the Questionnaire in order, so
the rows follow the form and not the order in which the response lists its items; groups become
headings (only when something below them is answered), display items and unanswered questions are
left out, and every value is formatted for the reader's language (German: ``1,5`` and
``24.11.2026``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format, number_format, time_format
from django.utils.translation import gettext, override

from oegd.forms.questionnaire import VALUE_KINDS, BadValue, Item, QuestionnaireDefinition, Value, parse_value
from oegd.forms.validation import prune_disabled


@dataclass(frozen=True)
class SummaryRow:
    """One line of the summary: a group heading, or a question with its formatted answers."""

    link_id: str
    label: str
    answers: list[str] = field(default_factory=list)
    depth: int = 0  # 0 for top-level items, +1 per enclosing group or parent question
    is_heading: bool = False


def answer_summary(definition: QuestionnaireDefinition, items: list[dict[str, Any]], language: str) -> list[SummaryRow]:
    """The answered part of ``items`` (QuestionnaireResponse.item) as rows, formatted in ``language``.

    Answers to items that are hidden by their enableWhen are dropped first: they were never meant
    to be given, so nobody should read them.
    """
    with override(language):
        return list(_rows(definition.items, prune_disabled(definition, items), depth=0, language=language))


def _rows(
    definition_items: list[Item], entries: list[dict[str, Any]], depth: int, language: str
) -> Iterator[SummaryRow]:
    for item in definition_items:
        if item.type == "display":
            continue
        for entry in (e for e in entries if e.get("linkId") == item.link_id):
            label = item.text_in(language) or item.link_id
            if item.type == "group":
                below = list(_rows(item.children, entry.get("item") or [], depth + 1, language))
                if below:
                    yield SummaryRow(link_id=item.link_id, label=label, depth=depth, is_heading=True)
                    yield from below
                continue
            answers = entry.get("answer") or []
            formatted = [text for answer in answers if (text := format_answer(item, answer, language))]
            if formatted:
                yield SummaryRow(link_id=item.link_id, label=label, answers=formatted, depth=depth)
            # Items nested under a question hang below its answers (or, leniently, under the item).
            nested = [child for answer in answers for child in answer.get("item") or []]
            nested += entry.get("item") or []
            yield from _rows(item.children, nested, depth + 1, language)


def format_answer(item: Item, answer: dict[str, Any], language: str) -> str:
    """One ``answer`` entry (with its ``value<Type>``) as text for people; "" when it holds no value."""
    kinds = [kind for kind in VALUE_KINDS if f"value{kind}" in answer]
    if not kinds:
        return ""
    raw = answer[f"value{kinds[0]}"]
    try:
        value = parse_value(kinds[0], raw)
    except BadValue:
        # Stored answers were validated; should one be malformed anyway, show it rather than hide it.
        return str(raw)
    with override(language):
        if item.type in {"choice", "open-choice"} and (index := _option_index(item, value)) is not None:
            return item.option_text_in(index, language)
        return format_value(value)


def _option_index(item: Item, value: Value) -> int | None:
    for index, option in enumerate(item.answer_options):
        if option.kind != value.kind:
            continue
        if option.kind == "Coding" and option.value.matches(value.value):
            return index
        if option.kind != "Coding" and option.value == value.value:
            return index
    return None


def format_value(value: Value) -> str:
    """A typed value in the active language (numbers, dates and times localised)."""
    match value.kind:
        case "Boolean":
            return gettext("Yes") if value.value else gettext("No")
        case "Decimal" | "Integer":
            return number_format(value.value)
        case "Date":
            return _format_partial_date(value.value)
        case "DateTime":
            if isinstance(value.value, str):
                return _format_partial_date(value.value)
            moment = timezone.localtime(value.value) if timezone.is_aware(value.value) else value.value
            return date_format(moment, "SHORT_DATETIME_FORMAT")
        case "Time":
            return time_format(value.value, "TIME_FORMAT")
        case "Coding":
            return value.value.display or value.value.code or ""
        case "Quantity":
            quantity = value.value
            unit = quantity.unit or quantity.code
            return f"{number_format(quantity.value)} {unit}" if unit else number_format(quantity.value)
        case "Attachment":
            name = value.value.get("title") or value.value.get("url") or gettext("File")
            size = value.value.get("size")  # unsignedInt in R4
            if isinstance(size, int) and not isinstance(size, bool):
                return f"{name} ({filesizeformat(size)})"
            return name
        case "Reference":
            return value.value.get("display") or value.value.get("reference") or ""
    return str(value.value)


def _format_partial_date(text: str) -> str:
    """FHIR dates may be partial: "2024" stays as is, "2024-05" becomes "Mai 2024" in German."""
    parts = [int(part) for part in text.split("-")]
    if len(parts) == 1:
        return text
    if len(parts) == 2:
        return date_format(date(parts[0], parts[1], 1), "YEAR_MONTH_FORMAT")
    return date_format(date(*parts), "SHORT_DATE_FORMAT")
