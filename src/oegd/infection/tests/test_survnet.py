from datetime import date

import pytest
from lxml import etree

from oegd.infection.survnet import EXTRA_FIELD_NAMES, NAMESPACE, build_survnet_xml, patient_pseudonym, record_guid
from oegd.infection.tests.export_factories import COUGH, FEVER, SURVNET_DIR, infection_case, person

pytestmark = pytest.mark.django_db
NS = {"s": NAMESPACE}


@pytest.fixture
def office(cast):
    cast.office_a.rki_code = "1.01.0.03."
    cast.office_a.save(update_fields=["rki_code"])
    return cast.office_a


@pytest.fixture
def covid_case(office):
    return infection_case(
        office,
        person=person(office),
        postal_code="10115",
        symptoms=[FEVER, COUGH],
        onset_date=date(2026, 3, 7),
        hospitalised=True,
        hospitalised_on=date(2026, 3, 9),
        deceased=False,
        vaccination="complete",
        classification="C",
        lab="cvdp",
    )


def _control():
    path = SURVNET_DIR / "controlXml.xml"
    if not path.exists():
        pytest.skip(f"SurvNet control file not present at {path}")
    return etree.parse(str(path)).getroot()


def _fields(record) -> dict[str, str]:
    return {field.get("Name"): field.get("Value") for field in record.findall("s:Field", NS)}


def test_validates_against_the_survnet_schema(covid_case):
    xsd = SURVNET_DIR / "xmlSchema.xsd"
    if not xsd.exists():
        pytest.skip(f"SurvNet schema not present at {xsd}")
    schema = etree.XMLSchema(etree.parse(str(xsd)))
    document = etree.fromstring(build_survnet_xml(covid_case, version=3, transport_number=12).encode())
    assert schema.validate(document), schema.error_log


def test_same_shape_as_the_control_file(covid_case):
    control = _control()
    ours = etree.fromstring(build_survnet_xml(covid_case).encode())
    assert ours.tag == control.tag == f"{{{NAMESPACE}}}Transport"
    assert set(ours.attrib) == set(control.attrib)
    control_record, record = control[0], ours[0]
    assert record.tag == control_record.tag  # {ns}CVD
    assert set(record.attrib) == set(control_record.attrib)
    control_fields = _fields(control_record)
    ours_fields = _fields(record)
    assert set(ours_fields) - set(control_fields) <= EXTRA_FIELD_NAMES
    for child in ("Track", "Addressee"):
        assert set(record.find(f"s:{child}", NS).attrib) == set(control_record.find(f"s:{child}", NS).attrib)
    assert [etree.QName(child).localname for child in record].count("Track") == 1


def test_content_of_the_record(covid_case):
    root = etree.fromstring(build_survnet_xml(covid_case, version=2).encode())
    record = root[0]
    fields = _fields(record)
    assert root.get("CodeSiteSender") == "1.01.0.03."
    assert root.get("CodeSiteReceiver") == "1.01."  # the state authority of Schleswig-Holstein
    assert record.get("VersionNo") == "2" and record.get("Token") == covid_case.reference
    assert record.get("ReportingDate") == "2026-03-10T00:00:00.000"
    assert record.get("CaseDefCategoryComputed") == "3"  # C
    assert record.get("ReferenceDefComputed") == "true"
    assert record.get("CaseDefLabComputed") == "true" and record.get("CaseDefClinComputed") == "1"
    assert fields["Sex"] == "2"
    assert fields["AgeComputed"] == "38"  # born April 1987, notified March 2026
    assert fields["StatusHospitalization"] == "20" and fields["DateOfHospitalization"] == "2026-03-09"
    assert fields["StatusDeceased"] == "10" and fields["StatusVaccination"] == "20"
    assert fields["Symptom0088"] == "true" and fields["Symptom0130"] == "true" and fields["Symptom0062"] == "false"
    assert fields["OnsetOfDisease"] == "2026-03-07"
    assert fields["PostalCodeShort"] == "101"
    assert fields["GuidPatient"] == patient_pseudonym(covid_case)


def test_receiver_from_setting(covid_case, settings):
    settings.SURVNET_RECEIVER_CODE = "1.11."
    assert etree.fromstring(build_survnet_xml(covid_case).encode()).get("CodeSiteReceiver") == "1.11."


def test_no_direct_identifiers_in_the_payload(covid_case):
    xml = build_survnet_xml(covid_case)
    person = covid_case.person
    for secret in (
        person.given_name,
        person.family_name,
        "Lindenstraße",
        "10115",
        "1987-04-23",
        "23.04.1987",
        "19870423",
        person.email,
        person.phone,
        "Berlin",
    ):
        assert secret not in xml, secret


def test_pseudonym_is_stable_and_keyed(office, covid_case, settings):
    again = infection_case(office, person=covid_case.person, disease="inv")
    other = infection_case(office, person=person(office, given_name="Other"))
    assert patient_pseudonym(again) == patient_pseudonym(covid_case)
    assert patient_pseudonym(other) != patient_pseudonym(covid_case)
    before = patient_pseudonym(covid_case)
    settings.SECRET_KEY = "a rotated secret key"
    assert patient_pseudonym(covid_case) == before  # keyed with PSEUDONYM_KEY, not SECRET_KEY
    assert record_guid(covid_case) == record_guid(covid_case)
    settings.PSEUDONYM_KEY = "another key for another installation"
    assert patient_pseudonym(covid_case) != before  # keyed: not recomputable from the person id alone


def test_stored_record_id_is_used(covid_case):
    stored = "{0A1B2C3D-0000-1111-2222-333344445555}"
    record = etree.fromstring(build_survnet_xml(covid_case, record_id=stored).encode())[0]
    assert record.get("GuidRecord") == stored
    assert etree.fromstring(build_survnet_xml(covid_case).encode())[0].get("GuidRecord") == record_guid(covid_case)


def test_non_nominal_case_without_person(office):
    case = infection_case(office, disease="hiv", non_nominal=True, sex="male", birth_month="1990-11",
                          postal_code="24103", classification="C", lab="hivp")  # fmt: skip
    record = etree.fromstring(build_survnet_xml(case).encode())[0]
    assert etree.QName(record).localname == "HIV"
    fields = _fields(record)
    assert fields["Sex"] == "1" and fields["PostalCodeShort"] == "241" and fields["AgeComputed"] == "35"
