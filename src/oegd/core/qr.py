"""QR codes as inline SVG data URIs (TOTP enrolment, receipts): no files, nothing fetched."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def qr_svg_data_uri(text: str, *, box_size: int = 8, border: int = 4) -> str:
    """An SVG QR code of ``text`` as a ``data:`` URI for an ``<img>``."""
    buffer = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size, border=border).save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
