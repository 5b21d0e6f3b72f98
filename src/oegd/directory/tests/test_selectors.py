import pytest

from oegd.core.tests.factories import OfficeFactory
from oegd.directory.selectors import (
    PostalCodeInvalid,
    PostalCodeUnknown,
    route_by_postal_code,
    search_authorities,
)

pytestmark = pytest.mark.usefixtures("small_directory")


def test_a_postal_code_of_one_office_routes_to_it():
    result = route_by_postal_code(postal_code=" 24937 ")

    assert result.authority.name == "Stadt Flensburg"
    assert result.needs_place is False
    assert [a.code for a in result.authorities] == ["1.01.0.01."]
    assert result.candidates[0].office is None


def test_the_place_does_not_matter_for_an_unshared_postal_code():
    assert route_by_postal_code(postal_code="24937", place="Kreuzberg").authority.code == "1.01.0.01."


def test_a_shared_postal_code_without_place_asks_for_it():
    result = route_by_postal_code(postal_code="10117")

    assert result.authority is None
    assert result.needs_place is True
    assert {a.code for a in result.authorities} == {"1.11.0.01.", "1.11.0.02."}


@pytest.mark.parametrize(
    ("place", "code"),
    [("Kreuzberg", "1.11.0.02."), ("  moabit ", "1.11.0.01."), ("Goerlitzer Strasse", "1.11.0.02."), ("Wedding", None)],
)
def test_the_place_decides_a_shared_postal_code(place, code):
    result = route_by_postal_code(postal_code="10117", place=place)

    assert (result.authority.code if result.authority else None) == code
    assert result.needs_place is (code is None)


def test_a_place_that_fits_several_candidates_does_not_decide():
    # "Berlin" is the seat of both district offices
    result = route_by_postal_code(postal_code="10117", place="Berlin")

    assert result.authority is None
    assert result.needs_place is True


def test_the_seat_of_an_office_decides_when_only_it_has_that_seat(db):
    from oegd.directory.models import HealthAuthority

    HealthAuthority.objects.filter(code="1.11.0.02.").update(place="Berlin-Kreuzberg")
    assert route_by_postal_code(postal_code="10117", place="berlin kreuzberg").authority.code == "1.11.0.02."


def test_the_platform_office_is_attached_to_its_authority():
    office = OfficeFactory(slug="mitte", name="Gesundheitsamt Mitte", rki_code="1.11.0.01.")
    OfficeFactory(slug="closed", rki_code="1.11.0.02.", is_active=False)

    result = route_by_postal_code(postal_code="10117", place="Mitte")

    assert result.responsible.office == office
    assert {c.authority.code: c.office for c in result.candidates} == {"1.11.0.01.": office, "1.11.0.02.": None}


@pytest.mark.parametrize("postal_code", ["abc", "", "1234", "123456", "12a45"])
def test_an_invalid_postal_code_is_refused(postal_code):
    with pytest.raises(PostalCodeInvalid) as excinfo:
        route_by_postal_code(postal_code=postal_code)
    assert "five digits" in excinfo.value.message


def test_an_unknown_postal_code_is_refused():
    with pytest.raises(PostalCodeUnknown) as excinfo:
        route_by_postal_code(postal_code="00000")
    assert excinfo.value.message == "We do not know the postal code 00000."


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("flensburg", ["1.01.0.01."]),
        ("Bezirksamt", ["1.11.0.01.", "1.11.0.02."]),
        ("Görlitzer Straße", ["1.11.0.02."]),
        ("10117", ["1.11.0.01.", "1.11.0.02."]),
        ("1.11.0.02", ["1.11.0.02."]),
        ("nowhere", []),
    ],
)
def test_search_authorities(query, codes):
    assert sorted(a.code for a in search_authorities(query)) == codes
