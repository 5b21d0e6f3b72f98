"""Load a FHIR R4 Questionnaire into a small typed item tree.

The tree is what the rest of the form server works with: ``load_questionnaire`` checks the raw
resource with fhir.resources (R4B), then our own rules (unique linkIds, enableWhen targets that
exist, supported item types, no enableWhen cycles), and refuses anything else with
``QuestionnaireInvalid``. Answer values are normalised into plain Python values (see ``Value``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError

EXT_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_REGEX = "http://hl7.org/fhir/StructureDefinition/regex"
EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
EXT_MAX_SIZE = "http://hl7.org/fhir/StructureDefinition/maxSize"
EXT_MIME_TYPE = "http://hl7.org/fhir/StructureDefinition/mimeType"
EXT_UNIT_OPTION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption"
EXT_ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
# Our own extension: fill the item from what the platform knows about the logged-in person.
# valueCode is one of PREFILL_KEYS.
EXT_PREFILL = "https://oegd.example/fhir/StructureDefinition/prefill"
PREFILL_KEYS = frozenset({"full_name", "email", "postal_code", "place", "institution_name", "institution_address"})

QUESTION_TYPES = frozenset(
    {
        "boolean",
        "decimal",
        "integer",
        "date",
        "dateTime",
        "time",
        "string",
        "text",
        "url",
        "choice",
        "open-choice",
        "attachment",
        "quantity",
    }
)
SUPPORTED_TYPES = QUESTION_TYPES | {"group", "display"}
OPERATORS = frozenset({"exists", "=", "!=", ">", "<", ">=", "<="})

# FHIR value[x] suffix -> kinds of value an item type takes in QuestionnaireResponse.item.answer.
CHOICE_KINDS = frozenset({"Coding", "String", "Integer", "Date", "Time"})
ANSWER_KINDS: dict[str, frozenset[str]] = {
    "boolean": frozenset({"Boolean"}),
    "decimal": frozenset({"Decimal"}),
    "integer": frozenset({"Integer"}),
    "date": frozenset({"Date"}),
    "dateTime": frozenset({"DateTime"}),
    "time": frozenset({"Time"}),
    "string": frozenset({"String"}),
    "text": frozenset({"String"}),
    "url": frozenset({"Uri"}),
    "choice": CHOICE_KINDS,
    "open-choice": CHOICE_KINDS,
    "attachment": frozenset({"Attachment"}),
    "quantity": frozenset({"Quantity"}),
    "group": frozenset(),
    "display": frozenset(),
}
VALUE_KINDS = (
    "Boolean",
    "Decimal",
    "Integer",
    "Date",
    "DateTime",
    "Time",
    "String",
    "Uri",
    "Coding",
    "Attachment",
    "Quantity",
    "Reference",
)

_DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class QuestionnaireInvalid(ValueError):
    """The Questionnaire cannot be used as a form definition; the message says why."""


class BadValue(ValueError):
    """A value[x] whose JSON does not fit its FHIR type (e.g. valueInteger: "7")."""


@dataclass(frozen=True)
class Coding:
    system: str | None
    code: str | None
    display: str | None = None

    def matches(self, other: Coding) -> bool:
        """Same code, and the same system when both name one."""
        if self.code != other.code:
            return False
        return self.system is None or other.system is None or self.system == other.system


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str | None = None
    system: str | None = None
    code: str | None = None

    def same_unit(self, other: Quantity) -> bool:
        if self.code is not None or other.code is not None:
            return (self.system, self.code) == (other.system, other.code)
        return self.unit == other.unit


@dataclass(frozen=True)
class Value:
    """One typed FHIR value: ``kind`` is the value[x] suffix ("Integer"), ``value`` a Python value.

    Decimal -> Decimal, Integer -> int, Date -> str (ISO, possibly partial: "2024", "2024-05"),
    DateTime -> datetime (or a partial date string), Time -> time, Coding -> Coding,
    Quantity -> Quantity, Attachment/Reference -> the raw dict.
    """

    kind: str
    value: Any


def parse_value(kind: str, raw: Any) -> Value:
    """Normalise the JSON of ``value<kind>``; raise ``BadValue`` if it does not fit the type."""
    match kind:
        case "Boolean":
            if not isinstance(raw, bool):
                raise BadValue(kind)
            return Value(kind, raw)
        case "Integer":
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise BadValue(kind)
            return Value(kind, raw)
        case "Decimal":
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise BadValue(kind)
            try:
                number = Decimal(str(raw))
            except InvalidOperation as exc:
                raise BadValue(kind) from exc
            if not number.is_finite():
                raise BadValue(kind)
            return Value(kind, number)
        case "Date":
            if not isinstance(raw, str) or not _DATE_RE.match(raw):
                raise BadValue(kind)
            if len(raw) == 10:
                _parse_iso(date.fromisoformat, raw, kind)
            return Value(kind, raw)
        case "DateTime":
            if not isinstance(raw, str):
                raise BadValue(kind)
            if _DATE_RE.match(raw):
                return Value(kind, raw)
            if "T" not in raw:
                raise BadValue(kind)
            return Value(kind, _parse_iso(datetime.fromisoformat, raw, kind))
        case "Time":
            if not isinstance(raw, str) or not re.match(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", raw):
                raise BadValue(kind)
            return Value(kind, _parse_iso(time.fromisoformat, raw, kind))
        case "String" | "Uri":
            if not isinstance(raw, str) or not raw:
                raise BadValue(kind)
            return Value(kind, raw)
        case "Coding":
            if not isinstance(raw, dict) or not isinstance(raw.get("code"), str | None):
                raise BadValue(kind)
            return Value(kind, Coding(raw.get("system"), raw.get("code"), raw.get("display")))
        case "Quantity":
            if not isinstance(raw, dict) or "value" not in raw:
                raise BadValue(kind)
            number = parse_value("Decimal", raw["value"]).value
            return Value(kind, Quantity(number, raw.get("unit"), raw.get("system"), raw.get("code")))
        case "Attachment" | "Reference":
            if not isinstance(raw, dict):
                raise BadValue(kind)
            return Value(kind, raw)
    raise BadValue(kind)


def _parse_iso(parser, raw: str, kind: str):
    try:
        return parser(raw)
    except ValueError as exc:
        raise BadValue(kind) from exc


def value_of(element: dict, prefix: str) -> Value | None:
    """The single ``<prefix><Kind>`` entry of a FHIR element (e.g. "answerInteger"), or None."""
    found = [kind for kind in VALUE_KINDS if f"{prefix}{kind}" in element]
    if not found:
        return None
    if len(found) > 1:
        raise BadValue(", ".join(found))
    return parse_value(found[0], element[f"{prefix}{found[0]}"])


@dataclass(frozen=True)
class EnableWhen:
    question: str
    operator: str
    answer: Value


@dataclass
class Item:
    link_id: str
    type: str
    text: str | None = None
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    max_length: int | None = None
    answer_options: list[Value] = field(default_factory=list)
    initial: list[Value] = field(default_factory=list)
    enable_when: list[EnableWhen] = field(default_factory=list)
    enable_behavior: str = "all"
    children: list[Item] = field(default_factory=list)
    min_value: Value | None = None
    max_value: Value | None = None
    regex: str | None = None
    translations: dict[str, str] = field(default_factory=dict)
    # Translations of each answerOption's display, aligned with ``answer_options``.
    option_translations: list[dict[str, str]] = field(default_factory=list)
    max_size: int | None = None  # attachment: bytes (SDC maxSize)
    mime_types: list[str] = field(default_factory=list)  # attachment: allowed types (SDC mimeType)
    unit_options: list[Coding] = field(default_factory=list)  # quantity: offered units
    item_control: str | None = None  # SDC itemControl code, e.g. "radio-button", "drop-down"
    prefill: str | None = None  # one of PREFILL_KEYS (EXT_PREFILL)

    @property
    def is_question(self) -> bool:
        return self.type in QUESTION_TYPES

    def text_in(self, lang: str) -> str | None:
        """The item text in ``lang`` ("de", "en-GB" falls back to "en"), else the base text."""
        if lang in self.translations:
            return self.translations[lang]
        base = lang.split("-")[0]
        return self.translations.get(base, self.text)

    def option_text_in(self, index: int, lang: str) -> str:
        """The display of answer option ``index`` in ``lang``, else its base display or code."""
        texts = self.option_translations[index] if index < len(self.option_translations) else {}
        found = texts.get(lang) or texts.get(lang.split("-")[0])
        if found:
            return found
        value = self.answer_options[index]
        if value.kind == "Coding":
            return value.value.display or value.value.code or ""
        return str(value.value)

    def walk(self) -> Iterator[Item]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class QuestionnaireDefinition:
    url: str | None
    items: list[Item]
    by_link_id: dict[str, Item]
    title: str | None = None
    title_translations: dict[str, str] = field(default_factory=dict)
    version: str | None = None

    def title_in(self, lang: str) -> str | None:
        return self.title_translations.get(lang) or self.title_translations.get(lang.split("-")[0]) or self.title

    def walk(self) -> Iterator[Item]:
        for item in self.items:
            yield from item.walk()


def load_questionnaire(data: dict | str | bytes) -> QuestionnaireDefinition:
    """Check a Questionnaire (dict or JSON) and turn it into a ``QuestionnaireDefinition``."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise QuestionnaireInvalid(f"Not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise QuestionnaireInvalid("A Questionnaire must be a JSON object.")
    try:
        Questionnaire.model_validate(data)
    except ValidationError as exc:
        raise QuestionnaireInvalid(f"Not a valid FHIR R4 Questionnaire: {exc}") from exc
    items = [_load_item(raw, path="item") for raw in data.get("item") or []]
    by_link_id: dict[str, Item] = {}
    for item in (node for top in items for node in top.walk()):
        if item.link_id in by_link_id:
            raise QuestionnaireInvalid(f"Duplicate linkId {item.link_id!r}.")
        by_link_id[item.link_id] = item
    definition = QuestionnaireDefinition(
        url=data.get("url"),
        items=items,
        by_link_id=by_link_id,
        title=data.get("title"),
        title_translations=_translations(data.get("_title")),
        version=data.get("version"),
    )
    _check_enable_when(definition)
    return definition


def _load_item(raw: dict, path: str) -> Item:
    link_id = raw["linkId"]
    where = f"{path}[linkId={link_id!r}]"
    item_type = raw["type"]
    if item_type not in SUPPORTED_TYPES:
        raise QuestionnaireInvalid(f"{where}: unsupported item type {item_type!r}.")
    extensions = {ext.get("url"): ext for ext in raw.get("extension") or []}
    try:
        options = [value_of(option, "value") for option in raw.get("answerOption") or []]
        initial = [value_of(entry, "value") for entry in raw.get("initial") or []]
        enable_when = [_load_enable_when(entry, where) for entry in raw.get("enableWhen") or []]
        min_value = value_of(extensions[EXT_MIN_VALUE], "value") if EXT_MIN_VALUE in extensions else None
        max_value = value_of(extensions[EXT_MAX_VALUE], "value") if EXT_MAX_VALUE in extensions else None
    except BadValue as exc:
        raise QuestionnaireInvalid(f"{where}: malformed value ({exc}).") from exc
    regex = extensions[EXT_REGEX].get("valueString") if EXT_REGEX in extensions else None
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise QuestionnaireInvalid(f"{where}: regex {regex!r} does not compile ({exc}).") from exc
    raw_options = raw.get("answerOption") or []
    max_size = extensions[EXT_MAX_SIZE].get("valueDecimal") if EXT_MAX_SIZE in extensions else None
    control = extensions.get(EXT_ITEM_CONTROL, {}).get("valueCodeableConcept", {}).get("coding") or [{}]
    return Item(
        link_id=link_id,
        type=item_type,
        text=raw.get("text"),
        required=bool(raw.get("required", False)),
        repeats=bool(raw.get("repeats", False)),
        read_only=bool(raw.get("readOnly", False)),
        max_length=raw.get("maxLength"),
        answer_options=[option for option in options if option is not None],
        initial=[value for value in initial if value is not None],
        enable_when=enable_when,
        enable_behavior=raw.get("enableBehavior", "all"),
        children=[_load_item(child, where) for child in raw.get("item") or []],
        min_value=min_value,
        max_value=max_value,
        regex=regex,
        translations=_translations(raw.get("_text")),
        option_translations=[
            _translations((option.get("valueCoding") or {}).get("_display") or option.get("_valueString"))
            for option in raw_options
            if value_of(option, "value") is not None
        ],
        max_size=int(max_size) if max_size is not None else None,
        mime_types=[ext["valueCode"] for ext in raw.get("extension") or [] if ext.get("url") == EXT_MIME_TYPE],
        unit_options=[
            Coding(c.get("system"), c.get("code"), c.get("display"))
            for ext in raw.get("extension") or []
            if ext.get("url") == EXT_UNIT_OPTION
            for c in [ext.get("valueCoding") or {}]
        ],
        item_control=control[0].get("code"),
        prefill=_prefill_key(extensions, where),
    )


def _prefill_key(extensions: dict[str, dict], where: str) -> str | None:
    if EXT_PREFILL not in extensions:
        return None
    key = extensions[EXT_PREFILL].get("valueCode")
    if key not in PREFILL_KEYS:
        raise QuestionnaireInvalid(f"{where}: unknown prefill key {key!r}.")
    return key


def _load_enable_when(raw: dict, where: str) -> EnableWhen:
    operator = raw["operator"]
    if operator not in OPERATORS:
        raise QuestionnaireInvalid(f"{where}: unknown enableWhen operator {operator!r}.")
    answer = value_of(raw, "answer")
    if answer is None:
        raise QuestionnaireInvalid(f"{where}: enableWhen without answer[x].")
    if operator == "exists" and answer.kind != "Boolean":
        raise QuestionnaireInvalid(f"{where}: enableWhen 'exists' needs answerBoolean.")
    return EnableWhen(question=raw["question"], operator=operator, answer=answer)


def _translations(element: dict | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for ext in (element or {}).get("extension") or []:
        if ext.get("url") != EXT_TRANSLATION:
            continue
        parts = {sub.get("url"): sub for sub in ext.get("extension") or []}
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if lang and content is not None:
            result[lang] = content
    return result


def _check_enable_when(definition: QuestionnaireDefinition) -> None:
    """Every enableWhen names a known question, and no item depends on itself (directly or not)."""
    for item in definition.walk():
        for condition in item.enable_when:
            target = definition.by_link_id.get(condition.question)
            if target is None:
                raise QuestionnaireInvalid(
                    f"Item {item.link_id!r}: enableWhen points to unknown linkId {condition.question!r}."
                )
            if not target.is_question:
                raise QuestionnaireInvalid(
                    f"Item {item.link_id!r}: enableWhen points to {target.type} item {target.link_id!r}."
                )
    # An item is disabled when an ancestor is; so it depends on its ancestors' conditions too.
    parents: dict[str, str] = {}
    for item in definition.walk():
        for child in item.children:
            parents[child.link_id] = item.link_id

    def depends_on(link_id: str) -> Iterator[str]:
        yield from (c.question for c in definition.by_link_id[link_id].enable_when)
        if link_id in parents:
            yield parents[link_id]

    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(link_id: str) -> None:
        state[link_id] = 1
        for other in depends_on(link_id):
            if state.get(other) == 1:
                raise QuestionnaireInvalid(f"enableWhen cycle through {link_id!r} and {other!r}.")
            if other not in state:
                visit(other)
        state[link_id] = 2

    for link_id in definition.by_link_id:
        if link_id not in state:
            visit(link_id)
