"""Properties of the Questionnaire engine, on random forms and responses (hypothesis).

The strategies (``strategies.py``) build a form and a valid response with their own reading of
the enableWhen rules; here we check that the validator agrees, and that each kind of mistake,
made at a chosen item of a valid response, is reported with that item's linkId and the right code.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from oegd.forms import validation
from oegd.forms.questionnaire import load_questionnaire
from oegd.forms.tests.strategies import (
    DOMAINS,
    KIND,
    SYSTEM,
    Case,
    Spec,
    bound_json,
    cases,
    entries_at,
    entry_at,
    forms,
    json_garbage,
    raw_values,
)
from oegd.forms.validation import ValidationIssue, enabled_link_ids, prune_disabled, validate_response

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
ALL_CODES = {
    validation.REQUIRED,
    validation.REPEATS,
    validation.MAX_LENGTH,
    validation.MIN_VALUE,
    validation.MAX_VALUE,
    validation.REGEX,
    validation.NOT_AN_OPTION,
    validation.WRONG_TYPE,
    validation.UNKNOWN_ITEM,
    validation.DISABLED_ITEM,
    validation.ANSWER_NOT_ALLOWED,
    validation.MALFORMED,
}

form_and_case = forms().flatmap(lambda form: st.tuples(st.just(form), cases(form)))


def found(case: Case, response: Any) -> set[tuple[str, str]]:
    definition = load_questionnaire(case.form.questionnaire)
    return {(issue.link_id, issue.code) for issue in validate_response(definition, response)}


@SETTINGS
@given(forms())
def test_generated_questionnaires_are_valid_fhir_and_load(form):
    Questionnaire.model_validate(form.questionnaire)
    definition = load_questionnaire(form.questionnaire)
    assert set(definition.by_link_id) == set(form.by_link_id)


@SETTINGS
@given(form_and_case)
def test_valid_responses_have_no_issues(pair):
    form, case = pair
    QuestionnaireResponse.model_validate(case.response)
    assert found(case, case.response) == set()
    definition = load_questionnaire(form.questionnaire)
    # The validator and the generator's oracle agree on what is enabled.
    assert enabled_link_ids(definition, case.response.get("item", [])) == case.enabled
    # A valid response has nothing to prune.
    assert prune_disabled(definition, case.response.get("item", [])) == case.response.get("item", [])


# --- one mistake at a time ---------------------------------------------------------------


def _pick(data: st.DataObject, choices: list[Any]) -> Any:
    assume(choices)
    return data.draw(st.sampled_from(sorted(choices)))


def _first_answer(case: Case, response: dict[str, Any], link_id: str) -> dict[str, Any]:
    return entry_at(response, case.answered[link_id][0])["answer"][0]


def _replace_value(answer: dict[str, Any], kind: str, raw: Any) -> None:
    answer.clear()
    answer[f"value{kind}"] = raw


def _mutate(case: Case, data: st.DataObject, mistake: str) -> tuple[dict[str, Any], str]:
    """A copy of the valid response with one ``mistake``; returns it and the linkId to blame."""
    response = copy.deepcopy(case.response)
    specs = case.form.by_link_id
    answered = [link_id for link_id in case.answered if not specs[link_id].in_repeating_group] + [
        link_id for link_id in case.answered if specs[link_id].in_repeating_group
    ]
    match mistake:
        case validation.REQUIRED:
            link_id = _pick(data, [i for i in case.answered if specs[i].required])
            for path in sorted(case.answered[link_id], reverse=True):
                del entries_at(response, path[:-1])[path[-1]]
        case validation.WRONG_TYPE:
            link_id = _pick(data, answered)
            wrong = ("String", "x") if specs[link_id].type == "boolean" else ("Boolean", True)
            _replace_value(_first_answer(case, response, link_id), *wrong)
        case validation.MIN_VALUE | validation.MAX_VALUE:
            low = mistake == validation.MIN_VALUE
            candidates = [i for i in answered if (specs[i].min_index if low else specs[i].max_index) is not None]
            link_id = _pick(data, candidates)
            spec = specs[link_id]
            index = spec.min_index - 1 if low else spec.max_index + 1
            if spec.type == "time":  # no time before 00:00 or after 23:45 in this domain
                assume(DOMAINS["time"][0] <= index <= DOMAINS["time"][1])
            raw = bound_json(spec, index)
            _replace_value(_first_answer(case, response, link_id), KIND[spec.type], _quantity_or(spec, raw))
        case validation.MAX_LENGTH:
            link_id = _pick(data, [i for i in answered if specs[i].max_length is not None])
            spec = specs[link_id]
            too_long = (
                "https://example.org/" + "a" * spec.max_length if spec.type == "url" else "a" * (spec.max_length + 1)
            )
            kind = {"url": "Uri", "open-choice": "String"}.get(spec.type, "String")
            _replace_value(_first_answer(case, response, link_id), kind, too_long)
        case validation.REGEX:
            link_id = _pick(data, [i for i in answered if specs[i].regex is not None])
            _replace_value(_first_answer(case, response, link_id), "String", "no match!")
        case validation.NOT_AN_OPTION:
            link_id = _pick(data, [i for i in answered if specs[i].options])
            _replace_value(_first_answer(case, response, link_id), "Coding", {"system": SYSTEM, "code": "zz"})
        case validation.DISABLED_ITEM:
            # A disabled question whose parent is answered (top level or a present group entry).
            # (containers are only known where the parent is present: top level or a group entry)
            candidates = [i for i in case.disabled if specs[i].is_question and case.containers.get(i)]
            link_id = _pick(data, candidates)
            path = case.containers[link_id][0]
            spec = specs[link_id]
            value = data.draw(raw_values(spec))
            entries_at(response, path).append({"linkId": link_id, "answer": [{f"value{KIND[spec.type]}": value}]})
        case validation.UNKNOWN_ITEM:
            paths = [()] + [path for paths in case.groups.values() for path in paths]
            path = data.draw(st.sampled_from(paths))
            link_id = "no-such-item"
            entries_at(response, path).append({"linkId": link_id, "answer": [{"valueString": "x"}]})
        case validation.REPEATS:
            groups = [g for g in case.groups if not specs[g].repeats]
            questions = [i for i in answered if not specs[i].repeats]
            link_id = _pick(data, groups + questions)
            if link_id in case.groups:
                path = case.groups[link_id][0]
                entries_at(response, path[:-1]).append(copy.deepcopy(entry_at(response, path)))
            else:
                answers = entry_at(response, case.answered[link_id][0])["answer"]
                answers.append(copy.deepcopy(answers[0]))
        case validation.ANSWER_NOT_ALLOWED:
            link_id = _pick(data, list(case.groups) + list(case.enabled_displays))
            if link_id in case.groups:
                entry_at(response, case.groups[link_id][0])["answer"] = [{"valueString": "x"}]
            else:
                entries_at(response, case.containers[link_id][0]).append(
                    {"linkId": link_id, "answer": [{"valueString": "x"}]}
                )
        case _:
            raise AssertionError(mistake)
    return response, link_id


def _quantity_or(spec: Spec, raw: Any) -> Any:
    if spec.type == "quantity":
        return {"value": raw, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}
    return raw


MISTAKES = [
    validation.REQUIRED,
    validation.WRONG_TYPE,
    validation.MIN_VALUE,
    validation.MAX_VALUE,
    validation.MAX_LENGTH,
    validation.REGEX,
    validation.NOT_AN_OPTION,
    validation.DISABLED_ITEM,
    validation.UNKNOWN_ITEM,
    validation.REPEATS,
    validation.ANSWER_NOT_ALLOWED,
]


@pytest.mark.parametrize("mistake", MISTAKES)
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(pair=form_and_case, data=st.data())
def test_each_mistake_is_reported_at_its_item(mistake, pair, data):
    _form, case = pair
    response, link_id = _mutate(case, data, mistake)
    assert (link_id, mistake) in found(case, response)


# --- pruning and garbage -----------------------------------------------------------------


def _scrambled(case: Case, data: st.DataObject) -> dict[str, Any]:
    """The valid response plus answers to random items (disabled or not) wherever they may stand."""
    response = copy.deepcopy(case.response)
    specs = case.form.by_link_id
    for link_id in data.draw(st.lists(st.sampled_from(sorted(specs)), max_size=4)):
        spec = specs[link_id]
        if not spec.is_question:
            continue
        paths = case.containers.get(link_id)
        if paths:
            value = data.draw(raw_values(spec))
            entries_at(response, paths[0]).append({"linkId": link_id, "answer": [{f"value{KIND[spec.type]}": value}]})
    return response


@SETTINGS
@given(pair=form_and_case, data=st.data())
def test_pruning_leaves_no_disabled_answers_and_is_idempotent(pair, data):
    form, case = pair
    definition = load_questionnaire(form.questionnaire)
    garbage = data.draw(st.booleans())
    items = data.draw(json_garbage()) if garbage else _scrambled(case, data).get("item", [])
    before = copy.deepcopy(items)
    pruned = prune_disabled(definition, items)
    assert items == before  # the input is not changed
    codes = {issue.code for issue in validate_response(definition, {"item": pruned})}
    assert validation.DISABLED_ITEM not in codes
    assert validation.UNKNOWN_ITEM not in codes
    assert prune_disabled(definition, pruned) == pruned


@SETTINGS
@given(pair=form_and_case, garbage=json_garbage(), data=st.data())
def test_garbage_gives_issues_never_exceptions(pair, garbage, data):
    form, case = pair
    definition = load_questionnaire(form.questionnaire)
    response = data.draw(
        st.sampled_from(
            [garbage, {"item": garbage}, {"item": [garbage]}, {"item": [{"linkId": "q1", "item": garbage}]}]
        )
    )
    issues = validate_response(definition, response)
    assert all(isinstance(issue, ValidationIssue) and issue.code in ALL_CODES for issue in issues)
    assert all(isinstance(issue.link_id, str) and issue.message for issue in issues)
    assert isinstance(enabled_link_ids(definition, garbage), set)
    pruned = prune_disabled(definition, garbage)
    assert isinstance(pruned, list) and all(isinstance(entry, dict) for entry in pruned)
