"""Turn the answers of a demo response into what a person types on one page (tests only).

Uses the control names of ``oegd.forms.rendering`` (``q:<linkId>``, option indexes, ...).
Repeating groups and repeated simple answers beyond the first are not needed by the demo forms.
"""

from __future__ import annotations

from typing import Any

from oegd.forms.questionnaire import Item, QuestionnaireDefinition, parse_value
from oegd.forms.rendering import Page
from oegd.forms.validation import compare


def answers_by_link_id(items: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in items:
        if entry.get("answer"):
            found.setdefault(entry["linkId"], []).extend(entry["answer"])
            for answer in entry["answer"]:
                found.update(answers_by_link_id(answer.get("item", [])))
        found.update(answers_by_link_id(entry.get("item", [])))
    return found


def option_index(item: Item, answer: dict) -> str | None:
    kind = next(key for key in answer if key.startswith("value"))[5:]
    value = parse_value(kind, answer[f"value{kind}"])
    for index, option in enumerate(item.answer_options):
        if compare(value, "=", option):
            return str(index)
    return None


def typed_value(item: Item, answer: dict) -> dict[str, Any]:
    """Control name -> value (a list for checkbox groups) for one answer of one item."""
    name = f"q:{item.link_id}"
    if item.type == "boolean":
        return {name: "true" if answer["valueBoolean"] else "false"}
    if item.type in ("choice", "open-choice"):
        index = option_index(item, answer)
        if index is None:  # free text of an open-choice
            return {name: "other", f"{name}:other": answer["valueString"]}
        return {name: index}
    if item.type == "quantity":
        quantity = answer["valueQuantity"]
        units = [i for i, unit in enumerate(item.unit_options) if unit.code == quantity.get("code")]
        return {f"{name}:value": str(quantity["value"]), f"{name}:unit": str(units[0] if units else 0)}
    if item.type == "dateTime":
        return {name: answer["valueDateTime"][:16]}
    kind = next(key for key in answer if key.startswith("value"))
    return {name: str(answer[kind])}


def post_data(definition: QuestionnaireDefinition, page: Page, items: list[dict]) -> dict[str, Any]:
    """POST fields for ``page`` with the example's answers (attachments left out)."""
    answers = answers_by_link_id(items)
    data: dict[str, Any] = {}
    for top in page.items:
        for item in top.walk():
            if item.type in ("group", "display", "attachment") or item.read_only or item.link_id not in answers:
                continue
            values = answers[item.link_id]
            if item.repeats and item.type in ("choice", "open-choice"):
                chosen = [typed_value(item, answer) for answer in values]
                # checkbox groups have no "other" box: the free text field alone carries it
                boxes = [v[f"q:{item.link_id}"] for v in chosen]
                data[f"q:{item.link_id}"] = [box for box in boxes if box != "other"]
                for v in chosen:
                    data.update({k: val for k, val in v.items() if k.endswith(":other")})
            elif item.repeats:
                for index, answer in enumerate(values):
                    value = typed_value(item, answer)
                    data[f"q:{item.link_id}:{index}"] = next(iter(value.values()))
            else:
                data.update(typed_value(item, values[0]))
    return data


def drop_uploads(items: list[dict]) -> None:
    """Remove the attachment answers of a response in place (for journeys that send no file)."""
    for item in items:
        item["answer"] = [answer for answer in item.get("answer", []) if "valueAttachment" not in answer]
        if not item["answer"]:
            item.pop("answer")
        drop_uploads(item.get("item", []))
