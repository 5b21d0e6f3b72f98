"""Texts that records carry in several languages: ``{"de": {"title": ...}, "en": {...}}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation


def text_in_language(texts: dict[str, Any], key: str, language: str | None = None) -> str:
    """``texts[language][key]`` for ``language`` (default: the active one), else German, else
    English, else any language that has it, else ""."""
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    for candidate in (language, settings.LANGUAGE_CODE, "en", *texts):
        value = (texts.get(candidate) or {}).get(key)
        if value:
            return value
    return ""
