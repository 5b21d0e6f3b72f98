import base64
import io
import re
from datetime import UTC, datetime

import pypdf
import pytest
import weasyprint
from weasyprint.urls import FatalURLFetchingError

from oegd.forms.questionnaire import load_questionnaire
from oegd.forms.receipts import (
    Receipt,
    data_only_url_fetcher,
    qr_code_data_uri,
    receipt_filename,
    render_confirmation_email,
    render_receipt_html,
    render_receipt_pdf,
)
from oegd.forms.summary import SummaryRow, answer_summary
from oegd.forms.tests.test_summary import ITEMS, QUESTIONNAIRE

STATUS_URL = "https://portal.example/status/K7QM-4X2D-R?secret=mK3x-9QpL-Zt7w"
ARABIC = re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")


@pytest.fixture(autouse=True)
def berlin_time(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def make_receipt(language: str, rows: list[SummaryRow] | None = None, **changes) -> Receipt:
    fields = {
        "reference": "K7QM-4X2D-R",
        "service_title": "Belehrung nach §43 IfSG",
        "office_name": "Gesundheitsamt Musterstadt",
        "office_address": "Hauptstraße 1\n12345 Musterstadt",
        "office_email": "gesundheitsamt@musterstadt.example",
        "office_phone": "+49 30 123456",
        # 13:05 UTC is 14:05 in Berlin in November.
        "submitted_at": datetime(2026, 11, 24, 13, 5, tzinfo=UTC),
        "status_url": STATUS_URL,
        "secret": "mK3x-9QpL-Zt7w",
        "language": language,
        "rows": rows if rows is not None else [],
        "attachments": ["impfpass.pdf"],
    }
    return Receipt(**(fields | changes))


def summary(language: str) -> list[SummaryRow]:
    return answer_summary(load_questionnaire(QUESTIONNAIRE), ITEMS, language)


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # Layout may break lines or use no-break spaces; compare on single spaces.
    return " ".join("\n".join(page.extract_text() for page in reader.pages).split())


def test_german_receipt_shows_office_reference_time_status_and_answers():
    pdf = render_receipt_pdf(make_receipt("de", summary("de")))
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in [
        "Gesundheitsamt Musterstadt",
        "Hauptstraße 1",
        "12345 Musterstadt",
        "gesundheitsamt@musterstadt.example",
        "Belehrung nach §43 IfSG",
        "K7QM-4X2D-R",
        "24.11.2026",
        "14:05",
        STATUS_URL,
        "mK3x-9QpL-Zt7w",
        "Angaben zur Person",
        "Erika Mustermann",
        "07.03.2019",
        "38,5",
        "12,5 kg",
        "Husten",
        "Ausschlag",
        "Mai 2024",
        "impfpass.pdf",
    ]:
        assert expected in text, expected
    assert "SECRET-HIDDEN-ANSWER" not in text


def test_turkish_receipt_shows_translated_questions_and_options():
    text = pdf_text(render_receipt_pdf(make_receipt("tr", summary("tr"))))
    for expected in ["K7QM-4X2D-R", "Kişisel bilgiler", "Ateşiniz var mı?", "Evet", "Öksürük", "Döküntü", "Almanya"]:
        assert expected in text, expected


def test_arabic_receipt_is_right_to_left_and_keeps_arabic_text():
    rows = [
        SummaryRow("person", "البيانات الشخصية", [], 0, True),
        SummaryRow("fever", "هل لديك حمى؟", ["نعم"], 1),
    ]
    receipt = make_receipt("ar", rows)
    html = render_receipt_html(receipt)
    assert '<html lang="ar" dir="rtl">' in html
    text = pdf_text(render_receipt_pdf(receipt))
    assert "K7QM-4X2D-R" in text
    assert STATUS_URL in text
    assert ARABIC.search(text)
    assert "حمى" in text


def test_html_element_is_left_to_right_for_german():
    assert '<html lang="de" dir="ltr">' in render_receipt_html(make_receipt("de"))


def test_qr_code_encodes_the_status_url_and_is_inline():
    html = render_receipt_html(make_receipt("de"))
    uri = qr_code_data_uri(STATUS_URL)
    assert f'src="{uri}"' in html
    svg = base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode()
    assert svg.startswith("<?xml") or svg.startswith("<svg")
    assert "<path" in svg
    # A different URL gives a different code: the image really carries the URL.
    assert qr_code_data_uri(STATUS_URL + "x") != uri


def test_footer_counts_pages():
    many = [SummaryRow(f"q{n}", f"Question {n}", [f"Answer {n}"]) for n in range(120)]
    pdf = render_receipt_pdf(make_receipt("en", many))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages > 1
    assert f"Page 1 of {pages}" in " ".join(reader.pages[0].extract_text().split())
    assert f"Page {pages} of {pages}" in " ".join(reader.pages[-1].extract_text().split())
    assert "Answer 119" in pdf_text(pdf)


def test_renderer_never_fetches_anything_but_data_urls():
    html = '<html><body><img src="http://127.0.0.1:9/logo.png"><p>x</p></body></html>'
    with pytest.raises(FatalURLFetchingError):
        weasyprint.HTML(string=html, base_url=None, url_fetcher=data_only_url_fetcher()).write_pdf()
    with pytest.raises(FatalURLFetchingError):
        weasyprint.HTML(
            string='<img src="file:///etc/passwd">', base_url=None, url_fetcher=data_only_url_fetcher()
        ).write_pdf()


def test_receipt_filename_is_ascii():
    assert receipt_filename("K7QM-4X2D-R") == "Eingangsbestaetigung-K7QM-4X2D-R.pdf"
    assert receipt_filename("K7QM/../4X2D-R ä") == "Eingangsbestaetigung-K7QM4X2D-R.pdf"


def test_confirmation_email_has_reference_link_and_office_but_no_answers():
    receipt = make_receipt("de", summary("de"), service_title="Belehrung & Beratung")
    subject, body = render_confirmation_email(receipt)
    assert "K7QM-4X2D-R" in subject
    assert "\n" not in subject
    assert "K7QM-4X2D-R" in body
    assert STATUS_URL in body  # not HTML-escaped: the link must work as typed
    assert "Belehrung & Beratung" in body
    assert "Gesundheitsamt Musterstadt" in body
    assert "gesundheitsamt@musterstadt.example" in body
    assert "+49 30 123456" in body
    assert "24.11.2026" in body
    for private in [
        "Erika Mustermann",
        "Hinterhaus",
        "07.03.2019",
        "Husten",
        "Bauchweh",
        "38,5",
        "12,5 kg",
        "impfpass.pdf",
        "Angaben zur Person",
        "Geburtsdatum",
    ]:
        assert private not in body, private
