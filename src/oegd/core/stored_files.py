"""Reading a stored file back: the one place that checks it is still there and unchanged.

Attachments, message files and case documents are kept with their SHA-256; every read compares
it, so a damaged or swapped file is never handed out.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.core.files.storage import Storage

from oegd.core.crypto import DecryptionError

logger = logging.getLogger(__name__)


class StoredFileUnreadable(Exception):
    """The file is missing, cannot be decoded, or does not match its recorded checksum."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "missing" or "damaged"


def read_verified(
    storage: Storage, name: str, sha256: str, *, label: str, decode: Callable[[bytes], bytes] | None = None
) -> bytes:
    """The bytes stored under ``name`` (decoded, e.g. decrypted, when ``decode`` is given),
    checked against ``sha256``; ``label`` names the file in the log (never its content)."""
    try:
        with storage.open(name, "rb") as handle:
            data = handle.read()
        if decode is not None:
            data = decode(data)
    except FileNotFoundError as exc:
        logger.error("%s: file missing", label)
        raise StoredFileUnreadable("missing") from exc
    except DecryptionError as exc:
        logger.error("%s: cannot be decoded (%s)", label, type(exc).__name__)
        raise StoredFileUnreadable("damaged") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.error("%s: checksum mismatch", label)
        raise StoredFileUnreadable("damaged")
    return data
