"""Check a QuestionnaireResponse against its Questionnaire (``validate_response``).

Choices made here, so that nobody has to guess:

* Hidden items are never stored: an answer to an item that is disabled (its own enableWhen, or an
  ancestor's, is false) is an error, not silently dropped.
* enableWhen is evaluated against the whole response by linkId (no repeating-group context): a
  condition is met if any enabled answer to the referenced question meets it. Only answers found
  where the Questionnaire puts the question, and of a type the question takes, count. A disabled
  question counts as unanswered. For every operator except ``exists`` an unanswered question
  makes the condition false (as R5 spells out); an answer of another type never matches, so
  ``!=`` (which R4 defines as "no answer is equal") is true for it.
* ``enableBehavior`` defaults to "all".
* readOnly items may carry answers (the form fills them from ``initial`` or calculations); we
  validate their type (and that a non-repeating one has one answer) and report nothing else.
* An optional group that is absent is fine even if it has required children; a required group
  needs to be present with at least one answered descendant.
* answerOption restricts the answers of any item type that has it; open-choice also takes free
  text (valueString) beyond the options, but no other coding.
* A regex is checked against at most ``REGEX_MAX_INPUT`` characters: a longer answer fails it
  without being matched. The Questionnaire loader refuses patterns that backtrack exponentially;
  the bound caps the polynomial rest (three overlapping ``.*`` are cubic). Use maxLength, not a
  regex, to limit free text.
* The response comes from outside and is read as raw JSON. Nothing in it raises: a malformed
  value[x] is ``wrong-type``; a structure that is not what FHIR prescribes (a response or item
  that is not an object, ``item``/``answer`` that are not lists, an answer that is not an object,
  a missing or non-string linkId, one question in several items, qrs-2) is ``malformed``. The
  issue carries the linkId of the item concerned, or the JSON path of the broken part when there
  is none ("item[2]", "" for the response itself). The walk follows the Questionnaire, so input
  nested deeper than the form is never descended into, and hostile nesting cannot exhaust the stack.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
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
    compare,
    load_questionnaire,
    parse_value,
    values_equal,
)

__all__ = [
    "ANSWER_NOT_ALLOWED",
    "DISABLED_ITEM",
    "MALFORMED",
    "MAX_LENGTH",
    "MAX_VALUE",
    "MIN_VALUE",
    "NOT_AN_OPTION",
    "REGEX",
    "REGEX_MAX_INPUT",
    "REPEATS",
    "REQUIRED",
    "UNKNOWN_ITEM",
    "WRONG_TYPE",
    "ValidationIssue",
    "compare",
    "enabled_link_ids",
    "prune_disabled",
    "validate_response",
]

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
MALFORMED = "malformed"

REGEX_MAX_INPUT = 500  # characters of an answer a form's regex is matched against


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
        MALFORMED: gettext("The submitted answers are malformed here and could not be read."),
    }[code]


@dataclass(frozen=True)
class ValidationIssue:
    link_id: str
    code: str
    message: str

    @classmethod
    def make(cls, link_id: str, code: str) -> ValidationIssue:
        return cls(link_id=link_id, code=code, message=_message(code))


def validate_response(questionnaire: QuestionnaireDefinition | dict[str, Any], response: Any) -> list[ValidationIssue]:
    """All problems of ``response`` against ``questionnaire``, in document order; [] means valid.

    ``response`` is untrusted JSON: whatever it holds, the result is a list of issues (never an
    exception). A ``questionnaire`` given as a dict is loaded first (``QuestionnaireInvalid``).
    """
    if not isinstance(questionnaire, QuestionnaireDefinition):
        questionnaire = load_questionnaire(questionnaire)
    if not isinstance(response, dict):
        return [ValidationIssue.make("", MALFORMED)]
    items = response.get("item")
    checker = _Checker(questionnaire, items)
    checker.check_level(None, items, path="item")
    return checker.issues


def enabled_link_ids(questionnaire: QuestionnaireDefinition, items: Any) -> set[str]:
    """linkIds of the items that are enabled given the answers in ``items`` (response items)."""
    checker = _Checker(questionnaire, items)
    return {item.link_id for item in questionnaire.walk() if checker.is_enabled(item)}


def prune_disabled(questionnaire: QuestionnaireDefinition, items: Any) -> list[dict[str, Any]]:
    """``items`` without what may not be stored: answers to disabled items (hidden items are never
    stored), items the form does not have at that place, and parts that are not FHIR's shape
    (non-object items and answers, ``item``/``answer`` that are not lists).

    The result is a new list; ``items`` is not changed. Pruning is idempotent. Removing hidden
    answers cannot change what is enabled (a disabled question already counts as unanswered), but
    the loop makes sure of it.
    """
    current: list[dict[str, Any]] = []
    for _round in range(len(questionnaire.by_link_id) + 2):
        checker = _Checker(questionnaire, items)
        current = checker.keep_enabled(None, items)
        if _Checker(questionnaire, current).enabled_set() == checker.enabled_set():
            break
        items = current
    return current


def _as_list(value: Any) -> list[Any] | None:
    """A JSON array as a list; absent (None) as []; anything else: None (malformed)."""
    if value is None:
        return []
    return value if isinstance(value, list) else None


def _answer_values(answer: dict[str, Any]) -> Value:
    """The value of one response answer; raises BadValue when absent, doubled or malformed."""
    found = [kind for kind in VALUE_KINDS if f"value{kind}" in answer]
    if len(found) != 1:
        raise BadValue(", ".join(found) or "no value")
    return parse_value(found[0], answer[f"value{found[0]}"])


def _typed_answer(item: Item, answer: Any) -> Value | None:
    """The value of ``answer`` if it is well-formed and of a type ``item`` takes, else None."""
    if not isinstance(answer, dict):
        return None
    try:
        value = _answer_values(answer)
    except BadValue:
        return None
    return value if value.kind in ANSWER_KINDS[item.type] else None


class _Checker:
    def __init__(self, definition: QuestionnaireDefinition, response_items: Any):
        self.definition = definition
        self.issues: list[ValidationIssue] = []
        self.answers: dict[str, list[Value]] = defaultdict(list)
        self._enabled: dict[str, bool] = {}
        self._parents = {child.link_id: item for item in definition.walk() for child in item.children}
        self._collect(None, response_items)

    def _level(self, parent: Item | None) -> dict[str, Item]:
        """The items defined at one level: the top level (parent None) or below ``parent``."""
        return {item.link_id: item for item in (parent.children if parent else self.definition.items)}

    def _entries(self, parent: Item | None, entries: Any) -> list[tuple[Item, dict[str, Any]]]:
        """The well-formed response items of one level whose linkId the form has at that level."""
        level = self._level(parent)
        found = []
        for entry in _as_list(entries) or []:
            if isinstance(entry, dict) and isinstance(entry.get("linkId"), str) and entry["linkId"] in level:
                found.append((level[entry["linkId"]], entry))
        return found

    # --- reading the response -------------------------------------------------------------

    def _collect(self, parent: Item | None, entries: Any) -> None:
        for item, entry in self._entries(parent, entries):
            if item.is_question:
                for answer in _as_list(entry.get("answer")) or []:
                    value = _typed_answer(item, answer)
                    if value is not None:
                        self.answers[item.link_id].append(value)
                    if isinstance(answer, dict):
                        self._collect(item, answer.get("item"))
            self._collect(item, entry.get("item"))

    # --- enableWhen -----------------------------------------------------------------------

    def is_enabled(self, item: Item) -> bool:
        """Own enableWhen and every ancestor's; load_questionnaire has ruled out cycles."""
        if item.link_id not in self._enabled:
            parent = self._parents.get(item.link_id)
            enabled = (parent is None or self.is_enabled(parent)) and self._conditions_met(item)
            self._enabled[item.link_id] = enabled
        return self._enabled[item.link_id]

    def enabled_set(self) -> set[str]:
        return {item.link_id for item in self.definition.walk() if self.is_enabled(item)}

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
            return bool(answers) and not any(values_equal(answer, condition.answer) for answer in answers)
        return any(compare(answer, condition.operator, condition.answer) for answer in answers)

    # --- pruning --------------------------------------------------------------------------

    def keep_enabled(self, parent: Item | None, entries: Any) -> list[dict[str, Any]]:
        kept = []
        for item, entry in self._entries(parent, entries):
            if not self.is_enabled(item):
                continue
            entry = dict(entry)
            if "item" in entry:
                children = self.keep_enabled(item, entry["item"])
                if _as_list(entry["item"]) is None:
                    del entry["item"]
                else:
                    entry["item"] = children
            if "answer" in entry:
                answers = _as_list(entry["answer"])
                if answers is None:
                    del entry["answer"]
                else:
                    entry["answer"] = [
                        self._keep_answer(item, answer) for answer in answers if isinstance(answer, dict)
                    ]
            kept.append(entry)
        return kept

    def _keep_answer(self, item: Item, answer: dict[str, Any]) -> dict[str, Any]:
        if "item" not in answer:
            return answer
        answer = dict(answer)
        if _as_list(answer["item"]) is None:
            del answer["item"]
        else:
            answer["item"] = self.keep_enabled(item, answer["item"])
        return answer

    # --- walking definition and response together -----------------------------------------

    def report(self, link_id: str, code: str) -> None:
        self.issues.append(ValidationIssue.make(link_id, code))

    def check_level(self, parent: Item | None, response_items: Any, path: str) -> None:
        """Check the response items found where ``parent``'s children (or the top level) are defined."""
        entries = _as_list(response_items)
        if entries is None:
            self.report(parent.link_id if parent else path, MALFORMED)
            entries = []
        level = self._level(parent)
        by_link_id: dict[str, list[tuple[dict[str, Any], str]]] = defaultdict(list)
        for index, entry in enumerate(entries):
            where = f"{path}[{index}]"
            link_id = entry.get("linkId") if isinstance(entry, dict) else None
            if not isinstance(link_id, str) or not link_id:
                self.report(where, MALFORMED)
            elif link_id in level:
                by_link_id[link_id].append((entry, where))
            else:
                self.report(link_id, UNKNOWN_ITEM)
        for item in level.values():
            self.check_item(item, by_link_id.get(item.link_id, []))

    def check_item(self, item: Item, entries: list[tuple[dict[str, Any], str]]) -> None:
        if not self.is_enabled(item):
            if any(_has_content(entry) for entry, _where in entries):
                self.report(item.link_id, DISABLED_ITEM)
            return
        if item.type == "display":
            if any(entry.get("answer") for entry, _where in entries):
                self.report(item.link_id, ANSWER_NOT_ALLOWED)
            for entry, where in entries:
                if "item" in entry:
                    self.check_level(item, entry["item"], f"{where}.item")
            return
        if item.type == "group":
            self.check_group(item, entries)
            return
        if len(entries) > 1:  # qrs-2: all answers to a question go into one item
            self.report(item.link_id, MALFORMED)
        answers: list[tuple[dict[str, Any], str]] = []
        for entry, where in entries:
            found = _as_list(entry.get("answer"))
            if found is None or not all(isinstance(answer, dict) for answer in found):
                self.report(item.link_id, MALFORMED)
            answers += [
                (answer, f"{where}.answer[{i}]") for i, answer in enumerate(found or []) if isinstance(answer, dict)
            ]
        if item.required and not item.read_only and not answers:
            self.report(item.link_id, REQUIRED)
        if len(answers) > 1 and not item.repeats:
            self.report(item.link_id, REPEATS)
        for answer, where in answers:
            self.check_answer(item, answer)
            if item.children or "item" in answer:
                self.check_level(item, answer.get("item"), f"{where}.item")
        for entry, where in entries:  # children may also hang off the item itself
            if "item" in entry:
                self.check_level(item, entry["item"], f"{where}.item")

    def check_group(self, item: Item, entries: list[tuple[dict[str, Any], str]]) -> None:
        if any(entry.get("answer") for entry, _where in entries):
            self.report(item.link_id, ANSWER_NOT_ALLOWED)
        if item.required and not any(_has_content(entry) for entry, _where in entries):
            self.report(item.link_id, REQUIRED)
        if len(entries) > 1 and not item.repeats:
            self.report(item.link_id, REPEATS)
        for entry, where in entries:
            self.check_level(item, entry.get("item"), f"{where}.item")

    def check_answer(self, item: Item, answer: dict[str, Any]) -> None:
        try:
            value = _answer_values(answer)
        except BadValue:
            self.report(item.link_id, WRONG_TYPE)
            return
        if value.kind not in ANSWER_KINDS[item.type]:
            self.report(item.link_id, WRONG_TYPE)
            return
        if item.read_only:
            return
        if item.answer_options:
            offered = any(values_equal(value, option) for option in item.answer_options)
            free_text = item.type == "open-choice" and value.kind == "String"
            if not offered and not free_text:
                self.report(item.link_id, NOT_AN_OPTION)
        if value.kind in ("String", "Uri"):
            if item.max_length is not None and len(value.value) > item.max_length:
                self.report(item.link_id, MAX_LENGTH)
            if item.regex is not None and (
                len(value.value) > REGEX_MAX_INPUT or not re.fullmatch(item.regex, value.value)
            ):
                self.report(item.link_id, REGEX)
        if item.min_value is not None and compare(value, "<", item.min_value):
            self.report(item.link_id, MIN_VALUE)
        if item.max_value is not None and compare(value, ">", item.max_value):
            self.report(item.link_id, MAX_VALUE)


def _has_content(entry: Any) -> bool:
    """Whether a response item carries anything but empty item shells: an answer, or any stray data.

    Iterative, with a guard against shared or cyclic objects (Python callers can build those).
    """
    stack = [entry]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not isinstance(node, dict) or node.get("answer"):
            return True
        children = node.get("item")
        if children:
            if not isinstance(children, list):
                return True
            stack.extend(children)
    return False
