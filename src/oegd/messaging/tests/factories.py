"""Files and threads for messaging tests."""

from __future__ import annotations

import hashlib

from oegd.forms.attachments import check_upload
from oegd.messaging import services
from oegd.messaging.services import IncomingFile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def incoming(data: bytes = PDF, name: str = "befund.pdf", content_type: str = "application/pdf") -> IncomingFile:
    accepted = check_upload(data=data, filename=name, declared_type=content_type, item=None)
    return IncomingFile(accepted=accepted, data=data)


def citizen_thread(site, *, body: str = "Ich habe eine Frage zur Masernimpfung meines Sohnes.", **kwargs):
    cast = site.cast
    return services.start_thread(
        actor=cast.citizen,
        office=cast.office_a,
        topic=kwargs.pop("topic", site.vaccination),
        subject=kwargs.pop("subject", "Masernimpfung"),
        body=body,
        citizen=cast.citizen,
        language="en",
        **kwargs,
    )


def anonymous_thread(site, *, pin: str = "4711", body: str = "Ich fühle mich in der Schule gemobbt."):
    return services.start_anonymous_thread(
        office=site.cast.office_a, topic=site.counselling, subject="Schule", body=body, pin=pin, language="en"
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
