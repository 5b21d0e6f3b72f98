import pytest

from oegd.forms.questionnaire import QuestionnaireInvalid, load_questionnaire
from oegd.forms.validation import validate_response

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
REGEX = "http://hl7.org/fhir/StructureDefinition/regex"


def questionnaire(*items):
    return {"resourceType": "Questionnaire", "status": "active", "item": list(items)}


def response(*items):
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": list(items)}


def answer(link_id, *values):
    return {"linkId": link_id, "answer": [dict([value]) for value in values]}


def issues(q, r):
    return [(issue.link_id, issue.code) for issue in validate_response(load_questionnaire(q), r)]


def test_translation_falls_back_to_base_text():
    text_ext = {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [{"url": "lang", "valueCode": "de"}, {"url": "content", "valueString": "Alter"}],
            }
        ]
    }
    item = load_questionnaire(
        questionnaire({"linkId": "a", "type": "integer", "text": "Age", "_text": text_ext})
    ).items[0]
    assert item.text_in("de") == "Alter"
    assert item.text_in("de-AT") == "Alter"
    assert item.text_in("fr") == "Age"


@pytest.mark.parametrize(
    "items",
    [
        [{"linkId": "a", "type": "string"}, {"linkId": "a", "type": "string"}],
        [
            {
                "linkId": "a",
                "type": "string",
                "enableWhen": [{"question": "x", "operator": "exists", "answerBoolean": True}],
            }
        ],
        [{"linkId": "a", "type": "reference"}],
        [{"linkId": "a"}],  # fhir.resources: type is required
    ],
)
def test_invalid_definitions_are_refused(items):
    with pytest.raises(QuestionnaireInvalid):
        load_questionnaire(questionnaire(*items))


def test_required_repeats_and_wrong_type():
    q = questionnaire({"linkId": "a", "type": "integer", "required": True}, {"linkId": "b", "type": "integer"})
    assert issues(q, response()) == [("a", "required")]
    assert issues(q, response(answer("a", ("valueInteger", 1), ("valueInteger", 2)))) == [("a", "repeats")]
    assert issues(q, response(answer("a", ("valueString", "1")))) == [("a", "wrong-type")]
    assert issues(q, response(answer("a", ("valueInteger", 1)), answer("zz", ("valueInteger", 1)))) == [
        ("zz", "unknown-item")
    ]


def test_constraints():
    q = questionnaire(
        {
            "linkId": "n",
            "type": "integer",
            "extension": [{"url": MIN, "valueInteger": 0}, {"url": MAX, "valueInteger": 10}],
        },
        {"linkId": "s", "type": "string", "maxLength": 3, "extension": [{"url": REGEX, "valueString": "[a-z]+"}]},
        {"linkId": "c", "type": "choice", "answerOption": [{"valueCoding": {"system": "s", "code": "x"}}]},
        {"linkId": "o", "type": "open-choice", "answerOption": [{"valueCoding": {"system": "s", "code": "x"}}]},
    )
    assert issues(q, response(answer("n", ("valueInteger", 5)), answer("s", ("valueString", "ab")))) == []
    assert issues(q, response(answer("n", ("valueInteger", -1)))) == [("n", "min-value")]
    assert issues(q, response(answer("n", ("valueInteger", 11)))) == [("n", "max-value")]
    assert issues(q, response(answer("s", ("valueString", "abcd")))) == [("s", "max-length")]
    assert issues(q, response(answer("s", ("valueString", "A1")))) == [("s", "regex")]
    assert issues(q, response(answer("c", ("valueCoding", {"system": "s", "code": "x"})))) == []
    assert issues(q, response(answer("c", ("valueCoding", {"system": "s", "code": "y"})))) == [("c", "not-an-option")]
    assert issues(q, response(answer("c", ("valueString", "free")))) == [("c", "not-an-option")]
    assert issues(q, response(answer("o", ("valueString", "free")))) == []


@pytest.mark.parametrize(
    ("operator", "given", "expected", "enabled"),
    [
        ("=", 5, 5, True),
        ("=", 4, 5, False),
        ("!=", 4, 5, True),
        ("!=", 5, 5, False),
        (">", 6, 5, True),
        (">", 5, 5, False),
        ("<", 4, 5, True),
        ("<", 5, 5, False),
        (">=", 5, 5, True),
        (">=", 4, 5, False),
        ("<=", 5, 5, True),
        ("<=", 6, 5, False),
    ],
)
def test_enable_when_operators(operator, given, expected, enabled):
    q = questionnaire(
        {"linkId": "n", "type": "integer"},
        {
            "linkId": "d",
            "type": "string",
            "required": True,
            "enableWhen": [{"question": "n", "operator": operator, "answerInteger": expected}],
        },
    )
    found = issues(q, response(answer("n", ("valueInteger", given))))
    assert found == ([("d", "required")] if enabled else [])
    found = issues(q, response(answer("n", ("valueInteger", given)), answer("d", ("valueString", "x"))))
    assert found == ([] if enabled else [("d", "disabled-item")])


def test_exists_and_disabled_question_counts_as_unanswered():
    q = questionnaire(
        {"linkId": "flag", "type": "boolean"},
        {"linkId": "a", "type": "string", "enableWhen": [{"question": "flag", "operator": "=", "answerBoolean": True}]},
        {
            "linkId": "b",
            "type": "string",
            "required": True,
            "enableWhen": [{"question": "a", "operator": "exists", "answerBoolean": True}],
        },
    )
    assert issues(q, response(answer("flag", ("valueBoolean", True)), answer("a", ("valueString", "x")))) == [
        ("b", "required")
    ]
    # a is disabled, so its (illegal) answer does not enable b
    assert issues(q, response(answer("a", ("valueString", "x")))) == [("a", "disabled-item")]


def test_nested_group_and_enable_behavior_any():
    q = questionnaire(
        {"linkId": "x", "type": "boolean"},
        {"linkId": "y", "type": "boolean"},
        {
            "linkId": "g",
            "type": "group",
            "enableBehavior": "any",
            "enableWhen": [
                {"question": "x", "operator": "=", "answerBoolean": True},
                {"question": "y", "operator": "=", "answerBoolean": True},
            ],
            "item": [{"linkId": "g.1", "type": "string", "required": True}],
        },
    )
    group = {"linkId": "g", "item": [answer("g.1", ("valueString", "ok"))]}
    assert issues(q, response(answer("y", ("valueBoolean", True)), group)) == []
    assert issues(q, response(answer("y", ("valueBoolean", True)), {"linkId": "g", "item": []})) == [
        ("g.1", "required")
    ]
    assert issues(q, response(answer("y", ("valueBoolean", False)), group)) == [("g", "disabled-item")]
