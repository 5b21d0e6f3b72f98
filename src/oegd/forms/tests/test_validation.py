import copy

import pytest

from oegd.forms.questionnaire import QuestionnaireInvalid, load_questionnaire
from oegd.forms.validation import (
    MALFORMED,
    REGEX_MAX_INPUT,
    ValidationIssue,
    enabled_link_ids,
    prune_disabled,
    validate_response,
)

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


# --- hostile and malformed responses --------------------------------------------------------

SIMPLE = questionnaire(
    {"linkId": "a", "type": "integer", "required": True},
    {"linkId": "g", "type": "group", "item": [{"linkId": "g.1", "type": "string", "required": True}]},
)


@pytest.mark.parametrize("bad", [None, [], "x", 7])
def test_a_response_that_is_not_an_object_is_malformed(bad):
    assert issues(SIMPLE, bad) == [("", "malformed")]


def test_malformed_structure_is_reported_with_linkid_or_json_path():
    assert issues(SIMPLE, {"item": "x"}) == [("item", "malformed"), ("a", "required")]
    assert issues(SIMPLE, response(1, None, {"linkId": 5}, {"answer": []}, answer("a", ("valueInteger", 1)))) == [
        ("item[0]", "malformed"),
        ("item[1]", "malformed"),
        ("item[2]", "malformed"),
        ("item[3]", "malformed"),
    ]
    assert issues(SIMPLE, response({"linkId": "a", "answer": {"valueInteger": 1}})) == [
        ("a", "malformed"),
        ("a", "required"),
    ]
    assert issues(SIMPLE, response({"linkId": "a", "answer": [1, {"valueInteger": 1}]})) == [("a", "malformed")]
    # qrs-2: the answers to one question belong into one item
    assert issues(SIMPLE, response(answer("a", ("valueInteger", 1)), answer("a", ("valueInteger", 2)))) == [
        ("a", "malformed"),
        ("a", "repeats"),
    ]
    group = {"linkId": "g", "item": {"linkId": "g.1"}}
    assert issues(SIMPLE, response(answer("a", ("valueInteger", 1)), group)) == [
        ("g", "malformed"),
        ("g.1", "required"),
    ]


def test_deep_nesting_is_not_followed_beyond_the_form():
    deepest: dict = {"linkId": "g", "item": []}
    top = deepest
    for _ in range(50_000):  # far beyond the recursion limit
        deepest = {"linkId": "g", "item": [deepest]}
    top = deepest
    assert issues(SIMPLE, response(answer("a", ("valueInteger", 1)), top)) == [
        ("g", "unknown-item"),
        ("g.1", "required"),
    ]
    assert prune_disabled(load_questionnaire(SIMPLE), [top]) == [{"linkId": "g", "item": []}]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("valueInteger", True),
        ("valueInteger", 1.0),
        ("valueInteger", "1"),
        ("valueInteger", 2**31),
        pytest.param("valueInteger", 10**5000, id="huge-integer"),
        ("valueDecimal", float("nan")),
        ("valueDecimal", float("inf")),
        ("valueDecimal", "NaN"),
        ("valueDecimal", "1_000"),
        ("valueDecimal", False),
        ("valueString", ""),
        ("valueString", "nul\x00byte"),
        ("valueString", "lone \ud800 surrogate"),
        ("valueDate", "2024-02-30"),
        ("valueDate", "2024\n"),
        ("valueDate", "٢٠٢٤-٠١-٠١"),  # Arabic-Indic digits are digits to \d, not to FHIR
        ("valueTime", "10:00\n"),
        ("valueDateTime", "2024-01-01 10:00"),
        ("valueCoding", {"code": 5}),
        ("valueCoding", "x"),
        ("valueQuantity", {"value": float("nan")}),
        ("valueAttachment", {"title": "a\x00"}),
    ],
)
def test_values_that_do_not_fit_their_type_are_wrong_type(kind, value):
    q = questionnaire(
        {"linkId": "n", "type": "integer"},
        {"linkId": "d", "type": "decimal"},
        {"linkId": "s", "type": "string"},
        {"linkId": "dt", "type": "date"},
        {"linkId": "t", "type": "time"},
        {"linkId": "ts", "type": "dateTime"},
        {"linkId": "c", "type": "choice"},
        {"linkId": "qty", "type": "quantity"},
        {"linkId": "att", "type": "attachment"},
    )
    target = {
        "valueInteger": "n",
        "valueDecimal": "d",
        "valueString": "s",
        "valueDate": "dt",
        "valueTime": "t",
        "valueDateTime": "ts",
        "valueCoding": "c",
        "valueQuantity": "qty",
        "valueAttachment": "att",
    }[kind]
    assert issues(q, response({"linkId": target, "answer": [{kind: value}]})) == [(target, "wrong-type")]


def test_decimal_answers_accept_numbers_and_decimal_strings():
    q = questionnaire({"linkId": "d", "type": "decimal", "extension": [{"url": MAX, "valueDecimal": 2.5}]})
    assert issues(q, response(answer("d", ("valueDecimal", 2.5)))) == []
    assert issues(q, response(answer("d", ("valueDecimal", "2.50")))) == []
    assert issues(q, response(answer("d", ("valueDecimal", "2.51")))) == [("d", "max-value")]
    assert issues(q, response(answer("d", ("valueDecimal", 3)))) == [("d", "max-value")]


# --- regex: catastrophic backtracking -------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"(\w+\s?)*", r"(a+)+$", r"(a[ab]*)*", r"([a-z]+\d*)+", r"(x|x)+y", r"(a|aa)+$"])
def test_regexes_that_backtrack_exponentially_are_refused(pattern):
    with pytest.raises(QuestionnaireInvalid, match="exponential"):
        load_questionnaire(
            questionnaire({"linkId": "s", "type": "string", "extension": [{"url": REGEX, "valueString": pattern}]})
        )


@pytest.mark.parametrize(
    "pattern",
    [r"[0-9]{5}", r"[\w.+-]+@[\w-]+(\.[\w-]+)*", r"(\d+,)*\d+", r"([a-z]+ )*[a-z]+", r"(?:\w++\s?)*", r"(?:ab|cd)+"],
)
def test_ordinary_regexes_are_accepted(pattern):
    load_questionnaire(
        questionnaire({"linkId": "s", "type": "string", "extension": [{"url": REGEX, "valueString": pattern}]})
    )


def test_regex_sees_a_bounded_answer():
    q = questionnaire({"linkId": "s", "type": "text", "extension": [{"url": REGEX, "valueString": "[a-z]*"}]})
    assert issues(q, response(answer("s", ("valueString", "a" * REGEX_MAX_INPUT)))) == []
    assert issues(q, response(answer("s", ("valueString", "a" * (REGEX_MAX_INPUT + 1))))) == [("s", "regex")]


# --- definition rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "items",
    [
        # a cycle through two conditions
        [
            {
                "linkId": "a",
                "type": "string",
                "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": True}],
            },
            {
                "linkId": "b",
                "type": "string",
                "enableWhen": [{"question": "a", "operator": "exists", "answerBoolean": True}],
            },
        ],
        # a group enabled by its own child
        [
            {
                "linkId": "g",
                "type": "group",
                "enableWhen": [{"question": "g.1", "operator": "exists", "answerBoolean": True}],
                "item": [{"linkId": "g.1", "type": "string"}],
            }
        ],
        # a condition that can never hold: an integer compared with a string
        [
            {"linkId": "n", "type": "integer"},
            {"linkId": "b", "type": "string", "enableWhen": [{"question": "n", "operator": "=", "answerString": "1"}]},
        ],
        # booleans have no order
        [
            {"linkId": "f", "type": "boolean"},
            {
                "linkId": "b",
                "type": "string",
                "enableWhen": [{"question": "f", "operator": ">", "answerBoolean": True}],
            },
        ],
        [{"linkId": "n", "type": "integer", "extension": [{"url": MIN, "valueDate": "2024-01-01"}]}],
        [{"linkId": "s", "type": "string", "extension": [{"url": MIN, "valueInteger": 1}]}],
        [
            {
                "linkId": "n",
                "type": "integer",
                "extension": [{"url": MIN, "valueInteger": 5}, {"url": MAX, "valueInteger": 1}],
            }
        ],
        [{"linkId": "s", "type": "string", "maxLength": -1}],
        [{"linkId": "d", "type": "display", "item": [{"linkId": "d.1", "type": "string"}]}],
    ],
)
def test_definitions_that_cannot_work_are_refused(items):
    with pytest.raises(QuestionnaireInvalid):
        load_questionnaire(questionnaire(*items))


def test_long_condition_chains_load_without_recursion():
    items = [{"linkId": "q0", "type": "boolean"}]
    for n in range(1, 3000):
        condition = {"question": f"q{n - 1}", "operator": "exists", "answerBoolean": True}
        items.append({"linkId": f"q{n}", "type": "boolean", "enableWhen": [condition]})
    assert len(load_questionnaire(questionnaire(*items)).by_link_id) == 3000


def test_url_questions_are_compared_with_answer_string():
    q = questionnaire(
        {"linkId": "u", "type": "url"},
        {
            "linkId": "s",
            "type": "string",
            "required": True,
            "enableWhen": [{"question": "u", "operator": "=", "answerString": "https://example.org"}],
        },
    )
    assert issues(q, response(answer("u", ("valueUri", "https://example.org")))) == [("s", "required")]
    assert issues(q, response(answer("u", ("valueUri", "https://example.com")))) == []


def test_partial_dates_compare_where_the_order_is_certain():
    q = questionnaire({"linkId": "d", "type": "date", "extension": [{"url": MIN, "valueDate": "2024-05-01"}]})
    assert issues(q, response(answer("d", ("valueDate", "2023")))) == [("d", "min-value")]
    assert issues(q, response(answer("d", ("valueDate", "2024-04")))) == [("d", "min-value")]
    assert issues(q, response(answer("d", ("valueDate", "2024")))) == []  # may well be after May 1st
    assert issues(q, response(answer("d", ("valueDate", "2024-05-01")))) == []


def test_a_bare_quantity_bound_fits_any_unit():
    q = questionnaire(
        {"linkId": "w", "type": "quantity", "extension": [{"url": MAX, "valueDecimal": 150}]},
        {
            "linkId": "heavy",
            "type": "string",
            "required": True,
            "enableWhen": [{"question": "w", "operator": ">", "answerQuantity": {"value": 100}}],
        },
    )
    kg = {"value": 120, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
    assert issues(q, response(answer("w", ("valueQuantity", kg)))) == [("heavy", "required")]
    too_heavy = response(answer("w", ("valueQuantity", {**kg, "value": 151})), answer("heavy", ("valueString", "x")))
    assert issues(q, too_heavy) == [("w", "max-value")]


def test_answer_options_restrict_other_item_types_and_codings_without_code_match_nothing():
    q = questionnaire(
        {"linkId": "n", "type": "integer", "answerOption": [{"valueInteger": 1}, {"valueInteger": 2}]},
        {"linkId": "c", "type": "choice", "answerOption": [{"valueCoding": {"display": "Other"}}]},
    )
    assert issues(q, response(answer("n", ("valueInteger", 2)))) == []
    assert issues(q, response(answer("n", ("valueInteger", 3)))) == [("n", "not-an-option")]
    assert issues(q, response(answer("c", ("valueCoding", {"display": "Other"})))) == [("c", "not-an-option")]


def test_read_only_answers_are_only_type_checked():
    q = questionnaire(
        {"linkId": "r", "type": "string", "readOnly": True, "required": True, "maxLength": 2},
    )
    assert issues(q, response()) == []
    assert issues(q, response(answer("r", ("valueString", "long text")))) == []
    assert issues(q, response(answer("r", ("valueInteger", 1)))) == [("r", "wrong-type")]


def test_answers_in_the_wrong_place_or_of_the_wrong_type_do_not_enable_anything():
    q = questionnaire(
        {"linkId": "flag", "type": "boolean"},
        {"linkId": "g", "type": "group", "item": [{"linkId": "g.1", "type": "string"}]},
        {
            "linkId": "x",
            "type": "string",
            "enableWhen": [{"question": "flag", "operator": "exists", "answerBoolean": True}],
        },
    )
    definition = load_questionnaire(q)
    misplaced = [{"linkId": "g", "item": [answer("flag", ("valueBoolean", True))]}]
    assert "x" not in enabled_link_ids(definition, misplaced)
    assert "x" not in enabled_link_ids(definition, [answer("flag", ("valueString", "yes"))])
    assert "x" in enabled_link_ids(definition, [answer("flag", ("valueBoolean", False))])


def test_prune_drops_hidden_unknown_and_malformed_parts_and_keeps_the_input():
    q = questionnaire(
        {"linkId": "flag", "type": "boolean"},
        {"linkId": "x", "type": "string", "enableWhen": [{"question": "flag", "operator": "=", "answerBoolean": True}]},
        {"linkId": "g", "type": "group", "item": [{"linkId": "g.1", "type": "string"}]},
    )
    definition = load_questionnaire(q)
    items = [
        answer("flag", ("valueBoolean", False)),
        answer("x", ("valueString", "hidden")),
        answer("zz", ("valueString", "not in the form")),
        "garbage",
        {"linkId": "g", "item": [answer("g.1", ("valueString", "kept")), 5], "answer": "bad"},
    ]
    before = copy.deepcopy(items)
    pruned = prune_disabled(definition, items)
    assert pruned == [
        answer("flag", ("valueBoolean", False)),
        {"linkId": "g", "item": [answer("g.1", ("valueString", "kept"))]},
    ]
    assert items == before
    assert prune_disabled(definition, pruned) == pruned
    assert prune_disabled(definition, "not a list") == []


def test_malformed_has_a_message():
    issue = ValidationIssue.make("item[0]", MALFORMED)
    assert issue.message == "The submitted answers are malformed here and could not be read."
