import pytest

from oegd.forms.questionnaire import load_questionnaire
from oegd.forms.summary import SummaryRow, answer_summary

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def translated(**texts):
    """The ``_text``/``_display`` element carrying FHIR translation extensions."""
    return {
        "extension": [
            {
                "url": TRANSLATION,
                "extension": [{"url": "lang", "valueCode": lang}, {"url": "content", "valueString": text}],
            }
            for lang, text in texts.items()
        ]
    }


SYMPTOMS = "https://oegd.example/fhir/CodeSystem/symptom"

QUESTIONNAIRE = {
    "resourceType": "Questionnaire",
    "status": "active",
    "item": [
        {
            "linkId": "person",
            "type": "group",
            "text": "About you",
            "_text": translated(de="Angaben zur Person", tr="Kişisel bilgiler"),
            "item": [
                {"linkId": "intro", "type": "display", "text": "Please tell us about yourself."},
                {"linkId": "name", "type": "string", "text": "Name", "_text": translated(tr="Adınız")},
                {"linkId": "birth", "type": "date", "text": "Date of birth", "_text": translated(de="Geburtsdatum")},
                {
                    "linkId": "address",
                    "type": "group",
                    "text": "Address",
                    "_text": translated(de="Anschrift"),
                    "item": [{"linkId": "street", "type": "text", "text": "Street"}],
                },
            ],
        },
        {
            "linkId": "fever",
            "type": "boolean",
            "text": "Do you have a fever?",
            "_text": translated(tr="Ateşiniz var mı?"),
        },
        {
            "linkId": "why_not",
            "type": "string",
            "text": "Why not?",
            "enableWhen": [{"question": "fever", "operator": "=", "answerBoolean": False}],
        },
        {"linkId": "temperature", "type": "decimal", "text": "Temperature"},
        {"linkId": "contacts", "type": "integer", "text": "Contacts"},
        {"linkId": "onset", "type": "dateTime", "text": "Onset"},
        {"linkId": "call_at", "type": "time", "text": "Best time to call"},
        {"linkId": "website", "type": "url", "text": "Website"},
        {
            "linkId": "symptom",
            "type": "choice",
            "repeats": True,
            "text": "Symptoms",
            "answerOption": [
                {
                    "valueCoding": {
                        "system": SYMPTOMS,
                        "code": "cough",
                        "display": "Cough",
                        "_display": translated(de="Husten", tr="Öksürük"),
                    }
                },
                {
                    "valueCoding": {
                        "system": SYMPTOMS,
                        "code": "rash",
                        "display": "Rash",
                        "_display": translated(de="Ausschlag", tr="Döküntü"),
                    }
                },
            ],
        },
        {
            "linkId": "country",
            "type": "choice",
            "text": "Country",
            "answerOption": [{"valueString": "Germany", "_valueString": translated(de="Deutschland", tr="Almanya")}],
        },
        {
            "linkId": "other",
            "type": "open-choice",
            "text": "Other symptom",
            "answerOption": [{"valueCoding": {"system": SYMPTOMS, "code": "headache", "display": "Headache"}}],
        },
        {"linkId": "weight", "type": "quantity", "text": "Weight"},
        {"linkId": "document", "type": "attachment", "text": "Vaccination record"},
        {
            "linkId": "vaccinated",
            "type": "boolean",
            "text": "Vaccinated?",
            "item": [{"linkId": "vaccinated_when", "type": "date", "text": "When?"}],
        },
        {"linkId": "year", "type": "date", "text": "Year of the last booster"},
        {"linkId": "unanswered", "type": "string", "text": "Nobody answers this"},
        {
            "linkId": "empty",
            "type": "group",
            "text": "Empty group",
            "item": [{"linkId": "empty_child", "type": "string", "text": "Empty child"}],
        },
    ],
}


def answer(link_id, *values, **nested):
    entry = {"linkId": link_id, "answer": [dict([value]) for value in values]}
    if "item" in nested:
        entry["answer"][0]["item"] = nested["item"]
    return entry


# Deliberately out of form order: the summary follows the Questionnaire, not the response.
ITEMS = [
    answer("fever", ("valueBoolean", True)),
    answer("why_not", ("valueString", "SECRET-HIDDEN-ANSWER")),  # hidden by its enableWhen
    {
        "linkId": "person",
        "item": [
            answer("name", ("valueString", "Erika Mustermann")),
            answer("birth", ("valueDate", "2019-03-07")),
            {"linkId": "address", "item": [answer("street", ("valueString", "Hauptstraße 1\nHinterhaus"))]},
        ],
    },
    answer("temperature", ("valueDecimal", 38.5)),
    answer("contacts", ("valueInteger", 3)),
    answer("onset", ("valueDateTime", "2026-11-24T09:30:00Z")),
    answer("call_at", ("valueTime", "14:05:00")),
    answer("website", ("valueUri", "https://example.org/a?b=c")),
    answer(
        "symptom",
        ("valueCoding", {"system": SYMPTOMS, "code": "cough"}),
        ("valueCoding", {"system": SYMPTOMS, "code": "rash"}),
    ),
    answer("country", ("valueString", "Germany")),
    answer("other", ("valueString", "Bauchweh")),
    answer(
        "weight", ("valueQuantity", {"value": 12.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"})
    ),
    answer(
        "document",
        ("valueAttachment", {"title": "impfpass.pdf", "contentType": "application/pdf", "size": 122880}),
    ),
    answer("vaccinated", ("valueBoolean", True), item=[answer("vaccinated_when", ("valueDate", "2024-05"))]),
    answer("year", ("valueDate", "2024")),
    {"linkId": "empty", "item": [{"linkId": "empty_child", "answer": []}]},
]


@pytest.fixture
def definition():
    return load_questionnaire(QUESTIONNAIRE)


@pytest.fixture(autouse=True)
def berlin_time(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def table(rows):
    return [(row.link_id, row.label, row.answers, row.depth, row.is_heading) for row in rows]


def test_german_summary_follows_the_form_and_formats_every_type(definition):
    rows = answer_summary(definition, ITEMS, "de")
    assert table(rows) == [
        ("person", "Angaben zur Person", [], 0, True),
        ("name", "Name", ["Erika Mustermann"], 1, False),
        ("birth", "Geburtsdatum", ["07.03.2019"], 1, False),
        ("address", "Anschrift", [], 1, True),
        ("street", "Street", ["Hauptstraße 1\nHinterhaus"], 2, False),
        ("fever", "Do you have a fever?", ["Ja"], 0, False),
        ("temperature", "Temperature", ["38,5"], 0, False),
        ("contacts", "Contacts", ["3"], 0, False),
        ("onset", "Onset", ["24.11.2026 10:30"], 0, False),  # 09:30 UTC is 10:30 in Berlin in November
        ("call_at", "Best time to call", ["14:05"], 0, False),
        ("website", "Website", ["https://example.org/a?b=c"], 0, False),
        ("symptom", "Symptoms", ["Husten", "Ausschlag"], 0, False),
        ("country", "Country", ["Deutschland"], 0, False),
        ("other", "Other symptom", ["Bauchweh"], 0, False),
        ("weight", "Weight", ["12,5 kg"], 0, False),
        ("document", "Vaccination record", ["impfpass.pdf (120,0\xa0KB)"], 0, False),
        ("vaccinated", "Vaccinated?", ["Ja"], 0, False),
        ("vaccinated_when", "When?", ["Mai 2024"], 1, False),
        ("year", "Year of the last booster", ["2024"], 0, False),
    ]


def test_hidden_unanswered_display_and_empty_groups_are_left_out(definition):
    link_ids = {row.link_id for row in answer_summary(definition, ITEMS, "de")}
    assert link_ids.isdisjoint({"why_not", "intro", "unanswered", "empty", "empty_child"})
    everything = [text for row in answer_summary(definition, ITEMS, "de") for text in [row.label, *row.answers]]
    assert "SECRET-HIDDEN-ANSWER" not in everything


def test_turkish_summary_uses_the_form_translations(definition):
    rows = {row.link_id: row for row in answer_summary(definition, ITEMS, "tr")}
    assert rows["person"].label == "Kişisel bilgiler"
    assert rows["name"].label == "Adınız"
    assert rows["birth"].label == "Date of birth"  # no Turkish text: the base text
    assert rows["fever"].label == "Ateşiniz var mı?"
    assert rows["fever"].answers == ["Evet"]
    assert rows["symptom"].answers == ["Öksürük", "Döküntü"]
    assert rows["country"].answers == ["Almanya"]
    assert rows["temperature"].answers == ["38,5"]


def test_english_uses_base_texts_and_english_formats(definition):
    rows = {row.link_id: row for row in answer_summary(definition, ITEMS, "en")}
    assert rows["symptom"].answers == ["Cough", "Rash"]
    assert rows["fever"].answers == ["Yes"]
    assert rows["temperature"].answers == ["38.5"]
    assert rows["birth"].answers == ["03/07/2019"]


def test_unknown_coding_falls_back_to_its_display_or_code(definition):
    items = [
        answer("other", ("valueCoding", {"system": SYMPTOMS, "code": "headache"})),
        answer("symptom", ("valueCoding", {"system": SYMPTOMS, "code": "x", "display": "Something else"})),
    ]
    rows = {row.link_id: row.answers for row in answer_summary(definition, items, "de")}
    assert rows == {"symptom": ["Something else"], "other": ["Headache"]}


def test_boolean_no_and_partial_date_time(definition):
    items = [answer("fever", ("valueBoolean", False)), answer("onset", ("valueDateTime", "2026-11-24"))]
    rows = answer_summary(definition, items, "de")
    assert table(rows) == [
        ("fever", "Do you have a fever?", ["Nein"], 0, False),
        ("onset", "Onset", ["24.11.2026"], 0, False),
    ]


def test_summary_row_defaults():
    assert SummaryRow(link_id="a", label="A") == SummaryRow("a", "A", [], 0, False)
