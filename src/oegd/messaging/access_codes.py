"""Access codes of anonymous conversations and the limits that protect them.

A code is 20 characters of Crockford base32 (100 random bits), shown in groups of four
(``7KQ2-M9XD-4T0B-HC8W-ZP3N``). Only its keyed digest is stored. Typing mistakes that Crockford
forgives are forgiven here too: lower case, ``I``/``L`` for ``1``, ``O`` for ``0``, spaces and dashes.

Rate limits count per caller in the cache under a keyed hash of the IP address, which lives there
for the length of the window and is never written anywhere else.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from oegd.core.codes import ALPHABET, group_code, normalise_code, random_code  # noqa: F401 - ALPHABET for callers
from oegd.core.crypto import keyed_digest

CODE_LENGTH = 20  # 100 bits


def generate_access_code() -> str:
    """A fresh random code, without separators."""
    return random_code(CODE_LENGTH)


def format_access_code(code: str) -> str:
    return group_code(code)


def normalise_access_code(text: str) -> str:
    """The code as stored (upper case, no separators, Crockford's look-alikes mapped); "" if malformed."""
    return normalise_code(text, CODE_LENGTH)


def access_code_digest(code: str) -> str:
    return keyed_digest("messaging-access-code:" + code)


# --- rate limits ---------------------------------------------------------------------------------


def _caller(request: HttpRequest) -> str:
    """A keyed hash of the caller's address: enough to count, useless to identify (key outside the cache)."""
    return keyed_digest("messaging-caller:" + (request.META.get("REMOTE_ADDR") or "unknown"))[:32]


def limits() -> dict[str, tuple[int, int]]:
    """``{"start": (allowed, seconds), "return": (allowed, seconds)}`` from the settings."""
    return {
        "start": (int(getattr(settings, "MESSAGING_ANONYMOUS_STARTS_PER_HOUR", 5)), 3600),
        "return": (int(getattr(settings, "MESSAGING_ANONYMOUS_RETURNS_PER_MINUTE", 10)), 60),
    }


def over_limit(request: HttpRequest, action: str) -> bool:
    """Count one ``action`` ("start" or "return") of this caller; True when over its limit."""
    allowed, window = limits()[action]
    key = f"messaging:{action}:{_caller(request)}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count > allowed


# --- wrong codes -----------------------------------------------------------------------------------
# Failures against a code that does not exist are counted here, so that unknown codes lock exactly
# like known ones and the answer never tells whether a code exists.


def unknown_code_failures(digest: str) -> int:
    return int(cache.get(f"messaging:unknown-code:{digest}", 0))


def count_unknown_code_failure(digest: str, window: int) -> int:
    key = f"messaging:unknown-code:{digest}"
    cache.add(key, 0, window)
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, window)
        return 1
