"""Check a QuestionnaireResponse against its Questionnaire (``validate_response``).

Choices made here, so that nobody has to guess:

* Hidden items are never stored: an answer to an item that is disabled (its own enableWhen, or an
  ancestor's, is false) is an error, not silently dropped.
* enableWhen is evaluated against the whole response by linkId (no repeating-group context): a
  condition is met if any enabled answer to the referenced question meets it. A disabled question
  counts as unanswered. For every operator except ``exists`` an unanswered question makes the
  condition false (as R5 spells out); an answer of another type never matches, so ``!=`` (which
  R4 defines as "no answer is equal") is true for it.
* ``enableBehavior`` defaults to "all".
* readOnly items may carry answers (the form fills them from ``initial`` or calculations); we
  validate their type like any other answer and report nothing else for them.
* An optional group that is absent is fine even if it has required children; a required group
  needs to be present with at least one answered descendant.
* The response is read as raw JSON; malformed value[x] is reported as ``wrong-type`` rather than
  raised.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext

from oegd.forms.questionnaire import (
    ANSWER_KINDS,
    VALUE_KINDS,
    BadValue,
    EnableWhen,
    Item,
    QuestionnaireDefinition,
    Value,
    load_questionnaire,
    parse_value,
)

# Message keys; the text is looked up when an issue is made (gettext, so German in the portal).
REQUIRED = "required"
REPEATS = "repeats"
MAX_LENGTH = "max-length"
MIN_VALUE = "min-value"
MAX_VALUE = "max-value"
REGEX = "regex"
NOT_AN_OPTION = "not-an-option"
WRONG_TYPE = "wrong-type"
UNKNOWN_ITEM = "unknown-item"
DISABLED_ITEM = "disabled-item"
ANSWER_NOT_ALLOWED = "answer-not-allowed"


def _message(code: str) -> str:
    return {
        REQUIRED: gettext("This answer is required."),
        REPEATS: gettext("Only one answer is allowed here."),
        MAX_LENGTH: gettext("This answer is too long."),
        MIN_VALUE: gettext("This answer is below the allowed minimum."),
        MAX_VALUE: gettext("This answer is above the allowed maximum."),
        REGEX: gettext("This answer does not have the expected format."),
        NOT_AN_OPTION: gettext("This answer is not one of the offered options."),
        WRONG_TYPE: gettext("This answer has the wrong type."),
        UNKNOWN_ITEM: gettext("This question is not part of the form."),
        DISABLED_ITEM: gettext("This question does not apply and must not be answered."),
        ANSWER_NOT_ALLOWED: gettext("This item takes no answer."),
    }[code]


@dataclass(frozen=True)
class ValidationIssue:
    link_id: str
    code: str
    message: str

    @classmethod
    def make(cls, link_id: str, code: str) -> ValidationIssue:
        return cls(link_id=link_id, code=code, message=_message(code))


def validate_response(questionnaire: QuestionnaireDefinition | dict, response: dict[str, Any]) -> list[ValidationIssue]:
    """All problems of ``response`` against ``questionnaire``, in document order; [] means valid."""
    if not isinstance(questionnaire, QuestionnaireDefinition):
        questionnaire = load_questionnaire(questionnaire)
    checker = _Checker(questionnaire, response.get("item") or [])
    checker.check_level(questionnaire.items, response.get("item") or [])
    return checker.issues


def enabled_link_ids(questionnaire: QuestionnaireDefinition, items: list[dict[str, Any]]) -> set[str]:
    """linkIds of the items that are enabled given the answers in ``items`` (response items)."""
    checker = _Checker(questionnaire, items)
    return {item.link_id for item in questionnaire.walk() if checker.is_enabled(item)}


def prune_disabled(questionnaire: QuestionnaireDefinition, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``items`` without the answers to disabled items (hidden items are never stored).

    Pruning can disable further items (their condition pointed at a pruned answer), so it runs
    until nothing changes.
    """
    while True:
        enabled = enabled_link_ids(questionnaire, items)
        pruned = _keep_enabled(items, enabled)
        if pruned == items:
            return pruned
        items = pruned


def _keep_enabled(items: list[dict[str, Any]], enabled: set[str]) -> list[dict[str, Any]]:
    kept = []
    for entry in items:
        if entry.get("linkId") not in enabled:
            continue
        entry = dict(entry)
        if "item" in entry:
            entry["item"] = _keep_enabled(entry["item"], enabled)
        if "answer" in entry:
            entry["answer"] = [
                {**answer, "item": _keep_enabled(answer["item"], enabled)} if "item" in answer else answer
                for answer in entry["answer"]
            ]
        kept.append(entry)
    return kept


def _answer_values(answer: dict) -> Value | None:
    """The value of one response answer; raises BadValue when absent, doubled or malformed."""
    found = [kind for kind in VALUE_KINDS if f"value{kind}" in answer]
    if len(found) != 1:
        raise BadValue(", ".join(found) or "no value")
    return parse_value(found[0], answer[f"value{found[0]}"])


class _Checker:
    def __init__(self, definition: QuestionnaireDefinition, response_items: list[dict]):
        self.definition = definition
        self.issues: list[ValidationIssue] = []
        self.answers: dict[str, list[Value]] = defaultdict(list)
        self._collect(response_items)
        self._enabled: dict[str, bool] = {}
        self._parents = {child.link_id: item for item in definition.walk() for child in item.children}

    # --- reading the response -------------------------------------------------------------

    def _collect(self, response_items: list[dict]) -> None:
        for entry in response_items:
            for answer in entry.get("answer") or []:
                try:
                    value = _answer_values(answer)
                except BadValue:
                    value = None
                if value is not None:
                    self.answers[entry.get("linkId")].append(value)
                self._collect(answer.get("item") or [])
            self._collect(entry.get("item") or [])

    # --- enableWhen -----------------------------------------------------------------------

    def is_enabled(self, item: Item) -> bool:
        """Own enableWhen and every ancestor's; load_questionnaire has ruled out cycles."""
        if item.link_id not in self._enabled:
            parent = self._parents.get(item.link_id)
            enabled = (parent is None or self.is_enabled(parent)) and self._conditions_met(item)
            self._enabled[item.link_id] = enabled
        return self._enabled[item.link_id]

    def _conditions_met(self, item: Item) -> bool:
        if not item.enable_when:
            return True
        results = (self._condition_met(condition) for condition in item.enable_when)
        return any(results) if item.enable_behavior == "any" else all(results)

    def _condition_met(self, condition: EnableWhen) -> bool:
        question = self.definition.by_link_id[condition.question]
        answers = self.answers.get(question.link_id, []) if self.is_enabled(question) else []
        if condition.operator == "exists":
            return bool(answers) == condition.answer.value
        if condition.operator == "!=":  # R4: "no answer has a value that is equal"
            return bool(answers) and not any(_equal(answer, condition.answer) for answer in answers)
        return any(compare(answer, condition.operator, condition.answer) for answer in answers)

    # --- walking definition and response together -----------------------------------------

    def report(self, link_id: str, code: str) -> None:
        self.issues.append(ValidationIssue.make(link_id, code))

    def check_level(self, items: list[Item], response_items: list[dict]) -> None:
        """Check the response items found where ``items`` are defined (top level or children)."""
        by_link_id: dict[str, list[dict]] = defaultdict(list)
        known = {item.link_id for item in items}
        for entry in response_items:
            link_id = entry.get("linkId")
            if link_id in known:
                by_link_id[link_id].append(entry)
            else:
                self.report(str(link_id), UNKNOWN_ITEM)
        for item in items:
            self.check_item(item, by_link_id.get(item.link_id, []))

    def check_item(self, item: Item, entries: list[dict]) -> None:
        if not self.is_enabled(item):
            if any(_has_content(entry) for entry in entries):
                self.report(item.link_id, DISABLED_ITEM)
            return
        if item.type == "display":
            if any(entry.get("answer") for entry in entries):
                self.report(item.link_id, ANSWER_NOT_ALLOWED)
            return
        if item.type == "group":
            self.check_group(item, entries)
            return
        answers = [answer for entry in entries for answer in entry.get("answer") or []]
        if item.required and not answers:
            self.report(item.link_id, REQUIRED)
        if len(answers) > 1 and not item.repeats:
            self.report(item.link_id, REPEATS)
        for answer in answers:
            self.check_answer(item, answer)
            if item.children or answer.get("item"):
                self.check_level(item.children, answer.get("item") or [])
        for entry in entries:  # children may also hang off the item itself
            if entry.get("item"):
                self.check_level(item.children, entry["item"])

    def check_group(self, item: Item, entries: list[dict]) -> None:
        if any(entry.get("answer") for entry in entries):
            self.report(item.link_id, ANSWER_NOT_ALLOWED)
        if item.required and not any(_has_content(entry) for entry in entries):
            self.report(item.link_id, REQUIRED)
        if len(entries) > 1 and not item.repeats:
            self.report(item.link_id, REPEATS)
        for entry in entries:
            self.check_level(item.children, entry.get("item") or [])

    def check_answer(self, item: Item, answer: dict) -> None:
        try:
            value = _answer_values(answer)
        except BadValue:
            self.report(item.link_id, WRONG_TYPE)
            return
        if value.kind not in ANSWER_KINDS[item.type]:
            self.report(item.link_id, WRONG_TYPE)
            return
        if item.type in ("choice", "open-choice"):
            offered = any(_equal(value, option) for option in item.answer_options)
            free_text = item.type == "open-choice" and value.kind == "String"
            if item.answer_options and not offered and not free_text:
                self.report(item.link_id, NOT_AN_OPTION)
        if item.max_length is not None and value.kind in ("String", "Uri") and len(value.value) > item.max_length:
            self.report(item.link_id, MAX_LENGTH)
        if item.regex is not None and value.kind == "String" and not re.fullmatch(item.regex, value.value):
            self.report(item.link_id, REGEX)
        if item.min_value is not None and compare(value, "<", item.min_value):
            self.report(item.link_id, MIN_VALUE)
        if item.max_value is not None and compare(value, ">", item.max_value):
            self.report(item.link_id, MAX_VALUE)


def _has_content(entry: dict) -> bool:
    """Whether a response item carries any answer, itself or somewhere below."""
    if entry.get("answer"):
        return True
    return any(_has_content(child) for child in entry.get("item") or [])


# --- comparing values ---------------------------------------------------------------------

_NUMERIC = ("Integer", "Decimal")


def _ordered(left: Value, right: Value) -> tuple[Any, Any] | None:
    """The two values as mutually comparable Python objects, or None if they cannot be ordered."""
    if left.kind in _NUMERIC and right.kind in _NUMERIC:
        return Decimal(left.value), Decimal(right.value)
    if left.kind != right.kind:
        if {left.kind, right.kind} == {"Date", "DateTime"}:
            return _date_part(left), _date_part(right)
        return None
    if left.kind == "Quantity":
        return (left.value.value, right.value.value) if left.value.same_unit(right.value) else None
    if left.kind == "DateTime" and type(left.value) is not type(right.value):
        return _date_part(left), _date_part(right)
    if left.kind == "Date" and len(left.value) != len(right.value):
        return None  # "2024" vs "2024-05-01": different precision, not comparable
    if left.kind in ("Date", "DateTime", "Time", "String"):
        return left.value, right.value
    return None


def _date_part(value: Value) -> str:
    return value.value if isinstance(value.value, str) else value.value.date().isoformat()


def _equal(left: Value, right: Value) -> bool:
    if left.kind == "Coding" and right.kind == "Coding":
        return left.value.matches(right.value)
    if left.kind == "Boolean" or right.kind == "Boolean":
        return left.kind == right.kind and left.value == right.value
    pair = _ordered(left, right)
    if pair is not None:
        return _safe(lambda: pair[0] == pair[1])
    return left.kind == right.kind and left.value == right.value


def compare(left: Value, operator: str, right: Value) -> bool:
    """``left <operator> right`` for enableWhen and min/max; values that do not compare give False."""
    if operator == "=":
        return _equal(left, right)
    if operator == "!=":
        return not _equal(left, right)
    pair = _ordered(left, right)
    if pair is None:
        return False
    a, b = pair
    return _safe(
        {
            ">": lambda: a > b,
            "<": lambda: a < b,
            ">=": lambda: a >= b,
            "<=": lambda: a <= b,
        }[operator]
    )


def _safe(check) -> bool:
    try:
        return bool(check())
    except TypeError:  # e.g. naive against aware datetime
        return False
