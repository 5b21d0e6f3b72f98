"""The demo Anamnesebogen zur Schuleingangsuntersuchung: valid FHIR, loadable, fully translated.

Plain dict tests against the JSON files; no database needed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from oegd.forms.questionnaire import EXT_TRANSLATION, QuestionnaireDefinition, load_questionnaire
from oegd.forms.validation import enabled_link_ids, validate_response

QUESTIONNAIRES = Path(__file__).parents[1] / "questionnaires"
CITIZEN_LANGUAGES = ("en", "tr", "ar", "uk", "ru", "pl", "nb", "da")
ARABIC = re.compile(r"[\u0600-\u06FF]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
# German terms kept on purpose inside translations, so parents recognise them on their papers.
KEPT_TERMS = ("U-Heft", "Impfpass", "Gesundheitsamt", "PDF", "JPEG", "PNG")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return json.loads((QUESTIONNAIRES / "school-entry-anamnesis.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def definition(raw: dict[str, Any]) -> QuestionnaireDefinition:
    return load_questionnaire(raw)


@pytest.fixture
def example() -> dict[str, Any]:
    path = QUESTIONNAIRES / "examples" / "school-entry-anamnesis.response.json"
    return json.loads(path.read_text(encoding="utf-8"))


def raw_items(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from raw_items(item.get("item") or [])


def translatable(raw: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any] | None]]:
    """(where, base text, its _element) for the title, every item text and every option display."""
    yield "title", raw["title"], raw.get("_title")
    for item in raw_items(raw["item"]):
        yield item["linkId"], item["text"], item.get("_text")
        for option in item.get("answerOption") or []:
            coding = option["valueCoding"]
            yield f"{item['linkId']}:{coding['code']}", coding["display"], coding.get("_display")


def translations_of(element: dict[str, Any] | None) -> dict[str, str]:
    found = {}
    for ext in (element or {}).get("extension") or []:
        assert ext["url"] == EXT_TRANSLATION
        parts = {sub["url"]: sub for sub in ext["extension"]}
        found[parts["lang"]["valueCode"]] = parts["content"]["valueString"]
    return found


def untranslated_words(text: str) -> list[str]:
    """Latin-script words in an Arabic or Cyrillic translation, apart from the terms kept on purpose."""
    for term in KEPT_TERMS:
        text = text.replace(term, "")
    return LATIN_WORD.findall(text)


def response_item(response: dict[str, Any], link_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The list that holds the response item ``link_id`` and the item itself."""
    stack = [response["item"]]
    while stack:
        entries = stack.pop()
        for entry in entries:
            if entry["linkId"] == link_id:
                return entries, entry
            stack.append(entry.get("item") or [])
    raise LookupError(link_id)


def set_answer(response: dict[str, Any], link_id: str, *answers: dict[str, Any]) -> None:
    response_item(response, link_id)[1]["answer"] = list(answers)


def drop_item(response: dict[str, Any], link_id: str) -> None:
    entries, entry = response_item(response, link_id)
    entries.remove(entry)


def test_is_a_valid_r4_questionnaire_that_the_engine_loads(raw, definition):
    parsed = Questionnaire.model_validate(raw)
    assert parsed.url == "https://oegd.example/fhir/Questionnaire/school-entry-anamnesis"
    assert (parsed.status, parsed.version) == ("active", "1")
    assert definition.title == "Anamnesebogen zur Schuleingangsuntersuchung"
    assert definition.title_in("tr") == "Okula başlama muayenesi için sağlık anketi"
    # Every top-level item is a group: one portal page each.
    pages = [item.link_id for item in definition.items]
    assert pages == ["child", "family", "birth", "development", "health", "consent"]
    assert {item.type for item in definition.items} == {"group"}
    questions = [item for item in definition.walk() if item.type not in ("group", "display")]
    assert 30 <= len(questions) <= 45


def test_uses_the_features_of_the_engine(definition):
    items = list(definition.walk())
    assert {item.type for item in items} == {
        "group", "display", "boolean", "decimal", "integer", "date", "string", "text",
        "choice", "open-choice", "attachment", "quantity",
    }  # fmt: skip
    operators = {condition.operator for item in items for condition in item.enable_when}
    assert {"=", "exists", ">", "!=", "<"} <= operators
    behaviours = {item.enable_behavior for item in items if len(item.enable_when) > 1}
    assert behaviours == {"any", "all"}
    by_id = definition.by_link_id
    assert by_id["child.postal_code"].regex == "^[0-9]{5}$"
    assert (by_id["child.postal_code"].prefill, by_id["child.place"].prefill) == ("postal_code", "place")
    assert by_id["family.contact.name"].prefill == "full_name"
    assert by_id["family.contact.email"].prefill == "email"
    record = by_id["consent.vaccination_record"]
    assert record.mime_types == ["application/pdf", "image/jpeg", "image/png"]
    assert record.max_size == 5 * 1024 * 1024
    assert [unit.code for unit in by_id["birth.weight"].unit_options] == ["g"]
    assert by_id["family.languages"].repeats and by_id["health.allergy_list"].repeats
    assert by_id["consent.confirm"].required


def test_every_text_title_and_option_is_translated(raw):
    checked = 0
    for where, base, element in translatable(raw):
        assert base.strip(), where
        texts = translations_of(element)
        for lang in CITIZEN_LANGUAGES:
            text = texts.get(lang, "")
            assert text.strip(), f"{where}: no {lang} translation"
        assert ARABIC.search(texts["ar"]), f"{where}: Arabic text without Arabic letters"
        assert not untranslated_words(texts["ar"]), f"{where}: Arabic text looks untranslated"
        for lang in ("uk", "ru"):
            assert CYRILLIC.search(texts[lang]), f"{where}: {lang} text without Cyrillic letters"
            assert not untranslated_words(texts[lang]), f"{where}: {lang} text looks untranslated"
        checked += 1
    assert checked > 80


def test_translations_reach_the_loaded_items(definition):
    assert definition.by_link_id["health.allergies"].text_in("uk") == "Чи є у вашої дитини алергія?"
    sex = definition.by_link_id["child.sex"]
    assert [sex.option_text_in(index, "da") for index in range(len(sex.answer_options))] == [
        "Pige", "Dreng", "Andet", "Ønsker ikke at oplyse",
    ]  # fmt: skip


def test_example_response_is_valid(raw, definition, example):
    QuestionnaireResponse.model_validate(example)
    assert example["questionnaire"] == f"{raw['url']}|{raw['version']}"
    assert validate_response(definition, example) == []
    # Given as a raw dict, validate_response loads the definition itself.
    assert validate_response(raw, example) == []


def test_missing_consent_is_reported(definition, example):
    without_answer = copy.deepcopy(example)
    response_item(without_answer, "consent.confirm")[1].pop("answer")
    without_item = copy.deepcopy(example)
    drop_item(without_item, "consent.confirm")
    for response in (without_answer, without_item):
        issues = [(issue.link_id, issue.code) for issue in validate_response(definition, response)]
        assert issues == [("consent.confirm", "required")]


def test_postal_code_must_have_five_digits(definition, example):
    set_answer(example, "child.postal_code", {"valueString": "1234"})
    issues = [(issue.link_id, issue.code) for issue in validate_response(definition, example)]
    assert ("child.postal_code", "regex") in issues


def test_birth_weight_bounds(definition, example):
    set_answer(
        example,
        "birth.weight",
        {"valueQuantity": {"value": 9000, "system": "http://unitsofmeasure.org", "code": "g", "unit": "g"}},
    )
    issues = [(issue.link_id, issue.code) for issue in validate_response(definition, example)]
    assert issues == [("birth.weight", "max-value")]


def test_conditional_questions(definition, example):
    enabled = enabled_link_ids(definition, example["item"])
    # German is spoken at home: no interpreter question. Born in week 31: follow-up asked (all).
    assert "family.interpreter" not in enabled
    assert {"birth.followup", "development.walking_checked", "development.therapy_details"} <= enabled
    assert "health.accident_details" not in enabled

    set_answer(
        example,
        "family.languages",
        {"valueCoding": {"system": "https://oegd.example/fhir/CodeSystem/home-language", "code": "ar"}},
    )
    set_answer(example, "birth.weeks", {"valueInteger": 34})
    set_answer(example, "development.walking_age", {"valueInteger": 13})
    set_answer(example, "development.speech_therapy", {"valueBoolean": False})
    enabled = enabled_link_ids(definition, example["item"])
    assert "family.interpreter" in enabled
    assert "birth.followup" not in enabled  # premature, but not before week 32
    assert "development.walking_checked" not in enabled
    assert "development.therapy_details" in enabled  # physiotherapy is still "yes" (any)

    set_answer(example, "development.physiotherapy", {"valueBoolean": False})
    drop_item(example, "family.childcare_since")
    enabled = enabled_link_ids(definition, example["item"])
    assert "development.therapy_details" not in enabled
    assert "family.childcare_hours" not in enabled  # exists: only once a start date is given
