"""Names made comparable: German normalisation, transliteration and the Kölner Phonetik.

Record linkage compares names byte-wise (DuckDB's string functions, SQL equality), so "Müller",
"Mueller" and "MÜLLER" must first become the same text, and "Meier"/"Mayer"/"Maier" the same
phonetic code.
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not take apart, and German spellings of umlauts and ß.
_SPECIAL = str.maketrans(
    {
        "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ẞ": "ss",
        "ı": "i", "ł": "l", "ø": "oe", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "þ": "th",
    }
)  # fmt: skip
# Cyrillic after the ICAO 9303 transliteration used in passports.
_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ie",
        "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
        "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
        "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e",
        "ю": "iu", "я": "ia",
    }
)  # fmt: skip
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_WORD = re.compile(r"[\W_]+")
_NOT_LETTER = re.compile(r"[^a-z]+")


def fold_text(value: str) -> str:
    """The form used to compare places and streets: case-folded, umlauts and ß spelled out (ä→ae,
    ß→ss), other accents dropped, punctuation turned into single spaces.

    >>> fold_text("  Frankfurt (Oder) ")
    'frankfurt oder'
    >>> fold_text("Groß-Gerau") == fold_text("GROSS GERAU")
    True
    """
    text = unicodedata.normalize("NFC", value).casefold().translate(_UMLAUTS)
    if not text.isascii():
        text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def normalise_name(name: str) -> str:
    """Lower-case ASCII letters and single spaces: "Müller-Lüdenscheidt" → "mueller luedenscheidt";
    letters without an ASCII form (ı, ł, ø, Cyrillic) are transliterated, digits dropped."""
    text = fold_text(name.casefold().translate(_SPECIAL).translate(_CYRILLIC))
    return " ".join(_NOT_LETTER.sub(" ", text.encode("ascii", "ignore").decode("ascii")).split())


def _koelner_digit(previous: str, char: str, following: str) -> str:
    if char in "aeijouy":
        return "0"
    if char == "h":
        return ""
    if char == "b":
        return "1"
    if char == "p":
        return "3" if following == "h" else "1"
    if char in "dt":
        return "8" if following in ("c", "s", "z") else "2"
    if char in "fvw":
        return "3"
    if char in "gkq":
        return "4"
    if char == "c":
        if previous == "":
            return "4" if following in "ahkloqrux" and following else "8"
        if previous in "sz":
            return "8"
        return "4" if following and following in "ahkoqux" else "8"
    if char == "x":
        return "8" if previous in ("c", "k", "q") else "48"
    if char == "l":
        return "5"
    if char in "mn":
        return "6"
    if char == "r":
        return "7"
    if char in "sz":
        return "8"
    return ""


def koelner_phonetik(name: str) -> str:
    """The Kölner Phonetik code of a name ("Meier", "Mayer", "Maier" → "67"; words joined)."""
    # Umlauts count as their vowel here (ä → a), not as "ae" (which would add a second vowel).
    text = name.lower().replace("ä", "a").replace("ö", "o").replace("ü", "u")
    letters = normalise_name(text).replace(" ", "")
    digits: list[str] = []
    for index, char in enumerate(letters):
        previous = letters[index - 1] if index else ""
        following = letters[index + 1] if index + 1 < len(letters) else ""
        digits.append(_koelner_digit(previous, char, following))
    code = ""
    for digit in "".join(digits):
        if not code or code[-1] != digit:
            code += digit
    return code[:1] + code[1:].replace("0", "") if code else ""
