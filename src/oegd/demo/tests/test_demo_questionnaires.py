"""The demo questionnaires and the service catalogue that points at them.

Every Questionnaire file in ``demo/questionnaires/`` (whoever wrote it) must be valid FHIR, load
into the form server, carry its translations, and come with an example response that validates.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from oegd.demo.services import SERVICES
from oegd.directory.models import Institution
from oegd.forms.models import Service
from oegd.forms.questionnaire import QuestionnaireDefinition, load_questionnaire
from oegd.forms.validation import enabled_link_ids, validate_response

FOLDER = Path(__file__).resolve().parent.parent / "questionnaires"
FORMS = sorted(path.stem for path in FOLDER.glob("*.json"))
LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru", "pl", "nb", "da")
CITIZEN_FORMS = {s["form"] for s in SERVICES if s["allow_citizens"] or s["allow_anonymous"]}
SERVICE_KEYS = {"slug", "form", *Service.SETTINGS_FIELDS, "texts"}


def raw_questionnaire(form: str) -> dict:
    return json.loads((FOLDER / f"{form}.json").read_text(encoding="utf-8"))


def definition(form: str) -> QuestionnaireDefinition:
    return load_questionnaire(raw_questionnaire(form))


def example(form: str) -> dict:
    return json.loads((FOLDER / "examples" / f"{form}.response.json").read_text(encoding="utf-8"))


def issues(form: str, response: dict) -> list[tuple[str, str]]:
    return [(issue.link_id, issue.code) for issue in validate_response(definition(form), response)]


def find_answer(items: list[dict], link_id: str) -> dict:
    """The response item with ``link_id``, searched through groups."""
    for entry in items:
        if entry.get("linkId") == link_id:
            return entry
        found = find_answer(entry.get("item") or [], link_id)
        if found:
            return found
    return {}


def without(items: list[dict], link_id: str) -> list[dict]:
    return [
        {**entry, "item": without(entry["item"], link_id)} if "item" in entry else entry
        for entry in items
        if entry.get("linkId") != link_id
    ]


def test_the_folder_holds_the_demo_forms():
    assert {s["form"] for s in SERVICES} <= set(FORMS)


@pytest.mark.parametrize("form", FORMS)
def test_questionnaire_is_fhir_r4_and_loads(form):
    raw = raw_questionnaire(form)
    assert Questionnaire.model_validate(raw).status == "active"
    loaded = load_questionnaire(raw)
    assert loaded.url == f"https://oegd.example/fhir/Questionnaire/{form}"
    assert loaded.version == "1"
    assert loaded.title
    assert [item.type for item in loaded.items] == ["group"] * len(loaded.items)  # one page per group
    assert any(item.required for item in loaded.walk())


@pytest.mark.parametrize("form", FORMS)
def test_every_text_is_translated(form):
    wanted = LANGUAGES[1:] if form in CITIZEN_FORMS else ("en",)
    loaded = definition(form)
    missing = [f"title:{lang}" for lang in wanted if not loaded.title_translations.get(lang)]
    for item in loaded.walk():
        if item.text:
            missing += [f"{item.link_id}:{lang}" for lang in wanted if not item.translations.get(lang)]
        for index, texts in enumerate(item.option_translations):
            missing += [f"{item.link_id}[{index}]:{lang}" for lang in wanted if not texts.get(lang)]
    assert missing == []


def test_german_base_text_is_shown_when_a_translation_is_asked_for():
    loaded = definition("counselling-request")
    topic = loaded.by_link_id["topic.kind"]
    assert topic.text_in("de") == "Worum geht es?"
    assert topic.text_in("uk") == "Про що йдеться?"
    assert topic.option_text_in(0, "ar").startswith("الصحة الجنسية")
    assert loaded.title_in("tr") == "Danışmanlık talebi"


@pytest.mark.parametrize("form", FORMS)
def test_example_response_is_valid(form):
    response = example(form)
    QuestionnaireResponse.model_validate(response)
    assert response["questionnaire"].split("|")[0] == f"https://oegd.example/fhir/Questionnaire/{form}"
    assert issues(form, response) == []


@pytest.mark.parametrize("form", FORMS)
def test_dropping_a_required_answer_names_that_question(form):
    response = example(form)
    loaded = definition(form)
    enabled = enabled_link_ids(loaded, response["item"])
    required = [
        item.link_id
        for item in loaded.walk()
        if item.is_question
        and item.required
        and item.link_id in enabled
        and find_answer(response["item"], item.link_id)
    ]
    assert required, "the example answers no required question"
    for link_id in required:
        broken = {**response, "item": without(copy.deepcopy(response["item"]), link_id)}
        found = issues(form, broken)
        # Dropping an answer can disable questions that depend on it; those then must not be answered.
        assert (link_id, "required") in found
        assert {code for other, code in found if other != link_id} <= {"disabled-item"}


@pytest.mark.parametrize("service", SERVICES, ids=[s["slug"] for s in SERVICES])
def test_service_entry_fits_the_model_and_its_form(service):
    assert set(service) == SERVICE_KEYS
    assert service["kind"] in Service.Kind.values
    assert service["routing"] in Service.Routing.values
    assert set(service["institution_kinds"]) <= set(Institution.Kind.values)
    assert (FOLDER / f"{service['form']}.json").is_file()
    assert (FOLDER / "examples" / f"{service['form']}.response.json").is_file()
    for lang in LANGUAGES:
        assert service["texts"][lang]["title"].strip(), lang
        assert service["texts"][lang]["summary"].strip(), lang
    loaded = definition(service["form"])
    if service["routing"] == "postal_code":
        assert service["allow_citizens"] or service["allow_anonymous"]
        postal_code = loaded.by_link_id[service["postal_code_link_id"]]
        place = loaded.by_link_id[service["place_link_id"]]
        assert postal_code.type == place.type == "string"
        assert postal_code.required
        answered = find_answer(example(service["form"])["item"], postal_code.link_id)
        assert len(answered["answer"][0]["valueString"]) == 5
    else:
        assert service["institution_kinds"]
        assert not service["allow_citizens"] and not service["allow_anonymous"]
        assert service["postal_code_link_id"] == service["place_link_id"] == ""


def test_catalogue_slugs_are_unique_and_only_counselling_is_anonymous():
    assert len({s["slug"] for s in SERVICES}) == len(SERVICES) == 6
    assert [s["slug"] for s in SERVICES if s["allow_anonymous"]] == ["counselling-request"]
    by_slug = {s["slug"]: s for s in SERVICES}
    assert by_slug["ifsg34-notification"]["institution_kinds"] == ["school", "daycare"]
    assert by_slug["pool-water-report"]["institution_kinds"] == ["pool"]


def test_postal_code_must_have_five_digits():
    response = example("ifsg43-instruction")
    find_answer(response["item"], "applicant.postal_code")["answer"] = [{"valueString": "1234"}]
    assert issues("ifsg43-instruction", response) == [("applicant.postal_code", "regex")]


def test_counselling_asks_for_an_email_address_only_when_answering_by_email():
    response = example("counselling-request")
    method = find_answer(response["item"], "contact.method")
    method["answer"] = [
        {"valueCoding": {"system": "https://oegd.example/fhir/CodeSystem/contact-method", "code": "email"}}
    ]
    assert issues("counselling-request", response) == [("contact.email", "required")]
    contact = find_answer(response["item"], "contact")
    contact["item"].append({"linkId": "contact.email", "answer": [{"valueString": "not an address"}]})
    assert issues("counselling-request", response) == [("contact.email", "regex")]
    contact["item"][-1]["answer"] = [{"valueString": "frage@mail.example"}]
    assert issues("counselling-request", response) == []


def test_legionella_is_asked_only_for_warm_basins():
    response = example("pool-water-report")
    temperature = find_answer(response["item"], "pool.water_temperature")
    temperature["answer"][0]["valueQuantity"]["value"] = 28.0
    assert issues("pool-water-report", response) == []
    temperature["answer"][0]["valueQuantity"]["value"] = 22.5  # a sports pool: no Legionella test needed
    assert issues("pool-water-report", response) == [("microbiology.legionella", "disabled-item")]
    broken = {**response, "item": without(copy.deepcopy(response["item"]), "microbiology.legionella")}
    assert issues("pool-water-report", broken) == []


def test_pool_values_outside_the_plausible_range_are_refused():
    response = example("pool-water-report")
    find_answer(response["item"], "chemistry.ph")["answer"] = [{"valueDecimal": 14.2}]
    find_answer(response["item"], "microbiology.e_coli")["answer"] = [{"valueInteger": -1}]
    find_answer(response["item"], "pool.water_temperature")["answer"][0]["valueQuantity"]["value"] = 95
    assert issues("pool-water-report", response) == [
        ("pool.water_temperature", "max-value"),
        ("chemistry.ph", "max-value"),
        ("microbiology.e_coli", "min-value"),
    ]


def test_failed_limits_need_the_measures_taken():
    response = example("pool-water-report")
    find_answer(response["item"], "assessment.limits_met")["answer"] = [{"valueBoolean": False}]
    assert issues("pool-water-report", response) == [("assessment.measures", "required")]


def test_pool_lab_report_is_a_pdf_of_at_most_ten_megabytes():
    report = definition("pool-water-report").by_link_id["assessment.lab_report"]
    assert report.required
    assert report.mime_types == ["application/pdf"]
    assert report.max_size == 10 * 1024 * 1024


def test_ifsg34_lists_the_section_34_diseases_and_accepts_other_ones():
    disease = definition("ifsg34-notification").by_link_id["disease.name"]
    names = {disease.option_text_in(i, "de") for i in range(len(disease.answer_options))}
    assert {"Masern", "Windpocken", "Keuchhusten", "Kopflausbefall", "Skabies (Krätze)"} <= names
    response = example("ifsg34-notification")
    find_answer(response["item"], "disease.name")["answer"] = [{"valueString": "Norovirus-Gastroenteritis"}]
    assert issues("ifsg34-notification", response) == []
    find_answer(response["item"], "disease.affected_children")["answer"] = [{"valueInteger": -3}]
    assert issues("ifsg34-notification", response) == [("disease.affected_children", "min-value")]


def test_citizen_forms_prefill_from_the_account():
    for form, link_id, key in [
        ("ifsg43-instruction", "applicant.name", "full_name"),
        ("ifsg43-instruction", "applicant.postal_code", "postal_code"),
        ("certificate-request", "applicant.email", "email"),
        ("certificate-request", "applicant.place", "place"),
        ("ifsg34-notification", "institution.name", "institution_name"),
        ("ifsg34-notification", "institution.address", "institution_address"),
        ("pool-water-report", "pool.name", "institution_name"),
    ]:
        assert definition(form).by_link_id[link_id].prefill == key, (form, link_id)
