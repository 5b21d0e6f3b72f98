"""Hypothesis strategies for FHIR Questionnaires and valid QuestionnaireResponses.

``forms()`` draws a random Questionnaire (every supported item type, groups nested up to three
levels, required/repeats/maxLength/minValue/maxValue/regex/answerOption, enableWhen with every
operator and both enableBehaviors pointing at earlier questions). ``cases(form)`` draws a valid
response for it, computed with an enableWhen evaluation of its own (``_Oracle``), so the tests
compare two independent readings of the rules. ``json_garbage()`` draws arbitrary JSON-ish values
shaped a little like a response. A benchmark can reuse all three.

To keep the oracle simple, questions inside repeating groups are never enableWhen targets (the
validator evaluates enableWhen over the whole response, without group context), and values that
are compared share one precision (whole dates, date-times in UTC with seconds, times with seconds).
"""

from __future__ import annotations

import operator as op
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from oegd.forms import questionnaire

EXT_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
EXT_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT_REGEX = "http://hl7.org/fhir/StructureDefinition/regex"
SYSTEM = "https://oegd.example/fhir/CodeSystem/test"
UCUM = "http://unitsofmeasure.org"

QUESTION_TYPES = tuple(sorted(questionnaire.QUESTION_TYPES))

# value[x] kind of the answers each question type gets here.
KIND = {
    "boolean": "Boolean",
    "decimal": "Decimal",
    "integer": "Integer",
    "date": "Date",
    "dateTime": "DateTime",
    "time": "Time",
    "string": "String",
    "text": "String",
    "url": "Uri",
    "choice": "Coding",
    "open-choice": "Coding",
    "attachment": "Attachment",
    "quantity": "Quantity",
}
ORDERED = ("=", "!=", ">", "<", ">=", "<=")
# Operators that make sense per type (besides "exists", which every question takes).
OPERATORS_FOR = {
    "boolean": ("=", "!="),
    "decimal": ORDERED,
    "integer": ORDERED,
    "date": ORDERED,
    "dateTime": ORDERED,
    "time": ORDERED,
    "string": ORDERED,
    "text": ("=", "!="),
    "url": ("=", "!="),
    "choice": ("=", "!="),
    "open-choice": ("=", "!="),
    "attachment": (),
    "quantity": ORDERED,
}
# Safe patterns (no nested repeats), each with the longest text it matches.
REGEXES = {"[0-9]{5}": 5, "[A-Z][a-z]{1,8}": 9, "[a-z]{1,5}(-[a-z]{1,5}){0,2}": 17}
CODES = ("a", "b", "c", "d")
FIRST_DAY = date(2024, 1, 1)


@dataclass
class Spec:
    """What the generator decided about one item; the Questionnaire JSON is built from it."""

    link_id: str
    type: str
    required: bool = False
    repeats: bool = False
    max_length: int | None = None
    min_index: int | None = None  # bounds as indexes into DOMAINS[type]
    max_index: int | None = None
    regex: str | None = None
    options: list[str] = field(default_factory=list)  # codes of valueCoding options
    enable_when: list[tuple[str, str, Any]] = field(default_factory=list)  # (question, operator, raw answer)
    enable_behavior: str = "all"
    children: list[Spec] = field(default_factory=list)
    in_repeating_group: bool = False

    @property
    def is_question(self) -> bool:
        return self.type in KIND

    def walk(self) -> Iterator[Spec]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Form:
    questionnaire: dict[str, Any]
    specs: list[Spec]

    @property
    def by_link_id(self) -> dict[str, Spec]:
        return {spec.link_id: spec for top in self.specs for spec in top.walk()}


@dataclass
class Case:
    """A form, a valid response, and where things are in it (for mutations).

    Paths are tuples of indexes into nested ``item`` lists: ``()`` is ``response["item"]``,
    ``(2,)`` is ``response["item"][2]["item"]`` (the children of the third entry).
    """

    form: Form
    response: dict[str, Any]
    answered: dict[str, list[tuple[int, ...]]]  # question linkId -> paths of its entries
    groups: dict[str, list[tuple[int, ...]]]  # group linkId -> paths of its entries
    containers: dict[str, list[tuple[int, ...]]]  # linkId -> paths of the lists where it may stand
    disabled: set[str]  # linkIds found disabled where the generator looked (not below omitted groups)
    enabled_displays: set[str] = field(default_factory=set)
    enabled: set[str] = field(default_factory=set)  # linkIds the oracle finds enabled, given the whole response


def entries_at(response: dict[str, Any], path: tuple[int, ...]) -> list[Any]:
    """The list of response items at ``path`` (see ``Case``)."""
    entries = response.setdefault("item", [])
    for index in path:
        entries = entries[index].setdefault("item", [])
    return entries


def entry_at(response: dict[str, Any], path: tuple[int, ...]) -> dict[str, Any]:
    return entries_at(response, path[:-1])[path[-1]]


# --- values --------------------------------------------------------------------------------
# Ordered value kinds are drawn as an index into a small domain (so that equal values and values
# on a bound are frequent) and mapped to their JSON; bounds are indexes too.


def _quantity(n: int) -> dict[str, Any]:
    return {"value": n / 4, "unit": "kg", "system": UCUM, "code": "kg"}


DOMAINS: dict[str, tuple[int, int, Any]] = {
    "integer": (-20, 20, lambda n: n),
    "decimal": (-80, 80, lambda n: n / 4),
    "quantity": (-80, 80, _quantity),
    "date": (0, 40, lambda n: (FIRST_DAY + timedelta(days=n)).isoformat()),
    "dateTime": (
        0,
        40 * 24,
        lambda n: (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ),
    "time": (0, 24 * 4 - 1, lambda n: time(n // 4, (n % 4) * 15).isoformat()),
}
_safe_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("C", "Z")) | st.just(" "), min_size=1, max_size=20
).filter(lambda text: text.strip() == text)
_short_text = st.text(alphabet="ab", min_size=1, max_size=3)


def key(kind: str, raw: Any) -> Any:
    """A Python value that orders like the FHIR value (the oracle's view)."""
    if kind in ("Integer", "Decimal"):
        return Decimal(str(raw))
    if kind == "Quantity":
        return Decimal(str(raw["value"]))
    if kind == "Coding":
        return raw["code"]
    return raw


def bound_json(spec: Spec, index: int) -> Any:
    """The JSON of a minValue/maxValue at domain ``index`` (a quantity is bounded by a bare decimal)."""
    value = DOMAINS[spec.type][2](index)
    return value["value"] if spec.type == "quantity" else value


def raw_values(spec: Spec, *, constrained: bool = True) -> st.SearchStrategy[Any]:
    """JSON of a value[x] of the spec's kind; inside its constraints when ``constrained``."""
    if spec.type in DOMAINS:
        low, high, to_json = DOMAINS[spec.type]
        if constrained:
            low = low if spec.min_index is None else spec.min_index
            high = high if spec.max_index is None else spec.max_index
        return st.integers(low, high).map(to_json)
    match spec.type:
        case "boolean":
            return st.booleans()
        case "string" | "text":
            if constrained and spec.regex is not None:
                return st.from_regex(spec.regex, fullmatch=True)
            return st.one_of(_short_text, _safe_text)  # at most 20 characters: within every maxLength here
        case "url":
            return st.text(alphabet="abc", min_size=1, max_size=8).map(lambda path: f"https://example.org/{path}")
        case "choice" | "open-choice":
            codes = spec.options if constrained and spec.options else CODES
            return st.sampled_from(codes).map(lambda code: {"system": SYSTEM, "code": code})
        case "attachment":
            return st.just({"contentType": "application/pdf", "url": "https://example.org/a.pdf", "title": "a.pdf"})
    raise AssertionError(spec.type)


# --- questionnaires ------------------------------------------------------------------------


@st.composite
def _question(draw: st.DrawFn, link_id: str) -> Spec:
    item_type = draw(st.sampled_from(QUESTION_TYPES))
    spec = Spec(link_id=link_id, type=item_type, required=draw(st.booleans()), repeats=draw(st.booleans()))
    if item_type in ("string", "text", "url", "open-choice") and draw(st.booleans()):
        spec.max_length = draw(st.integers(20, 60))
    if item_type in ("string", "text") and draw(st.booleans()):
        spec.regex = draw(st.sampled_from(sorted(REGEXES)))
    if item_type in ("choice", "open-choice"):
        spec.options = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
    if item_type in DOMAINS:
        low, high, _to_json = DOMAINS[item_type]
        bounds = sorted(draw(st.lists(st.integers(low, high), min_size=2, max_size=2)))
        if draw(st.booleans()):
            spec.min_index = bounds[0]
        if draw(st.booleans()):
            spec.max_index = bounds[1]
    return spec


@st.composite
def _conditions(draw: st.DrawFn, spec: Spec, targets: list[Spec]) -> None:
    eligible = [t for t in targets if not t.in_repeating_group]
    if not eligible or not draw(st.integers(0, 2)):
        return
    for _ in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(eligible))
        operators = ("exists", *OPERATORS_FOR[target.type])
        operator = draw(st.sampled_from(operators))
        if operator == "exists":
            answer: Any = draw(st.booleans())
        else:
            answer = draw(_short_text if target.type == "string" else raw_values(target))
        spec.enable_when.append((target.link_id, operator, answer))
    if len(spec.enable_when) > 1:
        spec.enable_behavior = draw(st.sampled_from(("all", "any")))


@st.composite
def _items(draw: st.DrawFn, depth: int, counter: list[int], targets: list[Spec], in_repeating: bool) -> list[Spec]:
    specs: list[Spec] = []
    for _ in range(draw(st.integers(1, 4 if depth else 6))):
        counter[0] += 1
        link_id = f"q{counter[0]}"
        kind = draw(st.sampled_from(("question",) * 6 + ("group",) * (2 if depth < 3 else 0) + ("display",)))
        if kind == "question":
            spec = draw(_question(link_id))
        elif kind == "display":
            spec = Spec(link_id=link_id, type="display")
        else:
            spec = Spec(link_id=link_id, type="group", required=draw(st.booleans()), repeats=draw(st.booleans()))
        draw(_conditions(spec, targets))
        spec.in_repeating_group = in_repeating
        if spec.type == "group":
            repeating = in_repeating or spec.repeats
            if spec.required:  # a required group can always be satisfied: its first child is a plain required question
                counter[0] += 1
                first = draw(_question(f"q{counter[0]}"))
                first.required, first.in_repeating_group = True, repeating
                spec.children.append(first)
                if not repeating:
                    targets.append(first)
            spec.children += draw(_items(depth + 1, counter, targets, repeating))
        elif spec.is_question and not in_repeating:
            targets.append(spec)
        specs.append(spec)
    return specs


def _answer_json(kind: str, raw: Any) -> dict[str, Any]:
    return {f"value{kind}": raw}


def item_json(spec: Spec, by_link_id: dict[str, Spec]) -> dict[str, Any]:
    """The Questionnaire.item for ``spec``."""
    raw: dict[str, Any] = {"linkId": spec.link_id, "type": spec.type, "text": f"Item {spec.link_id}"}
    if spec.required:
        raw["required"] = True
    if spec.repeats:
        raw["repeats"] = True
    if spec.max_length is not None:
        raw["maxLength"] = spec.max_length
    extensions: list[dict[str, Any]] = []
    bound_kind = "Decimal" if spec.type == "quantity" else KIND.get(spec.type, "")
    if spec.min_index is not None:
        extensions.append({"url": EXT_MIN, f"value{bound_kind}": bound_json(spec, spec.min_index)})
    if spec.max_index is not None:
        extensions.append({"url": EXT_MAX, f"value{bound_kind}": bound_json(spec, spec.max_index)})
    if spec.regex is not None:
        extensions.append({"url": EXT_REGEX, "valueString": spec.regex})
    if extensions:
        raw["extension"] = extensions
    if spec.options:
        raw["answerOption"] = [
            {"valueCoding": {"system": SYSTEM, "code": code, "display": code.upper()}} for code in spec.options
        ]
    if spec.enable_when:
        raw["enableWhen"] = []
        for question, operator, answer in spec.enable_when:
            kind = "Boolean" if operator == "exists" else KIND[by_link_id[question].type]
            kind = "String" if kind == "Uri" else kind  # R4 has no answerUri
            raw["enableWhen"].append({"question": question, "operator": operator, f"answer{kind}": answer})
        if len(spec.enable_when) > 1:
            raw["enableBehavior"] = spec.enable_behavior
    if spec.children:
        raw["item"] = [item_json(child, by_link_id) for child in spec.children]
    return raw


@st.composite
def forms(draw: st.DrawFn) -> Form:
    """A random Questionnaire that ``load_questionnaire`` and fhir.resources accept."""
    specs = draw(_items(0, [0], [], False))
    by_link_id = {spec.link_id: spec for top in specs for spec in top.walk()}
    questionnaire = {
        "resourceType": "Questionnaire",
        "status": "active",
        "url": "https://oegd.example/fhir/Questionnaire/generated",
        "item": [item_json(spec, by_link_id) for spec in specs],
    }
    return Form(questionnaire=questionnaire, specs=specs)


# --- valid responses -----------------------------------------------------------------------

_COMPARE = {"=": op.eq, "!=": op.ne, ">": op.gt, "<": op.lt, ">=": op.ge, "<=": op.le}


class _Oracle:
    """enableWhen as the module docstring of validation.py describes it, written independently."""

    def __init__(self, form: Form):
        self.by_link_id = form.by_link_id
        self.parents = {child.link_id: spec for spec in self.by_link_id.values() for child in spec.children}
        self.answers: dict[str, list[Any]] = {}
        self.enabled: dict[str, bool] = {}

    def is_enabled(self, spec: Spec) -> bool:
        if spec.link_id not in self.enabled:
            parent = self.parents.get(spec.link_id)
            own = [self._met(*condition) for condition in spec.enable_when]
            met = not own or (any(own) if spec.enable_behavior == "any" else all(own))
            self.enabled[spec.link_id] = (parent is None or self.is_enabled(parent)) and met
        return self.enabled[spec.link_id]

    def _met(self, question: str, operator: str, answer: Any) -> bool:
        target = self.by_link_id[question]
        given = self.answers.get(question, []) if self.is_enabled(target) else []
        if operator == "exists":
            return bool(given) == answer
        expected = key(KIND[target.type], answer)
        if operator == "!=":
            return bool(given) and all(value != expected for value in given)
        return any(_COMPARE[operator](value, expected) for value in given)


@st.composite
def cases(draw: st.DrawFn, form: Form) -> Case:
    """A valid response to ``form``: only enabled items answered, required ones always, values in range."""
    oracle = _Oracle(form)
    response: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": "completed", "item": []}
    case = Case(form=form, response=response, answered={}, groups={}, containers={}, disabled=set())

    def level(specs: list[Spec], entries: list[dict[str, Any]], path: tuple[int, ...]) -> None:
        for spec in specs:
            case.containers.setdefault(spec.link_id, []).append(path)
            if not oracle.is_enabled(spec):
                case.disabled.update(node.link_id for node in spec.walk())
                continue
            if spec.type == "display":
                case.enabled_displays.add(spec.link_id)
            elif spec.type == "group":
                if not (spec.required or draw(st.booleans())):
                    continue
                for _ in range(draw(st.integers(1, 2)) if spec.repeats else 1):
                    entry: dict[str, Any] = {"linkId": spec.link_id, "item": []}
                    entries.append(entry)
                    here = (*path, len(entries) - 1)
                    case.groups.setdefault(spec.link_id, []).append(here)
                    level(spec.children, entry["item"], here)
                    if not entry["item"]:
                        del entry["item"]
            elif spec.required or draw(st.booleans()):
                values = draw(st.lists(raw_values(spec), min_size=1, max_size=3 if spec.repeats else 1))
                kind = KIND[spec.type]
                entries.append({"linkId": spec.link_id, "answer": [_answer_json(kind, value) for value in values]})
                case.answered.setdefault(spec.link_id, []).append((*path, len(entries) - 1))
                oracle.answers.setdefault(spec.link_id, []).extend(key(kind, value) for value in values)

    level(form.specs, response["item"], ())
    case.enabled = {link_id for link_id, spec in form.by_link_id.items() if oracle.is_enabled(spec)}
    if not response["item"]:
        del response["item"]
    return case


# --- garbage -------------------------------------------------------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["", "q1", "q2", "q3", "2024-01-01", "10:00", "\x00", "\ud800"]),
)
_keys = st.sampled_from(
    ["linkId", "answer", "item", "valueInteger", "valueString", "valueCoding", "valueDecimal", "valueBoolean"]
    + ["valueDate", "valueDateTime", "valueTime", "valueQuantity", "valueAttachment", "valueUri", "code", "value"]
) | st.text(max_size=5)


def json_garbage() -> st.SearchStrategy[Any]:
    """Arbitrary JSON-ish values, biased towards the keys and linkIds of a response."""
    return st.recursive(
        _json_scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=4),
        max_leaves=30,
    )
