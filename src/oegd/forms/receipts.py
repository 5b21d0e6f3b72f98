"""The receipt of an online submission (Eingangsbestätigung) as PDF, and the confirmation e-mail.

The PDF is what a person keeps: the office as sender, the reference, when it arrived, a QR code to
the status page (with the status secret printed beneath so it can also be typed) and the answers
as given. The e-mail only says that the submission arrived and where to follow it: e-mail is not
confidential, so it never carries answers or file names.

Rendering never touches the network or the file system: the QR code is an inline data URI and the
WeasyPrint URL fetcher refuses every other kind of URL.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import get_language_bidi, gettext, override
from weasyprint.urls import URLFetcher

from oegd.core.qr import qr_svg_data_uri
from oegd.forms.summary import SummaryRow


@dataclass
class Receipt:
    """Everything the receipt shows; built by the submission service, rendered here."""

    reference: str
    service_title: str
    office_name: str
    office_address: str  # several lines
    office_email: str
    office_phone: str
    submitted_at: datetime  # aware
    status_url: str  # absolute, with the status secret in the query string (what the QR code opens)
    secret: str  # the status secret, printed for typing it in by hand
    language: str
    rows: list[SummaryRow] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # file names


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A4 PDF in ``receipt.language``."""
    html = render_receipt_html(receipt)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=data_only_url_fetcher()).write_pdf()


def render_receipt_html(receipt: Receipt) -> str:
    """The print HTML the PDF is made from (self-contained: styles inline, QR code as data URI)."""
    with override(receipt.language):
        return render_to_string("forms/receipt.html", _context(receipt))


def render_confirmation_email(receipt: Receipt) -> tuple[str, str]:
    """Subject and plain-text body of the confirmation e-mail in ``receipt.language``.

    The template gets the receipt without its answers and attachment names, so it cannot leak them.
    """
    bare = dataclasses.replace(receipt, rows=[], attachments=[])
    with override(receipt.language):
        subject = gettext("Your submission %(reference)s has been received") % {"reference": receipt.reference}
        context = {"receipt": bare, "rows": [], **_submitted_date_and_time(receipt)}
        body = render_to_string("forms/email/submission_received.txt", context)
    # Header injection is impossible with a single line; keep the body free of template blank lines.
    return " ".join(subject.split()), re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


def receipt_filename(reference: str) -> str:
    """ASCII file name for the download, e.g. ``Eingangsbestaetigung-K7QM-4X2D-R.pdf``."""
    safe = re.sub(r"[^A-Za-z0-9-]", "", reference)
    return f"Eingangsbestaetigung-{safe}.pdf"


def data_only_url_fetcher() -> URLFetcher:
    """A WeasyPrint URL fetcher that loads ``data:`` URLs only and stops rendering on anything else."""
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


def qr_code_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a data URI (no file, no network)."""
    return qr_svg_data_uri(text, box_size=10, border=0)


def _submitted_date_and_time(receipt: Receipt) -> dict[str, str]:
    # The receipt speaks the office's time, whatever time zone the request ran in.
    local = timezone.localtime(receipt.submitted_at, ZoneInfo(settings.TIME_ZONE))
    return {
        "submitted_date": date_format(local, "SHORT_DATE_FORMAT"),
        "submitted_time": time_format(local, "TIME_FORMAT"),
    }


def _context(receipt: Receipt) -> dict[str, object]:
    return {
        "receipt": receipt,
        "rows": receipt.rows,
        **_submitted_date_and_time(receipt),
        "qr_code": qr_code_data_uri(receipt.status_url),
        "language": receipt.language,
        "direction": "rtl" if get_language_bidi() else "ltr",
        "page_counter_css": _css_content(
            gettext("Page %(page)s of %(pages)s"), page="counter(page)", pages="counter(pages)"
        ),
        "reference_css": _css_string(receipt.reference),
    }


def _css_content(template: str, **counters: str) -> str:
    """A translated "%(name)s" text as a CSS ``content`` value: literal parts quoted, counters bare."""
    parts = re.split(r"%\((\w+)\)s", template)
    pieces = [counters[part] if index % 2 else _css_string(part) for index, part in enumerate(parts) if part]
    return " ".join(pieces)


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    return f'"{escaped}"'
