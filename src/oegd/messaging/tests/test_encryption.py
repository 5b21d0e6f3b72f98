"""Message texts, subjects, phone numbers, file names and file bytes are stored only as ciphertext."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from oegd.messaging import selectors, services
from oegd.messaging.models import MessageAttachment
from oegd.messaging.tests.factories import PDF, anonymous_thread, citizen_thread, incoming

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Mein Sohn hat seit drei Tagen Fieber und Ausschlag."
SECRET_FILE = PDF.replace(b"Catalog", b"Catalog /Title (Befund Masern Ausschlag)")


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_raw_rows_hold_only_ciphertext(site):
    thread = citizen_thread(
        site,
        subject="Fieber und Ausschlag",
        body=SECRET_TEXT,
        files=[incoming(SECRET_FILE, name="Befund-Masern.pdf")],
        notify_phone="+4915112345678",
    )
    services.post_message(actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Bitte kommen Sie vorbei.")
    services.post_message(
        actor=site.cast.clerk_a, thread=thread, author_kind="staff", body="Verdacht auf Masern", internal=True
    )
    anonymous, _code = anonymous_thread(site, body="Ich habe Angst vor der Untersuchung.")

    bodies = [row[0] for row in _rows("SELECT body FROM messaging_message ORDER BY id")]
    assert len(bodies) == 4
    assert all(body.startswith("enc1:") for body in bodies)
    for plain in (SECRET_TEXT, "Bitte kommen", "Masern", "Angst"):
        assert not any(plain in body for body in bodies)
    subjects_and_phones = _rows("SELECT subject, notify_phone FROM messaging_thread")
    for subject, phone in subjects_and_phones:
        assert subject.startswith("enc1:") and "Fieber" not in subject and "Schule" not in subject
        assert phone == "" or (phone.startswith("enc1:") and "1512345" not in phone)
    (filename,) = _rows("SELECT filename FROM messaging_messageattachment")[0]
    assert filename.startswith("enc1:") and "Masern" not in filename

    # the file on disk is ciphertext too, and it reads back as the original
    attachment = MessageAttachment.objects.get()
    raw = (Path(settings.MEDIA_ROOT) / "messages" / attachment.storage_name).read_bytes()
    assert raw.startswith(b"encb1:") and b"%PDF" not in raw and b"Masern" not in raw
    assert selectors.read_attachment(attachment) == SECRET_FILE

    # the ORM gives plaintext back
    assert thread.messages.order_by("id").first().body == SECRET_TEXT
    assert anonymous.messages.get().body == "Ich habe Angst vor der Untersuchung."


def test_an_altered_file_is_not_served(site):
    thread = citizen_thread(site, files=[incoming()])
    attachment = MessageAttachment.objects.get(message__thread=thread)
    path = Path(settings.MEDIA_ROOT) / "messages" / attachment.storage_name
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(selectors.AttachmentUnavailable):
        selectors.read_attachment(attachment)


def test_file_encryption_binds_the_context_and_follows_key_rotation(settings):
    from oegd.core.crypto import DecryptionError, decrypt_bytes, encrypt_bytes, generate_key

    old_keys = settings.DATA_ENCRYPTION_KEYS
    sealed = encrypt_bytes(PDF, context="messaging.attachment")
    with pytest.raises(DecryptionError):
        decrypt_bytes(sealed, context="somewhere.else")
    with pytest.raises(DecryptionError):
        decrypt_bytes(PDF, context="messaging.attachment")
    settings.DATA_ENCRYPTION_KEYS = f"new:{generate_key()},{old_keys}"
    assert decrypt_bytes(sealed, context="messaging.attachment") == PDF  # old files stay readable
    assert encrypt_bytes(PDF, context="x").startswith(b"encb1:new:")
