"""Human-friendly references with a check character (Vorgangsnummer), e.g. ``K7QM-4X2D-R``.

Eight random characters of Crockford's base 32 (no I, L, O, U: nothing to confuse) and one check
character computed with the Luhn mod N algorithm over the same alphabet, so a mistyped character
or two swapped neighbours are caught before any lookup.
"""

from __future__ import annotations

from oegd.core.codes import ALPHABET, compact_code, random_code


def check_character(body: str) -> str:
    """Luhn mod 32 check character of ``body`` (characters of ALPHABET)."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_reference() -> str:
    body = random_code(8)
    return f"{body[:4]}-{body[4:]}-{check_character(body)}"


def normalize_reference(text: str) -> str | None:
    """The canonical form of a typed reference, or None when it cannot be one (bad check character)."""
    compact = compact_code(text).replace("U", "V")
    if len(compact) != 9 or any(char not in ALPHABET for char in compact):
        return None
    body, check = compact[:8], compact[8]
    if check_character(body) != check:
        return None
    return f"{body[:4]}-{body[4:]}-{check}"
