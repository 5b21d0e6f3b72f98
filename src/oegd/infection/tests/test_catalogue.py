import json
from datetime import date

import pytest
from django.utils import translation
from lxml import etree

from oegd.infection.catalogue import DISEASES, disease_choices, disease_for_code, quarantine_end
from oegd.infection.tests.export_factories import DEMIS_DIR, SURVNET_DIR


def test_catalogue_covers_the_notifiable_diseases_broadly():
    assert len(DISEASES) >= 50
    for key, disease in DISEASES.items():
        assert key == disease.key and len(key) == 3 and key.islower()
        assert disease.name_de and disease.name_en and disease.paragraph.startswith("§")
        assert all(code == code.lower() for code in disease.codes)
        assert disease.survnet_code == key.upper()
    non_nominal = {key for key, disease in DISEASES.items() if disease.non_nominal}
    assert {"hiv", "trp", "ech", "mal", "tox"} <= non_nominal
    assert all(DISEASES[key].paragraph == "§ 7.3" for key in non_nominal)


@pytest.mark.parametrize(
    ("code", "key"),
    [("cvdd", "cvd"), ("cvdp", "cvd"), ("CVDP", "cvd"), ("HIVP", "hiv"), ("hivd", "hiv"), ("msvp", "msv"),
     ("norp", "nor"), ("cvd", "cvd"), ("inf", "inv"), (" salp ", "sal")],
)  # fmt: skip
def test_disease_for_code_reads_demis_codes_case_insensitively(code, key):
    assert disease_for_code(code).key == key


@pytest.mark.parametrize("code", ["", "xyzp", "zzzz", "cvdx"])
def test_unknown_codes_give_none(code):
    assert disease_for_code(code) is None


def test_every_code_in_the_real_demis_bundles_is_known():
    if not DEMIS_DIR.exists():
        pytest.skip(f"DEMIS examples not present at {DEMIS_DIR}")
    codes = set()

    def walk(node):
        if isinstance(node, dict):
            system = node.get("system", "")
            if system.endswith(("/notificationCategory", "/notificationDiseaseCategory")) and "code" in node:
                codes.add(node["code"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in DEMIS_DIR.glob("*.json"):
        walk(json.loads(path.read_text()))
    assert codes, "the examples hold notification categories"
    assert {code: disease_for_code(code) is not None for code in codes} == dict.fromkeys(codes, True)


def test_label_follows_the_active_language():
    with translation.override("de"):
        assert DISEASES["msv"].label == "Masern"
        assert disease_choices()[0][1] <= disease_choices()[-1][1]
    with translation.override("en"):
        assert DISEASES["msv"].label == "Measles"
        labels = [label for _key, label in disease_choices()]
        assert labels == sorted(labels, key=str.casefold)
        assert ("vzv", "Chickenpox (varicella)") in disease_choices()


@pytest.mark.parametrize(
    ("disease", "category", "expected"),
    [
        ("msv", "close", date(2026, 3, 22)),  # measles 21 days
        ("msv", "household", date(2026, 3, 22)),
        ("mum", "close", date(2026, 3, 19)),  # mumps 18
        ("vzv", "close", date(2026, 3, 17)),  # chickenpox 16
        ("dip", "household", date(2026, 3, 8)),  # diphtheria 7
        ("ebv", "close", date(2026, 3, 22)),  # Ebola 21
        ("msv", "other", None),  # category II: no quarantine
        ("cvd", "close", None),  # COVID-19: no quarantine any more
        ("men", "close", None),  # meningococci: chemoprophylaxis, no quarantine
        ("nope", "close", None),
    ],
)
def test_quarantine_end(disease, category, expected):
    assert quarantine_end(disease, category, date(2026, 3, 1)) == expected


def test_survnet_code_matches_the_control_file():
    control = SURVNET_DIR / "controlXml.xml"
    if not control.exists():
        pytest.skip(f"SurvNet control file not present at {control}")
    record = etree.parse(str(control)).getroot()[0]
    assert etree.QName(record).localname == DISEASES["cvd"].survnet_code
