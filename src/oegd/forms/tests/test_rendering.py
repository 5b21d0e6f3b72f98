"""Questionnaire pages rendered to HTML and posted back (rendering.py), checked without a browser.

The rendered HTML is parsed with the standard library; ``submit`` plays the browser: it collects
what a form posts (enabled named controls, checked boxes, selected options) into a QueryDict.
"""

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.http import QueryDict

from oegd.forms.questionnaire import load_questionnaire
from oegd.forms.rendering import (
    InputIssue,
    answers_from_post,
    error_summary,
    initial_items,
    merge_page,
    page_is_answered,
    page_is_enabled,
    page_issues,
    pages_of,
    progress,
    render_page,
)
from oegd.forms.validation import ValidationIssue, prune_disabled, validate_response

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
MIME = "http://hl7.org/fhir/StructureDefinition/mimeType"
MAX_SIZE = "http://hl7.org/fhir/StructureDefinition/maxSize"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption"
CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
PREFILL = "https://oegd.example/fhir/StructureDefinition/prefill"
SYSTEM = "https://oegd.example/codes"


def tr(text):
    """A translation extension (``_text``/``_display``) carrying the Turkish text."""
    return {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [{"url": "lang", "valueCode": "tr"}, {"url": "content", "valueString": text}],
            }
        ]
    }


def coding(code, display, turkish=None):
    option = {"valueCoding": {"system": SYSTEM, "code": code, "display": display}}
    if turkish:
        option["valueCoding"]["_display"] = tr(turkish)
    return option


def ext(url, **value):
    return {"url": url, **value}


def control(code):
    return ext(
        CONTROL,
        valueCodeableConcept={"coding": [{"system": "http://hl7.org/fhir/questionnaire-item-control", "code": code}]},
    )


QUESTIONNAIRE = {
    "resourceType": "Questionnaire",
    "status": "active",
    "item": [
        {"linkId": "intro", "type": "display", "text": "Welcome <script>alert(1)</script>"},
        {
            "linkId": "name",
            "type": "string",
            "text": "Your name",
            "_text": tr("Adınız"),
            "required": True,
            "maxLength": 40,
            "extension": [ext(PREFILL, valueCode="full_name")],
        },
        {
            "linkId": "postal",
            "type": "string",
            "text": "Postal code",
            "extension": [ext(PREFILL, valueCode="postal_code")],
        },
        {
            "linkId": "office",
            "type": "string",
            "text": "Responsible office",
            "readOnly": True,
            "initial": [{"valueString": "Gesundheitsamt Musterstadt"}],
        },
        {
            "linkId": "age",
            "type": "integer",
            "text": "Age",
            "extension": [ext(MIN, valueInteger=0), ext(MAX, valueInteger=120)],
        },
        {"linkId": "height", "type": "decimal", "text": "Height in metres"},
        {"linkId": "birth", "type": "date", "text": "Date of birth", "required": True},
        {"linkId": "visit", "type": "dateTime", "text": "Last visit"},
        {"linkId": "wake", "type": "time", "text": "Wakes up at"},
        {"linkId": "homepage", "type": "url", "text": "Web page"},
        {"linkId": "notes", "type": "text", "text": "Notes"},
        {"linkId": "consent", "type": "boolean", "text": "I agree", "required": True},
        {
            "linkId": "health",
            "type": "group",
            "text": "Health",
            "_text": tr("Sağlık"),
            "required": True,
            "item": [
                {
                    "linkId": "sex",
                    "type": "choice",
                    "text": "Sex",
                    "answerOption": [
                        coding("f", "female", "kadın"),
                        coding("m", "male", "erkek"),
                        coding("d", "diverse <b>x</b>"),
                    ],
                },
                {
                    "linkId": "country",
                    "type": "choice",
                    "text": "Country of birth",
                    "answerOption": [{"valueString": f"Country {n}"} for n in range(9)],
                },
                {
                    "linkId": "school_year",
                    "type": "choice",
                    "text": "School year",
                    "extension": [control("drop-down")],
                    "answerOption": [{"valueInteger": 1}, {"valueInteger": 2}],
                },
                {
                    "linkId": "symptoms",
                    "type": "choice",
                    "text": "Symptoms",
                    "repeats": True,
                    "answerOption": [coding("fever", "Fever"), coding("cough", "Cough"), coding("rash", "Rash")],
                },
                {
                    "linkId": "language",
                    "type": "open-choice",
                    "text": "Language at home",
                    "answerOption": [coding("de", "German"), coding("tr", "Turkish")],
                },
                {"linkId": "allergy", "type": "boolean", "text": "Allergies?"},
                {
                    "linkId": "allergy_details",
                    "type": "text",
                    "text": "Which allergies?",
                    "required": True,
                    "enableWhen": [{"question": "allergy", "operator": "=", "answerBoolean": True}],
                },
                {
                    "linkId": "weight",
                    "type": "quantity",
                    "text": "Weight",
                    "extension": [
                        ext(UNIT, valueCoding={"system": "http://unitsofmeasure.org", "code": "kg", "display": "kg"}),
                        ext(UNIT, valueCoding={"system": "http://unitsofmeasure.org", "code": "g", "display": "g"}),
                    ],
                },
                {
                    "linkId": "contact",
                    "type": "group",
                    "text": "Contact",
                    "item": [
                        {"linkId": "phone", "type": "string", "text": "Phone", "repeats": True},
                        {
                            "linkId": "email",
                            "type": "string",
                            "text": "E-mail",
                            "required": True,
                            "extension": [ext(PREFILL, valueCode="email")],
                        },
                    ],
                },
            ],
        },
        {
            "linkId": "children",
            "type": "group",
            "text": "Child",
            "repeats": True,
            "item": [
                {"linkId": "child_name", "type": "string", "text": "Name of the child", "required": True},
                {"linkId": "child_birth", "type": "date", "text": "Child's date of birth"},
            ],
        },
        {
            "linkId": "documents",
            "type": "group",
            "text": "Documents",
            "item": [
                {
                    "linkId": "vaccination",
                    "type": "attachment",
                    "text": "Vaccination record",
                    "extension": [
                        ext(MIME, valueCode="application/pdf"),
                        ext(MIME, valueCode="image/jpeg"),
                        ext(MAX_SIZE, valueDecimal=5 * 1024 * 1024),
                    ],
                }
            ],
        },
    ],
}


# --- a small DOM and a browser's form submission ---------------------------------------------------

VOID = {"input", "br", "img", "hr", "meta", "link", "source", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children: list = []

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag=None, **attrs):
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and all(element.attrs.get(key.rstrip("_").replace("_", "-")) == value for key, value in attrs.items())
        ]

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def by_id(self, element_id):
        return self.find(id=element_id)

    @property
    def text(self):
        return "".join(child if isinstance(child, str) else child.text for child in self.children)

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        node = self.current
        while node.tag != tag:
            node = node.parent
            assert node is not None, f"unbalanced </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html):
    tree = Tree()
    tree.feed(str(html))
    tree.close()
    assert tree.current is tree.root, "unclosed elements"
    return tree.root


def submit(root):
    """What a browser posts for the page: enabled named controls with their current values."""
    data = QueryDict(mutable=True)
    for element in root.iter():
        name = element.attrs.get("name")
        if not name or "disabled" in element.attrs:
            continue
        if element.tag == "input":
            kind = element.attrs.get("type", "text")
            if kind in ("submit", "button", "file"):
                continue
            if kind in ("radio", "checkbox") and "checked" not in element.attrs:
                continue
            data.appendlist(name, element.attrs.get("value", "on"))
        elif element.tag == "textarea":
            data.appendlist(name, element.text.removeprefix("\n"))
        elif element.tag == "select":
            options = element.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            data.appendlist(name, chosen[0].attrs.get("value", chosen[0].text))
    return data


def post(**fields):
    data = QueryDict(mutable=True)
    for name, value in fields.items():
        name = name.replace("__", ":")
        for one in value if isinstance(value, list) else [value]:
            data.appendlist(name, one)
    return data


@pytest.fixture
def definition():
    return load_questionnaire(QUESTIONNAIRE)


@pytest.fixture
def pages(definition):
    return pages_of(definition)


def render(definition, page, items=(), issues=(), language="en", attachments=None):
    html = render_page(
        definition=definition,
        page=page,
        items=list(items),
        issues=list(issues),
        language=language,
        attachments=attachments,
    )
    return parse(html)


def answer(link_id, *answers, **extra):
    return {"linkId": link_id, "answer": list(answers), **extra}


PAGE1_ANSWERS = [
    answer("name", {"valueString": "Ayşe Öztürk"}),
    answer("postal", {"valueString": "12345"}),
    answer("office", {"valueString": "Gesundheitsamt Musterstadt"}),
    answer("age", {"valueInteger": 34}),
    answer("height", {"valueDecimal": 1.72}),
    answer("birth", {"valueDate": "1990-02-28"}),
    answer("visit", {"valueDateTime": "2024-07-01T10:30:00+02:00"}),
    answer("wake", {"valueTime": "06:45:00"}),
    answer("homepage", {"valueUri": "https://example.org/a?b=1"}),
    answer("notes", {"valueString": "first line\nsecond <line>"}),
    answer("consent", {"valueBoolean": True}),
]

HEALTH_ANSWERS = [
    {
        "linkId": "health",
        "item": [
            answer("sex", {"valueCoding": {"system": SYSTEM, "code": "f", "display": "female"}}),
            answer("country", {"valueString": "Country 7"}),
            answer("school_year", {"valueInteger": 2}),
            answer(
                "symptoms",
                {"valueCoding": {"system": SYSTEM, "code": "fever", "display": "Fever"}},
                {"valueCoding": {"system": SYSTEM, "code": "rash", "display": "Rash"}},
            ),
            answer("language", {"valueString": "Kurdish"}),
            answer("allergy", {"valueBoolean": True}),
            answer("allergy_details", {"valueString": "Peanuts"}),
            answer(
                "weight",
                {"valueQuantity": {"value": 12.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}},
            ),
            {
                "linkId": "contact",
                "item": [
                    answer("phone", {"valueString": "0151 1234"}, {"valueString": "030 9876"}),
                    answer("email", {"valueString": "a@example.org"}),
                ],
            },
        ],
    }
]


# --- pages ----------------------------------------------------------------------------------------


def test_pages_group_top_level_groups_and_gather_loose_questions(definition, pages):
    assert [[item.link_id for item in page.items] for page in pages] == [
        [
            "intro",
            "name",
            "postal",
            "office",
            "age",
            "height",
            "birth",
            "visit",
            "wake",
            "homepage",
            "notes",
            "consent",
        ],
        ["health"],
        ["children"],
        ["documents"],
    ]
    assert [page.index for page in pages] == [0, 1, 2, 3]
    assert pages[0].title_in("en") == "Questions"
    assert pages[1].title_in("en") == "Health"
    assert pages[1].title_in("tr") == "Sağlık"
    assert progress(pages, 1) == (2, 4)
    empty = load_questionnaire({"resourceType": "Questionnaire", "status": "active"})
    assert len(pages_of(empty)) == 1


def test_page_issues_and_page_state(definition, pages):
    issues = [ValidationIssue.make("email", "required"), ValidationIssue.make("name", "required")]
    assert [issue.link_id for issue in page_issues(definition, pages[1], issues)] == ["email"]
    assert page_is_answered(pages[1], HEALTH_ANSWERS)
    assert not page_is_answered(pages[2], HEALTH_ANSWERS)
    assert page_is_enabled(definition, pages[2], [])


# --- rendering ------------------------------------------------------------------------------------


def test_every_control_has_a_label_and_every_fieldset_a_legend(definition, pages):
    for page in pages:
        root = render(definition, page, [*PAGE1_ANSWERS, *HEALTH_ANSWERS])
        ids = [element.attrs["id"] for element in root.iter() if "id" in element.attrs]
        assert len(ids) == len(set(ids)), f"duplicate ids on page {page.index}"
        labels = {label.attrs.get("for") for label in root.find_all("label")}
        controls = [
            element
            for element in root.iter()
            if element.tag in ("input", "select", "textarea") and element.attrs.get("type") != "hidden"
        ]
        assert controls
        for element in controls:
            assert element.attrs.get("id") in labels, f"control {element.attrs} without label"
        for fieldset in root.find_all("fieldset"):
            legends = [child for child in fieldset.children if isinstance(child, Element) and child.tag == "legend"]
            assert legends and legends[0].text.strip(), f"fieldset {fieldset.attrs} without legend"


def test_question_kinds_render_as_the_right_controls(definition, pages):
    root = render(definition, pages[0])
    name = root.by_id("q-name")
    assert name.attrs["name"] == "q:name"
    assert "required" in name.attrs
    assert name.attrs["maxlength"] == "40"
    assert name.attrs["autocomplete"] == "name"
    assert root.find("label", for_="q-name").text.strip() == "Your name"
    assert root.by_id("q-postal").attrs["autocomplete"] == "postal-code"
    assert "(optional)" in root.find("label", for_="q-age").text
    assert "(optional)" not in root.find("label", for_="q-birth").text
    assert root.by_id("q-age").attrs["inputmode"] == "numeric"
    assert root.by_id("q-height").attrs["inputmode"] == "decimal"
    assert root.by_id("q-birth").attrs["type"] == "date"
    assert root.by_id("q-visit").attrs["type"] == "datetime-local"
    assert root.by_id("q-wake").attrs["type"] == "time"
    assert root.by_id("q-homepage").attrs["type"] == "url"
    assert root.by_id("q-notes").tag == "textarea"
    assert [radio.attrs["value"] for radio in root.by_id("q-consent").find_all("input")] == ["true", "false"]
    assert root.by_id("q-consent").find("legend").text.startswith("I agree")
    # Hints are tied to the input.
    hint = root.by_id("q-age:hint")
    assert hint.text == "Between 0 and 120."
    assert root.by_id("q-age").attrs["aria-describedby"] == "q-age:hint"
    assert root.by_id("q-name:hint").text == "At most 40 characters."
    # A read-only item shows its value as text, with no input to post.
    assert "Gesundheitsamt Musterstadt" in root.by_id("q-office").text
    assert not root.find_all("input", name="q:office")


def test_choices_radios_select_checkboxes_and_other(definition, pages):
    root = render(definition, pages[1], HEALTH_ANSWERS)
    sex = root.by_id("q-sex")
    assert sex.tag == "fieldset"
    radios = sex.find_all("input", type="radio")
    assert [radio.attrs["value"] for radio in radios] == ["0", "1", "2"]
    assert "checked" in radios[0].attrs
    assert root.by_id("q-country").tag == "select"  # nine options
    assert "selected" in root.by_id("q-country").find("option", value="7").attrs
    assert root.by_id("q-school_year").tag == "select"  # itemControl drop-down, only two options
    symptoms = root.by_id("q-symptoms").find_all("input")
    assert [box.attrs["type"] for box in symptoms] == ["checkbox"] * 3
    assert ["checked" in box.attrs for box in symptoms] == [True, False, True]
    language = root.by_id("q-language")
    assert "checked" in language.find("input", value="other").attrs
    assert root.by_id("q-language:other").attrs["value"] == "Kurdish"
    assert root.by_id("q-weight:value").attrs["value"] == "12.5"
    assert "selected" in root.by_id("q-weight:unit").find("option", value="0").attrs


def test_translations_in_turkish(definition, pages):
    root = render(definition, pages[0], language="tr")
    assert "Adınız" in root.find("label", for_="q-name").text
    health = render(definition, pages[1], language="tr")
    labels = [label.text for label in health.by_id("q-sex").find_all("label")]
    assert labels[:2] == ["kadın", "erkek"]


def test_definition_text_is_escaped(definition, pages):
    html = str(render_page(definition=definition, page=pages[0], items=[], issues=[], language="en"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    root = parse(html)
    assert not root.find_all("script")
    assert "Welcome <script>alert(1)</script>" in root.by_id("q-intro").text
    health = str(render_page(definition=definition, page=pages[1], items=[], issues=[], language="en"))
    assert "<b>x</b>" not in health
    assert "diverse &lt;b&gt;x&lt;/b&gt;" in health


def test_errors_are_tied_to_their_fields_and_listed_in_the_summary(definition, pages):
    issues = [ValidationIssue.make("birth", "required"), ValidationIssue.make("consent", "required")]
    root = render(definition, pages[0], issues=issues)
    birth = root.by_id("q-birth")
    assert birth.attrs["aria-invalid"] == "true"
    assert "q-birth:error" in birth.attrs["aria-describedby"].split()
    assert root.by_id("q-birth:error").text == "This answer is required."
    assert "kern-error" in root.by_id("q-birth:error").attrs["class"]
    consent = root.by_id("q-consent")
    assert consent.attrs["aria-describedby"] == "q-consent:error"
    assert all(radio.attrs["aria-invalid"] == "true" for radio in consent.find_all("input"))
    summary = error_summary(definition, issues, "en")
    assert summary == [
        ("q-birth", "Date of birth", "This answer is required."),
        ("q-consent", "I agree", "This answer is required."),
    ]
    for anchor, _label, _message in summary:
        assert root.by_id(anchor)


def test_disabled_items_are_hidden_and_carry_their_conditions(definition, pages):
    items = [{"linkId": "health", "item": [answer("allergy", {"valueBoolean": False})]}]
    root = render(definition, pages[1], items)
    details = root.find(data_item="allergy_details")
    assert "hidden" in details.attrs
    assert "disabled" in root.by_id("q-allergy_details").attrs
    spec = json.loads(details.attrs["data-enable-when"])
    assert spec["behavior"] == "all"
    assert spec["conditions"] == [
        {"question": "allergy", "operator": "=", "kind": "Boolean", "answer": True, "met": False}
    ]
    shown = render(definition, pages[1], HEALTH_ANSWERS).find(data_item="allergy_details")
    assert "hidden" not in shown.attrs
    assert "disabled" not in shown.find("textarea").attrs


def test_conditions_on_choices_name_the_matching_option_indices():
    definition = load_questionnaire(
        {
            "resourceType": "Questionnaire",
            "status": "active",
            "item": [
                {"linkId": "kind", "type": "choice", "answerOption": [coding("a", "A"), coding("b", "B")]},
                {
                    "linkId": "why",
                    "type": "string",
                    "enableWhen": [
                        {"question": "kind", "operator": "=", "answerCoding": {"system": SYSTEM, "code": "b"}}
                    ],
                },
            ],
        }
    )
    root = render(definition, pages_of(definition)[0])
    spec = json.loads(root.find(data_item="why").attrs["data-enable-when"])
    assert spec["conditions"][0]["options"] == [1]
    assert spec["conditions"][0]["answer"] == "b"


def test_conditions_script_is_a_static_file():
    path = finders.find("forms/conditions.js")
    assert path
    with open(path, encoding="utf-8") as script:
        source = script.read()
    assert "data-enable-when" in source
    assert "eval(" not in source


# --- round trips ----------------------------------------------------------------------------------


def test_page_of_simple_types_round_trips(definition, pages):
    root = render(definition, pages[0], PAGE1_ANSWERS)
    items, issues = answers_from_post(definition=definition, page=pages[0], data=submit(root))
    assert issues == []
    assert items == PAGE1_ANSWERS
    assert validate_response(definition, {"resourceType": "QuestionnaireResponse", "item": items}) == [
        ValidationIssue.make("health", "required")
    ]


def test_page_of_choices_groups_and_repeats_round_trips(definition, pages):
    root = render(definition, pages[1], HEALTH_ANSWERS)
    items, issues = answers_from_post(definition=definition, page=pages[1], data=submit(root))
    assert issues == []
    assert items == HEALTH_ANSWERS
    response = {"resourceType": "QuestionnaireResponse", "item": [*PAGE1_ANSWERS, *items]}
    assert validate_response(definition, response) == []


def test_german_numbers_and_berlin_time(definition, pages):
    root = render(definition, pages[0], PAGE1_ANSWERS, language="de")
    assert root.by_id("q-height").attrs["value"] == "1,72"
    data = post(q__height="1,5", q__visit="2024-01-15T08:05", q__wake="07:30", q__birth="28.02.1990")
    items, issues = answers_from_post(definition=definition, page=pages[0], data=data)
    assert issues == []
    by_id = {item["linkId"]: item["answer"][0] for item in items}
    assert by_id["height"] == {"valueDecimal": 1.5}
    assert by_id["visit"] == {"valueDateTime": "2024-01-15T08:05:00+01:00"}  # winter time
    assert by_id["wake"] == {"valueTime": "07:30:00"}
    assert by_id["birth"] == {"valueDate": "1990-02-28"}
    items, _ = answers_from_post(definition=definition, page=pages[0], data=post(q__height="2.25"))
    assert items == [
        answer("office", {"valueString": "Gesundheitsamt Musterstadt"}),
        answer("height", {"valueDecimal": 2.25}),
    ]


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("age", "abc", "Please enter a whole number, for example 12."),
        ("age", "1.5", "Please enter a whole number, for example 12."),
        ("height", "1,2,3", "Please enter a number, for example 1,5."),
        ("birth", "31.02.2024", "Please enter a valid date, for example 31.03.2024."),
        ("birth", "yesterday", "Please enter a valid date, for example 31.03.2024."),
        ("visit", "2024-13-01T10:00", "Please enter a valid date and time, for example 31.03.2024, 14:30."),
        ("wake", "25:00", "Please enter a valid time, for example 14:30."),
        ("homepage", "javascript:alert(1)", "Please enter a web address starting with https://."),
        ("consent", "maybe", "Please choose yes or no."),
    ],
)
def test_input_that_does_not_fit_the_type(definition, pages, field, raw, message):
    items, issues = answers_from_post(definition=definition, page=pages[0], data=post(**{f"q__{field}": raw}))
    assert [(issue.link_id, issue.code, issue.message) for issue in issues] == [(field, "wrong-type", message)]
    assert field not in {item["linkId"] for item in items}
    # The page shows the typed text again, marked invalid, and no "required" on top of it.
    required = ValidationIssue.make(field, "required")
    root = render(definition, pages[0], items, issues=[*issues, required])
    if field != "consent":
        control = root.by_id(f"q-{field}")
        assert control.attrs["value"] == raw
        assert control.attrs["aria-invalid"] == "true"
    assert root.by_id(f"q-{field}:error").text == message
    assert [row[2] for row in error_summary(definition, [*issues, required], "en")] == [message]


def test_tampered_option_index_is_not_an_option(definition, pages):
    _items, issues = answers_from_post(definition=definition, page=pages[1], data=post(q__sex="7"))
    assert [(issue.link_id, issue.code) for issue in issues] == [("sex", "not-an-option")]


def test_open_choice_option_wins_over_leftover_other_text(definition, pages):
    data = post(q__language="1", **{"q__language__other": "Kurdish"})
    items, _ = answers_from_post(definition=definition, page=pages[1], data=data)
    assert items[0]["item"][0] == answer(
        "language", {"valueCoding": {"system": SYSTEM, "code": "tr", "display": "Turkish"}}
    )
    items, _ = answers_from_post(definition=definition, page=pages[1], data=post(**{"q__language__other": "Kurdish"}))
    assert items[0]["item"][0] == answer("language", {"valueString": "Kurdish"})


def test_quantity_needs_a_unit_when_several_are_offered(definition, pages):
    items, issues = answers_from_post(definition=definition, page=pages[1], data=post(q__weight__value="3"))
    assert items == []
    assert [(issue.link_id, issue.code, issue.message) for issue in issues] == [
        ("weight", "wrong-type", "Please choose a unit.")
    ]
    items, issues = answers_from_post(
        definition=definition, page=pages[1], data=post(q__weight__value="3500", q__weight__unit="1")
    )
    assert items[0]["item"] == [
        answer(
            "weight",
            {"valueQuantity": {"value": 3500, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"}},
        )
    ]


def test_read_only_items_are_not_taken_from_the_post(definition, pages):
    data = post(q__office="Evil office", q__name="Ayşe")
    items, issues = answers_from_post(definition=definition, page=pages[0], data=data)
    assert issues == []
    assert answer("office", {"valueString": "Gesundheitsamt Musterstadt"}) in items
    stored = [answer("office", {"valueString": "Gesundheitsamt Nord"})]
    merged = merge_page(definition, stored, pages[0], items)
    assert merged == [answer("name", {"valueString": "Ayşe"}), answer("office", {"valueString": "Gesundheitsamt Nord"})]


def test_answers_to_items_disabled_on_the_same_page_are_dropped(definition, pages):
    data = post(q__allergy="false", q__allergy_details="Peanuts")
    items, _ = answers_from_post(definition=definition, page=pages[1], data=data)
    merged = merge_page(definition, [], pages[1], items)
    assert merged == [{"linkId": "health", "item": [answer("allergy", {"valueBoolean": False})]}]


def test_merge_page_keeps_other_pages_in_definition_order(definition, pages):
    children = [{"linkId": "children", "item": [answer("child_name", {"valueString": "Can"})]}]
    page_items, _ = answers_from_post(definition=definition, page=pages[1], data=post(q__email="x@example.org"))
    merged = merge_page(definition, [*children, *PAGE1_ANSWERS], pages[1], page_items)
    assert [item["linkId"] for item in merged] == [*(item["linkId"] for item in PAGE1_ANSWERS), "health", "children"]
    assert merged[-2] == {
        "linkId": "health",
        "item": [{"linkId": "contact", "item": [answer("email", {"valueString": "x@example.org"})]}],
    }
    # Replacing a page with nothing removes its old answers, and only those.
    again = merge_page(definition, merged, pages[1], [])
    assert [item["linkId"] for item in again] == [*(item["linkId"] for item in PAGE1_ANSWERS), "children"]


def test_initial_items_use_initial_values_and_prefill(definition):
    items = initial_items(definition, {"postal_code": "12345", "full_name": "  ", "email": "a@example.org"})
    assert items == [
        answer("postal", {"valueString": "12345"}),
        answer("office", {"valueString": "Gesundheitsamt Musterstadt"}),
        {
            "linkId": "health",
            "item": [{"linkId": "contact", "item": [answer("email", {"valueString": "a@example.org"})]}],
        },
    ]
    assert initial_items(definition, {}) == [answer("office", {"valueString": "Gesundheitsamt Musterstadt"})]


# --- repeats --------------------------------------------------------------------------------------


def test_repeating_question_has_one_blank_entry_add_and_remove(definition, pages):
    root = render(definition, pages[1], HEALTH_ANSWERS)
    phone = root.by_id("q-phone")
    assert [i.attrs["name"] for i in phone.find_all("input")] == ["q:phone:0", "q:phone:1", "q:phone:2"]
    assert [i.attrs["value"] for i in phone.find_all("input")] == ["0151 1234", "030 9876", ""]
    add = phone.find("button", name="add")
    assert add.attrs["value"] == "phone"
    assert "formnovalidate" in add.attrs
    assert [b.attrs["value"] for b in phone.find_all("button", name="remove")] == ["q:phone:0", "q:phone:1"]
    data = post(q__phone__0="1", q__phone__1="", q__phone__2="3", q__email="a@example.org")
    items, _ = answers_from_post(definition=definition, page=pages[1], data=data)
    assert items[0]["item"][0]["item"][0] == answer("phone", {"valueString": "1"}, {"valueString": "3"})
    data.appendlist("remove", "q:phone:0")
    items, _ = answers_from_post(definition=definition, page=pages[1], data=data)
    assert items[0]["item"][0]["item"][0] == answer("phone", {"valueString": "3"})


def test_repeating_group_entries(definition, pages):
    stored = [
        {"linkId": "children", "item": [answer("child_name", {"valueString": "Can"})]},
        {"linkId": "children", "item": [answer("child_birth", {"valueDate": "2019-05-01"})]},
    ]
    issues = [ValidationIssue.make("child_name", "required")]
    root = render(definition, pages[2], stored, issues=issues)
    entries = root.by_id("q-children").find_all("fieldset")
    assert [entry.find("legend").text for entry in entries] == ["Child, entry 1", "Child, entry 2", "Child, entry 3"]
    assert [i.attrs["name"] for i in entries[0].find_all("input")] == [
        "g:children:0:q:child_name",
        "g:children:0:q:child_birth",
    ]
    # The error sits at the entry that lacks the name, and keeps the plain id the summary links to.
    missing = root.by_id("q-child_name")
    assert missing.attrs["name"] == "g:children:1:q:child_name"
    assert missing.attrs["aria-invalid"] == "true"
    assert error_summary(definition, issues, "en")[0][0] == "q-child_name"
    # The blank third entry may stay blank: nothing in it is required.
    assert not [i for i in entries[2].find_all("input") if "required" in i.attrs]
    assert "required" in entries[0].find("input", name="g:children:0:q:child_name").attrs
    assert [b.attrs["value"] for b in root.find_all("button", name="remove")] == ["g:children:0", "g:children:1"]

    data = submit(root)
    data.setlist("g:children:1:q:child_name", ["Ela"])
    items, issues = answers_from_post(definition=definition, page=pages[2], data=data)
    assert issues == []
    assert items == [
        {"linkId": "children", "item": [answer("child_name", {"valueString": "Can"})]},
        {
            "linkId": "children",
            "item": [answer("child_name", {"valueString": "Ela"}), answer("child_birth", {"valueDate": "2019-05-01"})],
        },
    ]
    data.appendlist("remove", "g:children:0")
    items, _ = answers_from_post(definition=definition, page=pages[2], data=data)
    assert [item["item"][0]["answer"][0]["valueString"] for item in items] == ["Ela"]


# --- attachments ----------------------------------------------------------------------------------


def test_attachment_field_and_uploaded_files(definition, pages):
    files = {"vaccination": [{"public_id": "abc123", "title": "impfpass.pdf", "size": 2048}]}
    root = render(definition, pages[3], attachments=files)
    upload = root.by_id("q-vaccination")
    assert upload.attrs["type"] == "file"
    assert upload.attrs["name"] == "q:vaccination"
    assert upload.attrs["accept"] == "application/pdf,image/jpeg"
    assert root.by_id("q-vaccination:hint").text == "Allowed file types: PDF, JPEG.At most 5.0\xa0MB per file."
    remove = root.find("input", name="remove-attachment")
    assert remove.attrs["value"] == "abc123"
    assert "impfpass.pdf" in root.find("label", for_=remove.attrs["id"]).text
    stored = {"contentType": "application/pdf", "title": "impfpass.pdf", "size": 2048, "url": "urn:oegd:abc123"}
    items, issues = answers_from_post(
        definition=definition, page=pages[3], data=post(), uploaded={"vaccination": [stored]}
    )
    assert issues == []
    assert items == [{"linkId": "documents", "item": [answer("vaccination", {"valueAttachment": stored})]}]


def test_input_issue_is_a_validation_issue():
    issue = InputIssue("age", "wrong-type", "Please enter a whole number.", field_name="q:age", raw_value="x")
    assert isinstance(issue, ValidationIssue)


def test_nested_groups_nest_fieldsets(definition, pages):
    root = render(definition, pages[1])
    contact = root.by_id("q-contact")
    assert contact.tag == "fieldset"
    assert contact.find("legend").text == "Contact"
    assert root.by_id("q-phone") in contact.iter()
    # The page's own group is the page: its title is the page heading, not a second legend.
    assert root.by_id("q-health").tag == "div"


def test_choice_without_options_is_typed():
    definition = load_questionnaire(
        {"resourceType": "Questionnaire", "status": "active", "item": [{"linkId": "c", "type": "choice", "text": "C"}]}
    )
    page = pages_of(definition)[0]
    root = render(definition, page, [answer("c", {"valueString": "free"})])
    assert root.by_id("q-c").attrs["value"] == "free"
    items, issues = answers_from_post(definition=definition, page=page, data=submit(root))
    assert (items, issues) == ([answer("c", {"valueString": "free"})], [])


DEMO = Path(__file__).resolve().parents[2] / "demo" / "questionnaires"


def test_demo_form_round_trips_page_by_page_in_every_direction():
    """The demo form, rendered with its example answers and posted back page by page, gives them back."""
    definition = load_questionnaire((DEMO / "school-entry-anamnesis.json").read_text(encoding="utf-8"))
    response = json.loads((DEMO / "examples" / "school-entry-anamnesis.response.json").read_text(encoding="utf-8"))
    expected = prune_disabled(definition, response["item"])
    uploaded = {
        entry["linkId"]: [answer["valueAttachment"] for answer in entry["answer"]]
        for top in expected
        for entry in top.get("item") or []
        if any("valueAttachment" in answer for answer in entry.get("answer") or [])
    }
    assert uploaded  # the example has a file
    items: list = []
    for page in pages_of(definition):
        for language in ("de", "ar"):
            root = render(definition, page, expected, language=language)
            page_items, issues = answers_from_post(
                definition=definition, page=page, data=submit(root), uploaded=uploaded
            )
            assert issues == []
        items = merge_page(definition, items, page, page_items)
    assert items == expected
    assert validate_response(definition, {**response, "item": items}) == []


# --- conditions.js, run by Node on a minimal DOM (skipped without Node) ---------------------------

FAKE_DOM = r"""// A minimal DOM, just enough for conditions.js: argv = page tree (JSON), conditions.js, scenario.
const fs = require("fs");
const tree = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
class El {
  constructor(j, parent) {
    this.tag = j.tag; this.attrs = j.attrs; this.parentElement = parent; this.text = j.text || "";
    this.children = (j.children || []).map((c) => new El(c, this));
    this.checked = "checked" in this.attrs;
    this._value = this.attrs.value;
    this.files = [];
  }
  get tagName() { return this.tag.toUpperCase(); }
  get type() {
    if (this.attrs.type) return this.attrs.type;
    return this.tag === "select" ? "select-one" : this.tag === "textarea" ? "textarea" : "text";
  }
  getAttribute(n) { return n in this.attrs ? this.attrs[n] : null; }
  hasAttribute(n) { return n in this.attrs; }
  get disabled() { return "disabled" in this.attrs; }
  set disabled(v) { if (v) this.attrs.disabled = ""; else delete this.attrs.disabled; }
  get hidden() { return "hidden" in this.attrs; }
  set hidden(v) { if (v) this.attrs.hidden = ""; else delete this.attrs.hidden; }
  get options() { return this.all().filter((e) => e.tag === "option"); }
  get selectedOptions() {
    const chosen = this.options.filter((o) => o.selected);
    return chosen.length ? chosen : this.options.slice(0, 1);
  }
  get value() {
    if (this.tag === "select") return this.selectedOptions[0].attrs.value;
    if (this.tag === "textarea") return this._value !== undefined ? this._value : this.text;
    return this._value || "";
  }
  set value(v) { this._value = v; }
  get selected() { return "selected" in this.attrs; }
  all() {
    const out = [];
    const walk = (e) => e.children.forEach((c) => { out.push(c); walk(c); });
    walk(this);
    return out;
  }
  matches(sel) {
    if (sel === "input, select, textarea, button") return ["input", "select", "textarea", "button"].includes(this.tag);
    const parts = sel.match(/\[[^\]]+\]/g);
    return parts.every((p) => p.slice(1, -1) in this.attrs);
  }
  querySelectorAll(sel) { return this.all().filter((e) => e.matches(sel)); }
  querySelector(sel) { return this.querySelectorAll(sel)[0] || null; }
  closest(sel) { let e = this; while (e) { if (e.tag && e.matches(sel)) return e; e = e.parentElement; } return null; }
}
const root = new El(tree, null);
const handlers = {};
root.tag = "root";
root.addEventListener = (n, f) => { (handlers[n] = handlers[n] || []).push(f); };
global.document = root;
eval(fs.readFileSync(process.argv[3], "utf8"));
const byId = (id) => root.all().find((e) => e.attrs.id === id);
const byAttr = (k, v) => root.all().find((e) => e.attrs[k] === v);
const fire = () => (handlers.change || []).forEach((f) => f({}));
const state = (item) => {
  const wrapper = byAttr("data-item", item);
  const controls = wrapper.querySelectorAll("input, select, textarea, button");
  return { hidden: wrapper.hidden, disabled: controls.map((c) => c.disabled) };
};
const script = fs.readFileSync(process.argv[4], "utf8");
eval(script);
"""

SCENARIO = r"""const assert = require("assert");
const s = (i) => state(i);
// On load: details hidden (allergy unanswered), notb hidden (kind unanswered: "!=" is false),
// grp hidden; fromprev shown (its question is on an earlier page: the server's verdict).
assert.deepStrictEqual(s("details"), { hidden: true, disabled: [true] });
assert.strictEqual(s("notb").hidden, true);
assert.strictEqual(s("grp").hidden, true);
assert.strictEqual(s("jobdetail").disabled[0], true);
assert.strictEqual(s("fromprev").hidden, false);
assert.strictEqual(s("anyof").hidden, true);
// Allergy yes -> details shown and enabled.
byId("q-allergy:0").checked = true; fire();
assert.deepStrictEqual(s("details"), { hidden: false, disabled: [false] });
// Allergy no -> details hidden again; anyof shown (any-behaviour).
byId("q-allergy:0").checked = false; byId("q-allergy:1").checked = true; fire();
assert.deepStrictEqual(s("details"), { hidden: true, disabled: [true] });
assert.strictEqual(s("anyof").hidden, false);
// kind = a -> notb shown; kind = b -> hidden.
byId("q-kind:0").checked = true; fire();
assert.strictEqual(s("notb").hidden, false);
byId("q-kind:0").checked = false; byId("q-kind:1").checked = true; fire();
assert.strictEqual(s("notb").hidden, true);
// age 17 -> group hidden; "18" -> shown, its children enabled; job typed -> jobdetail shown.
byId("q-age").value = "17"; fire();
assert.strictEqual(s("grp").hidden, true);
byId("q-age").value = " 18 "; fire();
assert.strictEqual(s("grp").hidden, false);
assert.strictEqual(byId("q-job").disabled, false);
assert.strictEqual(s("jobdetail").hidden, true);
byId("q-job").value = "baker"; fire();
assert.strictEqual(s("jobdetail").hidden, false);
assert.strictEqual(byId("q-jobdetail").disabled, false);
// age back to 3 -> group hidden, nested jobdetail inputs disabled (job answer no longer counts).
byId("q-age").value = "3"; fire();
assert.strictEqual(s("grp").hidden, true);
assert.strictEqual(byId("q-job").disabled, true);
assert.strictEqual(byId("q-jobdetail").disabled, true);
assert.strictEqual(s("jobdetail").hidden, true);
console.log("all scenario checks passed");
"""

CONDITIONS_FORM = {
    "resourceType": "Questionnaire",
    "status": "active",
    "item": [
        {"linkId": "prev", "type": "integer", "text": "On an earlier page"},
        {
            "linkId": "p2",
            "type": "group",
            "text": "P2",
            "item": [
                {"linkId": "allergy", "type": "boolean", "text": "Allergy?"},
                {
                    "linkId": "details",
                    "type": "text",
                    "text": "Which?",
                    "enableWhen": [{"question": "allergy", "operator": "=", "answerBoolean": True}],
                },
                {
                    "linkId": "kind",
                    "type": "choice",
                    "text": "Kind",
                    "answerOption": [
                        {"valueCoding": {"system": "s", "code": "a"}},
                        {"valueCoding": {"system": "s", "code": "b"}},
                    ],
                },
                {
                    "linkId": "notb",
                    "type": "string",
                    "text": "Not b",
                    "enableWhen": [
                        {"question": "kind", "operator": "!=", "answerCoding": {"system": "s", "code": "b"}}
                    ],
                },
                {"linkId": "age", "type": "integer", "text": "Age"},
                {
                    "linkId": "grp",
                    "type": "group",
                    "text": "Adults",
                    "enableWhen": [{"question": "age", "operator": ">=", "answerInteger": 18}],
                    "item": [
                        {"linkId": "job", "type": "string", "text": "Job"},
                        {
                            "linkId": "jobdetail",
                            "type": "string",
                            "text": "Job detail",
                            "enableWhen": [{"question": "job", "operator": "exists", "answerBoolean": True}],
                        },
                    ],
                },
                {
                    "linkId": "fromprev",
                    "type": "string",
                    "text": "From prev",
                    "enableWhen": [{"question": "prev", "operator": "=", "answerInteger": 3}],
                },
                {
                    "linkId": "anyof",
                    "type": "string",
                    "text": "Any",
                    "enableBehavior": "any",
                    "enableWhen": [
                        {"question": "prev", "operator": "=", "answerInteger": 4},
                        {"question": "allergy", "operator": "=", "answerBoolean": False},
                    ],
                },
            ],
        },
    ],
}


def _tree(element):
    return {
        "tag": element.tag,
        "attrs": {key: value or "" for key, value in element.attrs.items()},
        "text": element.text if element.tag in ("textarea", "option") else "",
        "children": [_tree(child) for child in element.children if isinstance(child, Element)],
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_conditions_script_shows_and_hides_items_as_answers_change(tmp_path):
    definition = load_questionnaire(CONDITIONS_FORM)
    page = pages_of(definition)[1]
    earlier = [answer("prev", {"valueInteger": 3})]
    root = render(definition, page, earlier, language="de")
    (tmp_path / "page.json").write_text(json.dumps(_tree(root)), encoding="utf-8")
    (tmp_path / "dom.js").write_text(FAKE_DOM, encoding="utf-8")
    (tmp_path / "scenario.js").write_text(SCENARIO, encoding="utf-8")
    script = finders.find("forms/conditions.js")
    run = subprocess.run(  # noqa: S603 - fixed arguments, our own files
        [shutil.which("node"), "dom.js", "page.json", script, "scenario.js"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "all scenario checks passed" in run.stdout
