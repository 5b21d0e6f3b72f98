import pytest

from oegd.core.names import fold_text
from oegd.directory.rki_plz import RkiPlzFileInvalid, is_postal_code, parse_transmitting_sites
from oegd.directory.tests.factories import write_small_file


def test_parser_reads_sites_with_postal_codes_and_places(tmp_path):
    sites = list(parse_transmitting_sites(write_small_file(tmp_path)))

    assert [site.code for site in sites] == ["1.01.0.01.", "1.11.0.01.", "1.11.0.02."]
    flensburg = sites[0]
    assert flensburg.name == "Stadt Flensburg"
    assert flensburg.street == "Norderstr. 58-60"
    assert flensburg.postal_code == "24939"
    assert flensburg.place == "Flensburg"
    assert flensburg.email == "infektionsschutz@flensburg.de"  # trailing blank in the source
    assert flensburg.postal_codes == ("24937", "24939")
    assert flensburg.places == ("Sandberg", "Flensburg")
    assert sites[2].places == ("Kreuzberg", "Friedrichshain", "Görlitzer Straße")


def test_parser_refuses_a_foreign_file(tmp_path):
    path = tmp_path / "other.xml"
    path.write_text('<Sites xmlns="urn:other"><Site Code="1"/></Sites>')
    with pytest.raises(RkiPlzFileInvalid):
        list(parse_transmitting_sites(path))


def test_parser_refuses_broken_xml(tmp_path):
    path = tmp_path / "broken.xml"
    path.write_text("<TransmittingSites")
    with pytest.raises(RkiPlzFileInvalid):
        list(parse_transmitting_sites(path))


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Görlitzer Straße", "goerlitzer strasse"),
        ("  Frankfurt (Oder) ", "frankfurt oder"),
        ("Groß-Gerau", "gross gerau"),
        ("MÜNCHEN", "muenchen"),
        ("Sankt  Augustin", "sankt augustin"),
        ("Bad Säckingen", "bad saeckingen"),
        ("Eckersbach (E 5 / II)", "eckersbach e 5 ii"),
        ("Montréal", "montreal"),
    ],
)
def test_normalize_text(raw, normalized):
    assert fold_text(raw) == normalized


def test_decomposed_umlauts_normalise_like_composed_ones():
    assert fold_text("Ko\u0308ln") == fold_text("Köln") == "koeln"


@pytest.mark.parametrize(("value", "expected"), [("10117", True), ("01067", True), ("1011", False), ("abcde", False)])
def test_is_postal_code(value, expected):
    assert is_postal_code(value) is expected
