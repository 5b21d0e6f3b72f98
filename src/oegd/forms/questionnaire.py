"""Load a FHIR R4 Questionnaire into a small typed item tree.

The tree is what the rest of the form server works with: ``load_questionnaire`` checks the raw
resource with fhir.resources (R4B), then our own rules, and refuses anything else with
``QuestionnaireInvalid``. Answer values are normalised into plain Python values (see ``Value``).

Our rules, beyond what fhir.resources checks (it does not evaluate the FHIRPath invariants):

* linkIds are unique (que-2); only the item types in ``SUPPORTED_TYPES``; display items hold no
  items (que-1). ``required``/``repeats`` on display items are ignored rather than refused.
* enableWhen names an existing question (not a group or display), nothing depends on itself,
  directly or through its ancestors (an item is disabled with its ancestors); ``exists`` takes
  answerBoolean (que-7); other operators take an answer of the question's answer type (integer
  and decimal compare with each other, so do date and dateTime), and ``>``, ``<``, ``>=``, ``<=``
  are refused on booleans and codings, which have no order. A condition that can never be met
  is a mistake of the author, so it is refused when the form is saved, not discovered later.
* minValue/maxValue (SDC) only on integer, decimal, quantity (compared with the number of the
  quantity), date, dateTime and time items, with a value of a matching type, and min <= max.
* maxLength is not negative. It limits string, text, url and open-choice free text.
* regex (SDC) must compile and must not invite catastrophic backtracking: an unbounded repeat
  whose body can itself match the same text in several ways (a nested ``+``/``*`` or an
  alternation) is refused unless each round of the outer repeat starts or ends with a single
  character that nothing else in its body can match (``(\\.[a-z]+)*`` is fine, ``(\\w+\\s?)*``
  is not), and an alternation inside an unbounded repeat must have alternatives that start with
  different characters (``(x|x)+`` is refused, and so, a little too cautiously, is ``(a|ab)*``).
  Possessive quantifiers and atomic groups count as safe. The answers a regex sees are
  also bounded in length (``validation.REGEX_MAX_INPUT``), which caps the polynomial cases.
* answerValueSet is not expanded: a choice item without answerOption accepts any Coding.

Values (``parse_value``) follow FHIR JSON: integer is a 32-bit JSON integer (never a bool),
decimal a finite JSON number (a string that spells a FHIR decimal is accepted too, because Python
code writes ``Decimal`` that way), date/dateTime/time follow the FHIR patterns with ASCII digits
(dateTime with seconds and time zone optional, as HTML inputs send them). Strings are non-empty
and hold no control characters other than tab, CR and LF and no lone surrogates: PostgreSQL and
UTF-8 cannot store those, so they must be refused before anything is saved.
"""

from __future__ import annotations

import json
import re
import re._parser as sre_parse  # the stdlib's own regex parser, for the backtracking check
from collections.abc import Callable, Iterator
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
ORDER_OPERATORS = frozenset({">", "<", ">=", "<="})

# FHIR value[x] suffix -> kinds of value an item type takes in QuestionnaireResponse.item.answer.
# choice/open-choice: the types R4 allows for answerOption.value[x].
CHOICE_KINDS = frozenset({"Coding", "String", "Integer", "Date", "Time", "Reference"})
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
# Item types that take minValue/maxValue, and the value kinds the bound may have.
BOUND_KINDS: dict[str, frozenset[str]] = {
    "integer": frozenset({"Integer", "Decimal"}),
    "decimal": frozenset({"Integer", "Decimal"}),
    "quantity": frozenset({"Integer", "Decimal"}),
    "date": frozenset({"Date", "DateTime"}),
    "dateTime": frozenset({"Date", "DateTime"}),
    "time": frozenset({"Time"}),
}
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1  # FHIR integer is 32-bit signed

_DATE_RE = re.compile(r"[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?")
_DATETIME_RE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_TIME_RE = re.compile(r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?")
_DECIMAL_RE = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# C0 controls except tab/LF/CR, and lone surrogates: neither PostgreSQL nor UTF-8 can store them.
_UNSTORABLE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_MAX_NESTING = 8  # of the free-form dicts inside Attachment and Reference values


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
        """Same code, and the same system when both name one; a coding without code matches nothing."""
        if self.code is None or self.code != other.code:
            return False
        return self.system is None or other.system is None or self.system == other.system


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str | None = None
    system: str | None = None
    code: str | None = None

    def same_unit(self, other: Quantity) -> bool:
        """Whether the numbers compare; a quantity without unit and code (a bare bound) fits any unit."""
        if self.is_bare or other.is_bare:
            return True
        if self.code is not None or other.code is not None:
            return (self.system, self.code) == (other.system, other.code)
        return self.unit == other.unit

    @property
    def is_bare(self) -> bool:
        return self.unit is None and self.code is None


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
            if isinstance(raw, bool) or not isinstance(raw, int) or not INTEGER_MIN <= raw <= INTEGER_MAX:
                raise BadValue(kind)
            return Value(kind, raw)
        case "Decimal":
            return Value(kind, _decimal(raw))
        case "Date":
            if not isinstance(raw, str) or not _DATE_RE.fullmatch(raw) or raw.startswith("0000"):
                raise BadValue(kind)
            if len(raw) == 10:
                _parse_iso(date.fromisoformat, raw, kind)
            return Value(kind, raw)
        case "DateTime":
            if isinstance(raw, str) and _DATE_RE.fullmatch(raw) and not raw.startswith("0000"):
                return Value(kind, parse_value("Date", raw).value)
            if not isinstance(raw, str) or not _DATETIME_RE.fullmatch(raw):
                raise BadValue(kind)
            return Value(kind, _parse_iso(datetime.fromisoformat, raw, kind))
        case "Time":
            if not isinstance(raw, str) or not _TIME_RE.fullmatch(raw):
                raise BadValue(kind)
            return Value(kind, _parse_iso(time.fromisoformat, raw, kind))
        case "String":
            return Value(kind, _text(raw, kind))
        case "Uri":
            text = _text(raw, kind)
            if any(char.isspace() for char in text):
                raise BadValue(kind)
            return Value(kind, text)
        case "Coding":
            if not isinstance(raw, dict):
                raise BadValue(kind)
            system, code, display = (_optional_text(raw.get(key), kind) for key in ("system", "code", "display"))
            return Value(kind, Coding(system, code, display))
        case "Quantity":
            if not isinstance(raw, dict) or "value" not in raw:
                raise BadValue(kind)
            unit, system, code = (_optional_text(raw.get(key), kind) for key in ("unit", "system", "code"))
            return Value(kind, Quantity(_decimal(raw["value"]), unit, system, code))
        case "Attachment" | "Reference":
            if not isinstance(raw, dict) or not _storable(raw, depth=0):
                raise BadValue(kind)
            return Value(kind, raw)
    raise BadValue(kind)


def _decimal(raw: Any) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise BadValue("Decimal")
    if isinstance(raw, str) and not _DECIMAL_RE.fullmatch(raw):
        raise BadValue("Decimal")
    try:
        number = Decimal(raw) if isinstance(raw, int | str) else Decimal(str(raw))
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise BadValue("Decimal") from exc
    if not number.is_finite():
        raise BadValue("Decimal")
    return number


def _text(raw: Any, kind: str) -> str:
    if not isinstance(raw, str) or not raw or _UNSTORABLE_RE.search(raw):
        raise BadValue(kind)
    return raw


def _optional_text(raw: Any, kind: str) -> str | None:
    return None if raw is None else _text(raw, kind)


def _storable(raw: Any, depth: int) -> bool:
    """Whether a free-form JSON value (Attachment, Reference) is shallow and holds only storable text."""
    if depth > _MAX_NESTING:
        return False
    if isinstance(raw, str):
        return not _UNSTORABLE_RE.search(raw)
    if isinstance(raw, float):
        return raw == raw and raw not in (float("inf"), float("-inf"))
    if isinstance(raw, dict):
        return all(isinstance(key, str) and _storable(value, depth + 1) for key, value in raw.items())
    if isinstance(raw, list):
        return all(_storable(value, depth + 1) for value in raw)
    return raw is None or isinstance(raw, bool | int)


def _parse_iso[T](parser: Callable[[str], T], raw: str, kind: str) -> T:
    try:
        return parser(raw)
    except ValueError as exc:
        raise BadValue(kind) from exc


def value_of(element: Any, prefix: str) -> Value | None:
    """The single ``<prefix><Kind>`` entry of a FHIR element (e.g. "answerInteger"), or None."""
    if not isinstance(element, dict):
        raise BadValue(prefix)
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


def load_questionnaire(data: dict[str, Any] | str | bytes) -> QuestionnaireDefinition:
    """Check a Questionnaire (dict or JSON) and turn it into a ``QuestionnaireDefinition``."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:
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
        title_translations=translations_of(data.get("_title")),
        version=data.get("version"),
    )
    _check_enable_when(definition)
    return definition


def _load_item(raw: dict[str, Any], path: str) -> Item:
    link_id = raw["linkId"]
    where = f"{path}[linkId={link_id!r}]"
    item_type = raw["type"]
    if item_type not in SUPPORTED_TYPES:
        raise QuestionnaireInvalid(f"{where}: unsupported item type {item_type!r}.")
    if item_type == "display" and raw.get("item"):
        raise QuestionnaireInvalid(f"{where}: a display item cannot hold other items.")
    extensions = {ext.get("url"): ext for ext in raw.get("extension") or []}
    try:
        raw_options = [option for option in raw.get("answerOption") or [] if value_of(option, "value") is not None]
        options = [value_of(option, "value") for option in raw_options]
        initial = [value_of(entry, "value") for entry in raw.get("initial") or []]
        enable_when = [_load_enable_when(entry, where) for entry in raw.get("enableWhen") or []]
        min_value = value_of(extensions[EXT_MIN_VALUE], "value") if EXT_MIN_VALUE in extensions else None
        max_value = value_of(extensions[EXT_MAX_VALUE], "value") if EXT_MAX_VALUE in extensions else None
    except BadValue as exc:
        raise QuestionnaireInvalid(f"{where}: malformed value ({exc}).") from exc
    _check_bounds(item_type, min_value, max_value, where)
    max_length = raw.get("maxLength")
    if max_length is not None and max_length < 0:
        raise QuestionnaireInvalid(f"{where}: maxLength must not be negative.")
    regex = extensions[EXT_REGEX].get("valueString") if EXT_REGEX in extensions else None
    if regex is not None:
        try:
            re.compile(regex)
        except re.error as exc:
            raise QuestionnaireInvalid(f"{where}: regex {regex!r} does not compile ({exc}).") from exc
        risk = backtracking_risk(regex)
        if risk:
            raise QuestionnaireInvalid(f"{where}: regex {regex!r} {risk}")
    control = extensions.get(EXT_ITEM_CONTROL, {}).get("valueCodeableConcept", {}).get("coding") or [{}]
    return Item(
        link_id=link_id,
        type=item_type,
        text=raw.get("text"),
        required=bool(raw.get("required", False)),
        repeats=bool(raw.get("repeats", False)),
        read_only=bool(raw.get("readOnly", False)),
        max_length=max_length,
        answer_options=[option for option in options if option is not None],
        initial=[value for value in initial if value is not None],
        enable_when=enable_when,
        enable_behavior=raw.get("enableBehavior", "all"),
        children=[_load_item(child, where) for child in raw.get("item") or []],
        min_value=min_value,
        max_value=max_value,
        regex=regex,
        translations=translations_of(raw.get("_text")),
        option_translations=[
            translations_of((option.get("valueCoding") or {}).get("_display") or option.get("_valueString"))
            for option in raw_options
        ],
        max_size=_max_size(extensions.get(EXT_MAX_SIZE), where),
        mime_types=[
            ext["valueCode"]
            for ext in raw.get("extension") or []
            if ext.get("url") == EXT_MIME_TYPE and isinstance(ext.get("valueCode"), str)
        ],
        unit_options=[
            Coding(c.get("system"), c.get("code"), c.get("display"))
            for ext in raw.get("extension") or []
            if ext.get("url") == EXT_UNIT_OPTION
            for c in [ext.get("valueCoding") or {}]
        ],
        item_control=control[0].get("code"),
        prefill=_prefill_key(extensions, where),
    )


def _check_bounds(item_type: str, min_value: Value | None, max_value: Value | None, where: str) -> None:
    """minValue/maxValue only where they compare with the answers, and not the wrong way round."""
    for bound in (min_value, max_value):
        if bound is not None and bound.kind not in BOUND_KINDS.get(item_type, frozenset()):
            raise QuestionnaireInvalid(f"{where}: a {bound.kind} minValue/maxValue does not fit a {item_type} item.")
    if min_value is not None and max_value is not None and compare(min_value, ">", max_value):
        raise QuestionnaireInvalid(f"{where}: minValue is above maxValue.")


def _max_size(extension: dict[str, Any] | None, where: str) -> int | None:
    if extension is None:
        return None
    size = extension.get("valueDecimal", extension.get("valueInteger"))
    if size is None:
        return None
    try:
        number = _decimal(size)
    except BadValue as exc:
        raise QuestionnaireInvalid(f"{where}: maxSize must be a number.") from exc
    if number < 0 or number > 2**63:
        raise QuestionnaireInvalid(f"{where}: maxSize is out of range.")
    return int(number)


def _prefill_key(extensions: dict[str, dict[str, Any]], where: str) -> str | None:
    if EXT_PREFILL not in extensions:
        return None
    key = extensions[EXT_PREFILL].get("valueCode")
    if not isinstance(key, str) or key not in PREFILL_KEYS:
        raise QuestionnaireInvalid(f"{where}: unknown prefill key {key!r}.")
    return key


def _load_enable_when(raw: dict[str, Any], where: str) -> EnableWhen:
    operator = raw["operator"]
    if operator not in OPERATORS:
        raise QuestionnaireInvalid(f"{where}: unknown enableWhen operator {operator!r}.")
    answer = value_of(raw, "answer")
    if answer is None:
        raise QuestionnaireInvalid(f"{where}: enableWhen without answer[x].")
    if operator == "exists" and answer.kind != "Boolean":
        raise QuestionnaireInvalid(f"{where}: enableWhen 'exists' needs answerBoolean.")
    return EnableWhen(question=raw["question"], operator=operator, answer=answer)


def translations_of(element: dict[str, Any] | None) -> dict[str, str]:
    """{lang: content} of the FHIR translation extensions on a primitive's ``_element``."""
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


def comparable_kinds(item_type: str) -> frozenset[str]:
    """Value kinds an enableWhen answer (or a bound) may have to be compared with answers of ``item_type``."""
    kinds = set(ANSWER_KINDS.get(item_type, frozenset()))
    # R4 has no answerUri: url questions are compared with answerString.
    for family in ({"Integer", "Decimal"}, {"Date", "DateTime"}, {"Uri", "String"}):
        if kinds & family:
            kinds |= family
    return frozenset(kinds)


def _check_enable_when(definition: QuestionnaireDefinition) -> None:
    """Every enableWhen names a known question with a fitting answer, and nothing depends on itself."""
    for item in definition.walk():
        for condition in item.enable_when:
            target = definition.by_link_id.get(condition.question)
            where = f"Item {item.link_id!r}"
            if target is None:
                raise QuestionnaireInvalid(f"{where}: enableWhen points to unknown linkId {condition.question!r}.")
            if not target.is_question:
                raise QuestionnaireInvalid(f"{where}: enableWhen points to {target.type} item {target.link_id!r}.")
            if condition.operator == "exists":
                continue
            if condition.answer.kind not in comparable_kinds(target.type):
                raise QuestionnaireInvalid(
                    f"{where}: enableWhen compares {target.type} item {target.link_id!r} "
                    f"with a {condition.answer.kind}."
                )
            if condition.operator in ORDER_OPERATORS and condition.answer.kind in ("Boolean", "Coding", "Reference"):
                raise QuestionnaireInvalid(
                    f"{where}: {condition.answer.kind} answers have no order; use '=' or '!=' instead of "
                    f"{condition.operator!r}."
                )
    # An item is disabled when an ancestor is; so it depends on its ancestors' conditions too.
    parents: dict[str, str] = {}
    for item in definition.walk():
        for child in item.children:
            parents[child.link_id] = item.link_id

    def depends_on(link_id: str) -> list[str]:
        found = [c.question for c in definition.by_link_id[link_id].enable_when]
        if link_id in parents:
            found.append(parents[link_id])
        return found

    # Depth-first search without recursion, so that long chains of conditions cannot overflow the stack.
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    for start in definition.by_link_id:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(depends_on(start)))]
        while stack:
            link_id, pending = stack[-1]
            other = next(pending, None)
            if other is None:
                state[link_id] = 2
                stack.pop()
            elif state.get(other) == 1:
                raise QuestionnaireInvalid(f"enableWhen cycle through {link_id!r} and {other!r}.")
            elif other not in state:
                state[other] = 1
                stack.append((other, iter(depends_on(other))))


# --- catastrophic backtracking -------------------------------------------------------------

_REPEATS = (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT)
_CATEGORY_TESTS = {
    sre_parse.CATEGORY_DIGIT: re.compile(r"\d"),
    sre_parse.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    sre_parse.CATEGORY_SPACE: re.compile(r"\s"),
    sre_parse.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    sre_parse.CATEGORY_WORD: re.compile(r"\w"),
    sre_parse.CATEGORY_NOT_WORD: re.compile(r"\W"),
}


def backtracking_risk(pattern: str) -> str | None:
    """Why ``pattern`` may take exponential time on a hostile answer, or None if it looks safe.

    A heuristic on the parsed pattern (see the module docstring): it refuses nested unbounded
    repeats and repeated alternations unless a separator character makes each round unambiguous.
    """
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return "does not compile."
    try:
        _check_repeats(list(parsed))
    except _Risky as exc:
        return str(exc)
    return None


class _Risky(Exception):
    pass


def _check_repeats(sub: list[Any]) -> None:
    for op, av in sub:
        if op in _REPEATS:
            _low, high, body = av
            ambiguous_rounds = _ambiguous(list(body)) and not _has_separator(_unwrap(list(body)))
            if high > 1 and (ambiguous_rounds or _overlapping_branch(list(body))):
                raise _Risky(
                    "can take exponential time: a repeated part can match the same text in several ways "
                    "(nested '+'/'*' or an alternation inside a repeat). Make the inner repeat possessive "
                    "('++', '*+') or separate the rounds by a character the rest cannot match."
                )
            _check_repeats(list(body))
        else:
            for child in _subpatterns(op, av):
                _check_repeats(child)


def _subpatterns(op: Any, av: Any) -> list[list[Any]]:
    """The nested pattern lists of one parsed element (groups, branches, lookarounds, repeats)."""
    if op in _REPEATS or op == sre_parse.POSSESSIVE_REPEAT:
        return [list(av[2])]
    if op == sre_parse.SUBPATTERN:
        return [list(av[3])]
    if op == sre_parse.ATOMIC_GROUP:
        return [list(av)]
    if op == sre_parse.BRANCH:
        return [list(alternative) for alternative in av[1]]
    if op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
        return [list(av[1])]
    if op == sre_parse.GROUPREF_EXISTS:
        return [list(part) for part in av[1:] if part is not None]
    return []


def _unwrap(body: list[Any]) -> list[Any]:
    """The content of a body that is just one group: ``(?:...)`` around a repeat's body."""
    while len(body) == 1 and body[0][0] == sre_parse.SUBPATTERN:
        body = list(body[0][1][3])
    return body


def _ambiguous(sub: list[Any]) -> bool:
    """Whether ``sub`` holds an unbounded repeat that is not possessive or atomic (alternations: see below)."""
    for op, av in sub:
        if op in _REPEATS and av[1] > 1:
            return True
        if op in (sre_parse.POSSESSIVE_REPEAT, sre_parse.ATOMIC_GROUP):
            continue
        if any(_ambiguous(child) for child in _subpatterns(op, av)):
            return True
    return False


def _overlapping_branch(sub: list[Any]) -> bool:
    """Whether an alternation in ``sub`` has two alternatives that can start alike (or an empty one)."""
    for op, av in sub:
        if op in (sre_parse.POSSESSIVE_REPEAT, sre_parse.ATOMIC_GROUP):
            continue
        if op == sre_parse.BRANCH:
            found = [_first_atom(list(alternative)) for alternative in av[1]]
            firsts = [first for first in found if first is not None]
            if len(firsts) < len(found):
                return True
            for index, first in enumerate(firsts):
                if any(_atoms_overlap(first, other) for other in firsts[index + 1 :]):
                    return True
        if any(_overlapping_branch(child) for child in _subpatterns(op, av)):
            return True
    return False


def _first_atom(sub: list[Any]) -> tuple[Any, Any] | None:
    """The element that matches the first character of ``sub``, or None when that is not plain."""
    for op, av in sub:
        if op in (sre_parse.LITERAL, sre_parse.IN, sre_parse.NOT_LITERAL, sre_parse.ANY):
            return op, av
        if op == sre_parse.SUBPATTERN:
            return _first_atom(list(av[3]))
        if (op in _REPEATS or op == sre_parse.POSSESSIVE_REPEAT) and av[0] >= 1:
            return _first_atom(list(av[2]))
        if op not in (sre_parse.ASSERT, sre_parse.ASSERT_NOT, sre_parse.AT):
            return None
    return None


def _atoms_overlap(left: tuple[Any, Any], right: tuple[Any, Any]) -> bool:
    plain = (sre_parse.LITERAL, sre_parse.IN)
    if left[0] not in plain or right[0] not in plain:
        return True
    return any(_matches(right, char) for char in _sample_chars(left)) or any(
        _matches(left, char) for char in _sample_chars(right)
    )


def _has_separator(body: list[Any]) -> bool:
    """Whether the first or last element of ``body`` is one character nothing else in ``body`` matches."""
    for index in {0, len(body) - 1}:
        if not body or body[index][0] not in (sre_parse.LITERAL, sre_parse.IN):
            continue
        separator = body[index]
        others = [element for position, element in enumerate(body) if position != index]
        chars = _sample_chars(separator)
        if chars and not any(_matches(element, char) for char in chars for element in _atoms(others)):
            return True
    return False


def _atoms(sub: list[Any]) -> Iterator[tuple[Any, Any]]:
    for op, av in sub:
        if op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT, sre_parse.AT):
            continue  # consume nothing
        children = _subpatterns(op, av)
        if children:
            for child in children:
                yield from _atoms(child)
        else:
            yield op, av


def _sample_chars(element: tuple[Any, Any]) -> list[str]:
    """The characters a separator matches, among Latin-1 and the ones it names (good enough here)."""
    op, av = element
    if op == sre_parse.LITERAL:
        return [chr(av)]
    named = [chr(v) for o, v in av if o == sre_parse.LITERAL]
    return [char for char in {*map(chr, range(256)), *named} if _matches(element, char)]


def _matches(element: tuple[Any, Any], char: str) -> bool:
    """Whether the single-character element can match ``char`` (unknown elements: assume yes)."""
    op, av = element
    variants = {char, char.lower(), char.upper()}  # case-insensitive flags are not tracked: be cautious
    if op == sre_parse.LITERAL:
        return chr(av) in variants
    if op == sre_parse.NOT_LITERAL:
        return variants != {chr(av)}
    if op == sre_parse.IN:
        negate = bool(av) and av[0][0] == sre_parse.NEGATE
        items = av[1:] if negate else av
        if negate:  # matches unless every variant is in the class
            return not all(any(_in_item(o, v, c) for o, v in items) for c in variants)
        return any(_in_item(o, v, c) for o, v in items for c in variants)
    return True  # ANY, backreferences and the like


def _in_item(op: Any, av: Any, char: str) -> bool:
    if op == sre_parse.LITERAL:
        return chr(av) == char
    if op == sre_parse.RANGE:
        return av[0] <= ord(char) <= av[1]
    if op == sre_parse.CATEGORY:
        test = _CATEGORY_TESTS.get(av)
        return test is None or bool(test.match(char))
    return True


# --- comparing values ----------------------------------------------------------------------

_NUMERIC = ("Integer", "Decimal")
_CALENDAR = ("Date", "DateTime")
_TEXT = ("String", "Uri")


def _ordered(left: Value, right: Value) -> tuple[Any, Any] | None:
    """The two values as mutually comparable Python objects, or None if they cannot be ordered."""
    if left.kind in _NUMERIC and right.kind in _NUMERIC:
        return Decimal(left.value), Decimal(right.value)
    if left.kind == "Quantity" and right.kind in _NUMERIC:  # a bare number bounds a quantity's number
        return left.value.value, Decimal(right.value)
    if left.kind in _NUMERIC and right.kind == "Quantity":
        return Decimal(left.value), right.value.value
    if left.kind in _CALENDAR and right.kind in _CALENDAR:
        return _ordered_calendar(left.value, right.value)
    if left.kind in _TEXT and right.kind in _TEXT:
        return left.value, right.value
    if left.kind != right.kind:
        return None
    if left.kind == "Quantity":
        return (left.value.value, right.value.value) if left.value.same_unit(right.value) else None
    if left.kind == "Time":
        return left.value, right.value
    return None


def _ordered_calendar(left: str | datetime, right: str | datetime) -> tuple[Any, Any] | None:
    """Dates and date-times, compared at the precision both have ("2023" < "2024-05-01").

    When they agree as far as the coarser one goes ("2024" and "2024-05-01", or a day and a time on
    that day) the order is undetermined: None.
    """
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left, right
    a = left if isinstance(left, str) else left.date().isoformat()
    b = right if isinstance(right, str) else right.date().isoformat()
    common = min(len(a), len(b))
    if a[:common] != b[:common]:
        return a[:common], b[:common]
    if len(a) == len(b) and isinstance(left, str) and isinstance(right, str):
        return a, b
    return None


def values_equal(left: Value, right: Value) -> bool:
    """Whether two values are equal in the sense of enableWhen "=" and answerOption matching."""
    if left.kind == "Coding" and right.kind == "Coding":
        return bool(left.value.matches(right.value))
    if left.kind == "Boolean" or right.kind == "Boolean":
        return left.kind == right.kind and left.value == right.value
    pair = _ordered(left, right)
    if pair is not None:
        return _safe(lambda: pair[0] == pair[1])
    return left.kind == right.kind and left.value == right.value


def compare(left: Value, operator: str, right: Value) -> bool:
    """``left <operator> right`` for enableWhen and min/max; values that do not compare give False."""
    if operator == "=":
        return values_equal(left, right)
    if operator == "!=":
        return not values_equal(left, right)
    pair = _ordered(left, right)
    if pair is None:
        return False
    a, b = pair
    checks: dict[str, Callable[[], bool]] = {
        ">": lambda: a > b,
        "<": lambda: a < b,
        ">=": lambda: a >= b,
        "<=": lambda: a <= b,
    }
    return _safe(checks[operator]) if operator in checks else False


def _safe(check: Callable[[], Any]) -> bool:
    try:
        return bool(check())
    except TypeError:  # e.g. naive against aware datetime
        return False
