"""Case types (Vorgangsarten): state-wide, versioned; saving one makes a new version.

Running cases keep the version they were opened with (``Case.type_version``); new cases get the
current one. A case type names its process by key (the state library's, or an office's variant
of it), the milestones citizens see with their labels per language, its checklist, its filing
plan code and its retention period.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from oegd.cases.models import CaseType, ProcessDefinition
from oegd.core import audit
from oegd.core.models import User
from oegd.core.services import DomainError

MILESTONE_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
REQUIRED_LABEL_LANGUAGES = ("de", "en")
MAX_RETENTION_DAYS = 36_525  # a hundred years; beyond it dates overflow


class CaseTypeInvalid(DomainError):
    """A case type cannot be saved as given; ``field`` names the form field at fault ("" = the whole)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def milestone_languages() -> list[str]:
    """The citizen languages, German and English first (their labels are required)."""
    return [code for code, _name in settings.LANGUAGES]


def current_case_types() -> QuerySet[CaseType]:
    return CaseType.objects.filter(is_current=True).order_by("name", "slug")


def versions_of(slug: str) -> QuerySet[CaseType]:
    return CaseType.objects.filter(slug=slug).order_by("-version")


def library_process_keys() -> list[tuple[str, str]]:
    """Keys of the state library's published processes with the newest name, for choices."""
    names: dict[str, str] = {}
    for key, name in (
        ProcessDefinition.objects.filter(office__isnull=True, status=ProcessDefinition.Status.PUBLISHED)
        .order_by("key", "-version")
        .values_list("key", "name")
    ):
        names.setdefault(key, name)
    return sorted(names.items(), key=lambda item: item[1].lower())


def _clean_milestones(milestones: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    languages = set(milestone_languages())
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for milestone in milestones:
        code = str(milestone.get("code") or "").strip()
        labels = {
            str(language): str(text).strip()[:200]
            for language, text in (milestone.get("labels") or {}).items()
            if str(text).strip()
        }
        if not code:
            raise CaseTypeInvalid(_("Every milestone needs a code."), "milestones")
        if not MILESTONE_CODE.match(code) or len(code) > 40:
            raise CaseTypeInvalid(
                _("The milestone code “%(code)s” may only hold lower-case letters, digits and underscores.")
                % {"code": code[:40]},
                "milestones",
            )
        if code in seen:
            raise CaseTypeInvalid(_("The milestone “%(code)s” appears twice.") % {"code": code}, "milestones")
        unknown = sorted(set(labels) - languages)
        if unknown:
            raise CaseTypeInvalid(
                _("Unknown language for a milestone label: %(languages)s.") % {"languages": ", ".join(unknown)},
                "milestones",
            )
        missing = [language for language in REQUIRED_LABEL_LANGUAGES if not labels.get(language)]
        if missing:
            raise CaseTypeInvalid(
                _("The milestone “%(code)s” needs a label in German and in English.") % {"code": code}, "milestones"
            )
        seen.add(code)
        cleaned.append(
            {"code": code, "labels": {lang: labels[lang] for lang in milestone_languages() if lang in labels}}
        )
    if not cleaned:
        raise CaseTypeInvalid(
            _("Declare at least one milestone citizens see, with its labels in German and English."), "milestones"
        )
    return cleaned


def save_case_type(
    *,
    actor: User,
    slug: str,
    name: str,
    process_key: str = "",
    milestones: Iterable[Mapping[str, Any]],
    checklist: Iterable[str] = (),
    filing_code: str = "",
    retention_days: int | None = None,
    retention_action: str = CaseType.RetentionAction.DELETE,
) -> CaseType:
    """Save a case type as its new current version (the first for a new slug); the previous version
    stays with the cases opened on it. Refuses with ``CaseTypeInvalid``: an unknown process key,
    milestones without German and English labels, a negative retention period; nothing is saved."""
    slug = slug.strip()
    name = name.strip()
    if not SLUG.match(slug) or len(slug) > 100:
        raise CaseTypeInvalid(_("The key may only hold letters, digits, hyphens and underscores."), "slug")
    if not name:
        raise CaseTypeInvalid(_("Please name the case type."), "name")
    process_key = process_key.strip()
    if (
        process_key
        and not ProcessDefinition.objects.filter(
            key=process_key, office__isnull=True, status=ProcessDefinition.Status.PUBLISHED
        ).exists()
    ):
        raise CaseTypeInvalid(
            _("The state library has no published process with the key “%(key)s”.") % {"key": process_key[:100]},
            "process_key",
        )
    cleaned_milestones = _clean_milestones(milestones)
    lines = [str(line).strip()[:200] for line in checklist if str(line).strip()]
    if retention_days is not None and retention_days < 0:
        raise CaseTypeInvalid(_("The retention period cannot be negative."), "retention_days")
    if retention_days is not None and retention_days > MAX_RETENTION_DAYS:
        raise CaseTypeInvalid(
            _("The retention period can be at most %(days)s days.") % {"days": MAX_RETENTION_DAYS}, "retention_days"
        )
    if retention_action not in CaseType.RetentionAction.values:
        raise CaseTypeInvalid(_("Choose what happens after the retention period."), "retention_action")
    if len(filing_code) > 40:
        raise CaseTypeInvalid(_("The filing plan code can be at most 40 characters."), "filing_code")
    try:
        with transaction.atomic():
            previous = list(CaseType.objects.select_for_update().filter(slug=slug).order_by("-version"))
            latest = previous[0] if previous else None
            CaseType.objects.filter(slug=slug, is_current=True).update(is_current=False)
            case_type = CaseType.objects.create(
                slug=slug,
                version=(latest.version + 1) if latest else 1,
                name=name[:200],
                process_key=process_key,
                milestones=cleaned_milestones,
                checklist=lines,
                filing_code=filing_code.strip(),
                retention_days=retention_days,
                retention_action=retention_action,
                is_current=True,
            )
            audit.record(actor, "case_type.save", case_type, purpose=f"{slug} v{case_type.version}")
    except IntegrityError as exc:  # someone saved the same new case type at the same moment
        raise CaseTypeInvalid(_("This case type was just saved by someone else. Please try again.")) from exc
    return case_type
