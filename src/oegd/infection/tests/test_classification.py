from datetime import date

import pytest

from oegd.infection.classification import reference_definition_met, suggest_classification
from oegd.infection.models import Contact, InfectionCase, LabResult, Outbreak
from oegd.infection.tests.export_factories import COUGH, DIARRHOEA, FEVER, RASH, infection_case, person

pytestmark = pytest.mark.django_db
Classification = InfectionCase.Classification


@pytest.fixture
def office(cast):
    return cast.office_a


def test_lab_and_clinical_picture_is_c(office):
    case = infection_case(office, symptoms=[FEVER, COUGH], lab="cvdp")
    assert suggest_classification(case) == Classification.C


def test_lab_with_clinical_picture_not_met_is_d(office):
    case = infection_case(office, disease="msv", symptoms=[COUGH], lab="msvp")  # measles needs rash and fever
    assert suggest_classification(case) == Classification.D


def test_lab_with_unknown_clinical_picture_is_e(office):
    assert suggest_classification(infection_case(office, lab="cvdp")) == Classification.E


def test_negative_or_other_pathogen_lab_result_is_no_evidence(office):
    case = infection_case(office, symptoms=[FEVER])
    LabResult.objects.create(infection_case=case, pathogen="cvdp", interpretation=LabResult.Interpretation.NEGATIVE)
    LabResult.objects.create(infection_case=case, pathogen="norp", interpretation=LabResult.Interpretation.POSITIVE)
    assert suggest_classification(case) == Classification.A


def test_clinical_picture_only_is_a(office):
    assert suggest_classification(infection_case(office, disease="msv", symptoms=[RASH, FEVER])) == Classification.A


def test_clinical_picture_not_met_without_lab_is_not_met(office):
    assert suggest_classification(infection_case(office, disease="nor", symptoms=[COUGH])) == Classification.NOT_MET


def test_nothing_known_stays_pending(office):
    assert suggest_classification(infection_case(office, disease="nor")) == Classification.PENDING


def test_outbreak_with_lab_confirmed_case_gives_b(office):
    confirmed = infection_case(office, disease="nor", symptoms=[DIARRHOEA], lab="norp")
    linked = infection_case(office, disease="nor", symptoms=[DIARRHOEA])
    assert suggest_classification(linked) == Classification.A
    outbreak = Outbreak.objects.create(office=office, reference="OB-1", name="Kita Sonnenschein", disease="nor")
    outbreak.cases.add(confirmed, linked)
    assert suggest_classification(linked) == Classification.B


def test_outbreak_without_lab_confirmation_gives_no_link(office):
    first = infection_case(office, disease="nor", symptoms=[DIARRHOEA])
    second = infection_case(office, disease="nor", symptoms=[DIARRHOEA])
    outbreak = Outbreak.objects.create(office=office, reference="OB-2", name="Heim", disease="nor")
    outbreak.cases.add(first, second)
    assert suggest_classification(second) == Classification.A


def test_contact_of_confirmed_case_gives_b(office):
    index = infection_case(office, disease="msv", symptoms=[RASH, FEVER], lab="msvp")
    sibling = person(office, given_name="Karl")
    Contact.objects.create(office=office, index_case=index, person=sibling, category="household",
                           exposure_date=date(2026, 3, 1))  # fmt: skip
    case = infection_case(office, disease="msv", person=sibling, symptoms=[RASH, FEVER])
    assert suggest_classification(case) == Classification.B


@pytest.mark.parametrize(
    ("disease", "category", "met"),
    [
        ("cvd", "C", True), ("cvd", "D", True), ("cvd", "E", True), ("cvd", "B", False), ("cvd", "A", False),
        ("nor", "B", True), ("nor", "C", True), ("nor", "E", False),
        ("msv", "B", True), ("hus", "A", True), ("hiv", "C", True),
        ("cvd", "pending", False), ("cvd", "X", False),
    ],
)  # fmt: skip
def test_reference_definition(office, disease, category, met):
    assert reference_definition_met(infection_case(office, disease=disease, classification=category)) is met
