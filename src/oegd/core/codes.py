"""Codes people read and type (references, secrets, access and link codes, verification codes).

Crockford's base 32: digits and capitals without I, L, O, U, so nothing looks alike; when typed
back, O counts as 0 and I or L as 1, and spaces and dashes are ignored.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def random_code(length: int) -> str:
    """``length`` random characters of the alphabet (5 bits each)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def group_code(code: str, size: int = 4) -> str:
    """``ABCDEFGH`` → ``ABCD-EFGH``, for reading aloud and printing."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def compact_code(text: str) -> str:
    """A typed code in upper case, without spaces or dashes, look-alikes mapped (not yet checked)."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t\n").translate(_LOOKALIKES)


def normalise_code(text: str, length: int) -> str:
    """A typed code as generated, or "" when it cannot be one (wrong length or characters)."""
    code = compact_code(text)
    if len(code) != length or any(ch not in ALPHABET for ch in code):
        return ""
    return code
