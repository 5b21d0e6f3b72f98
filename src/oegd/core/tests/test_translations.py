"""Translations: every citizen-facing string exists in all citizen languages, German is complete.

The catalogues live in ``src/oegd/locale/<lang>/LC_MESSAGES/django.po`` (``make compilemessages``
builds the ``.mo`` files). Staff-only strings (staff templates, admin) need German only; the staff
area falls back to German for the other citizen languages (see ``LanguageMiddleware``).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
SOURCE_LANGUAGE = "en"
CITIZEN_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != SOURCE_LANGUAGE]
COMPLETE_LANGUAGES = [settings.LANGUAGE_CODE]  # German: every entry, staff ones included

# An entry is staff-only when every place it is used matches one of these.
STAFF_ONLY_MARKERS = (
    "/templates/core/staff/",
    "directory/templates/directory/staff_",
    "/admin",
    "cases/templates/cases/",
    "cases/views.py",
    "cases/forms.py",
    "cases/selectors.py",
    "cases/services.py",
    "cases/actions.py",
    "cases/engine.py",
    "cases/conditions.py",
    "cases/processes.py",
    "cases/documents.py",
    "cases/document_",
    "cases/process_",
    "cases/case_types.py",
    "cases/diagrams.py",
    "cases/retention.py",
    "cases/export.py",
    "cases/xdomea.py",
    "cases/controlling.py",
    "cases/templatetags/",
    "cases/management/",
    "messaging/staff_views.py",
    "messaging/templates/messaging/staff/",
    "forms/templates/forms/authoring/",
    "forms/authoring",
    "appointments/templates/appointments/staff/",
    "appointments/staff_views.py",
    "appointments/planning.py",
    # Infection protection is staff work; its FHIR answers go to lab and practice systems (de/en).
    "oegd/infection/",
    "benchmarks/",
)

# Python %-placeholders (``%(name)s``, ``%(minutes)d``, ``%s``); ``%%`` is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@cache
def catalogue(language: str) -> polib.POFile:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path} is missing: run makemessages -l {language}"
    return polib.pofile(str(path))


def live_entries(language: str) -> list[polib.POEntry]:
    return [entry for entry in catalogue(language) if not entry.obsolete]


def nplurals(po: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", po.metadata.get("Plural-Forms", ""))
    assert match, "the catalogue header has no Plural-Forms"
    return int(match.group(1))


# Citizen-facing files under a staff-only folder.
CITIZEN_EXCEPTIONS = ("cases/templates/cases/email/",)


def is_staff_only(entry: polib.POEntry) -> bool:
    paths = [path.replace("\\", "/") for path, _line in entry.occurrences]
    return bool(paths) and all(
        any(marker in path for marker in STAFF_ONLY_MARKERS)
        and not any(exception in path for exception in CITIZEN_EXCEPTIONS)
        for path in paths
    )


def placeholders(text: str) -> Counter[str]:
    return Counter(token for token in PLACEHOLDER.findall(text) if token != "%%")


def tags(text: str) -> Counter[str]:
    return Counter(HTML_TAG.findall(text))


def label(entry: polib.POEntry) -> str:
    where = ", ".join(sorted({path for path, _line in entry.occurrences})) or "no source reference"
    return f"{entry.msgid!r} ({where})"


def problems_of(entry: polib.POEntry, forms: int) -> list[str]:
    """What is wrong with one entry's translation; empty when it is usable."""
    if "fuzzy" in entry.flags:
        return ["fuzzy"]
    if entry.msgid_plural:
        translations = [entry.msgstr_plural.get(index, "") for index in range(forms)]
        source = entry.msgid_plural
    else:
        translations = [entry.msgstr]
        source = entry.msgid
    problems = []
    for index, text in enumerate(translations):
        where = f"msgstr[{index}]" if entry.msgid_plural else "msgstr"
        if not text.strip():
            problems.append(f"{where} untranslated")
            continue
        if set(placeholders(text)) != set(placeholders(source)):
            problems.append(
                f"{where} placeholders {sorted(placeholders(text))} differ from {sorted(placeholders(source))}"
            )
        if tags(text) != tags(source):
            problems.append(f"{where} HTML tags {sorted(tags(text))} differ from {sorted(tags(source))}")
    return problems


def test_every_configured_language_has_a_catalogue():
    for language in [code for code, _name in settings.LANGUAGES]:
        assert (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").exists(), language


def test_catalogues_share_the_same_source_strings():
    """All catalogues come from the same makemessages run; none lags behind."""
    reference = {(entry.msgctxt, entry.msgid) for entry in live_entries(settings.LANGUAGE_CODE)}
    assert reference, "the German catalogue is empty"
    for language in [code for code, _name in settings.LANGUAGES]:
        keys = {(entry.msgctxt, entry.msgid) for entry in live_entries(language)}
        assert keys == reference, (
            f"{language}: missing {sorted(m for _c, m in reference - keys)[:10]}, "
            f"extra {sorted(m for _c, m in keys - reference)[:10]}; re-run makemessages for all languages"
        )


@pytest.mark.parametrize("language", CITIZEN_LANGUAGES)
def test_citizen_strings_are_translated(language):
    po = catalogue(language)
    forms = nplurals(po)
    required_everywhere = language in COMPLETE_LANGUAGES
    failures = []
    for entry in live_entries(language):
        if not required_everywhere and is_staff_only(entry):
            continue
        failures.extend(f"{label(entry)}: {problem}" for problem in problems_of(entry, forms))
    assert not failures, f"{language}: {len(failures)} problem(s):\n" + "\n".join(failures)


@pytest.mark.parametrize("language", CITIZEN_LANGUAGES)
def test_optional_staff_translations_are_well_formed(language):
    """Staff-only entries may stay empty outside German, but a translation that exists must be sound."""
    po = catalogue(language)
    forms = nplurals(po)
    failures = []
    for entry in live_entries(language):
        if not is_staff_only(entry) or "fuzzy" in entry.flags:
            continue
        problems = [problem for problem in problems_of(entry, forms) if not problem.endswith("untranslated")]
        failures.extend(f"{label(entry)}: {problem}" for problem in problems)
    assert not failures, f"{language}:\n" + "\n".join(failures)


def test_german_uses_the_agreed_wording():
    expected = {
        "The e-mail address or the password is wrong.": "Die E-Mail-Adresse oder das Passwort ist falsch.",
        "Too many failed attempts. Please wait %(minutes)d minutes and try again.": (
            "Zu viele fehlgeschlagene Versuche. Bitte warten Sie %(minutes)d Minuten und versuchen Sie es erneut."
        ),
        "The two passwords are not the same.": "Die beiden Passwörter stimmen nicht überein.",
        "Your session has expired. Please log in again.": (
            "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an."
        ),
        "The form has expired": "Das Formular ist abgelaufen",
        "You do not work for this office.": "Sie arbeiten nicht für dieses Gesundheitsamt.",
    }
    translations = {entry.msgid: entry.msgstr for entry in live_entries(settings.LANGUAGE_CODE)}
    for msgid, msgstr in expected.items():
        if msgid in translations:  # the string may have been reworded in the code meanwhile
            assert translations[msgid] == msgstr


def test_english_catalogue_stays_empty():
    """English is the source language: its msgstr stay empty so gettext falls back to the msgid."""
    filled = [entry.msgid for entry in live_entries(SOURCE_LANGUAGE) if entry.translated()]
    assert not filled, filled


@pytest.mark.parametrize("language", CITIZEN_LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(language):
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run `make compilemessages`"
    mo = {(entry.msgctxt, entry.msgid): entry for entry in polib.mofile(str(mo_path))}
    stale = []
    for entry in live_entries(language):
        if not entry.translated():
            continue
        compiled = mo.get((entry.msgctxt, entry.msgid))
        if entry.msgid_plural:
            ok = compiled is not None and compiled.msgstr_plural == entry.msgstr_plural
        else:
            ok = compiled is not None and compiled.msgstr == entry.msgstr
        if not ok:
            stale.append(entry.msgid)
    assert not stale, f"{mo_path} is out of date ({len(stale)} entries): run `make compilemessages`"


# --- rendered pages -----------------------------------------------------------------------

HTML_OPENING = re.compile(r'<html\s+lang="(?P<lang>[^"]*)"\s+dir="(?P<dir>[^"]*)"\s*>')
H1 = re.compile(r"<h1\b[^>]*>(?P<text>.*?)</h1>", re.DOTALL)
ALL_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def start_page(client, language: str, *, via: str) -> str:
    if via == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get("/")
    else:
        response = client.get("/", headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def h1_of(html: str) -> str:
    match = H1.search(html)
    assert match, "the start page has no <h1>"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group("text"))).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("via", ["cookie", "accept-language"])
@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_start_page_in_each_language(client, language, via):
    html = start_page(client, language, via=via)
    opening = HTML_OPENING.search(html)
    assert opening, "no <html lang=… dir=…> element"
    assert opening.group("lang") == language
    assert opening.group("dir") == ("rtl" if language in settings.LANGUAGES_BIDI else "ltr")
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html

    english_h1 = h1_of(start_page(type(client)(), SOURCE_LANGUAGE, via=via))
    heading = h1_of(html)
    assert heading
    if language == SOURCE_LANGUAGE:
        assert heading == english_h1
    else:
        assert heading != english_h1, f"{language}: the start page heading is still English ({heading!r})"
