"""The form builder (Formulareditor) and the administration of the service catalogue.

Reads are scoped to the acting staff member and their active office: state-wide forms (office
None) and the forms of the active office; everything else does not exist for them (404).
Writes follow the usual shape: keyword-only arguments, one transaction, one audit event. Every
change of a draft is applied to the freshly locked Questionnaire JSON and re-checked as a whole
with ``load_questionnaire`` before it is stored, so the stored draft always loads.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError

from oegd.core import audit
from oegd.core.access import has_permission
from oegd.core.models import Office, User
from oegd.core.services import DomainError
from oegd.forms.models import FormDefinition, FormVersion, Service, ServiceOffer
from oegd.forms.questionnaire import (
    EXT_MAX_VALUE,
    EXT_MIN_VALUE,
    EXT_REGEX,
    EXT_TRANSLATION,
    QUESTION_TYPES,
    QuestionnaireDefinition,
    QuestionnaireInvalid,
    load_questionnaire,
    translations_of,
)

FORM_URL_PREFIX = "https://oegd.example/fhir/Questionnaire/"
MAX_IMPORT_BYTES = 2 * 1024 * 1024
# Slugs that would clash with the builder's own pages under staff/forms/.
RESERVED_SLUGS = frozenset({"services", "new"})
CHOICE_TYPES = frozenset({"choice", "open-choice"})
RANGE_TYPES = {"integer": "Integer", "decimal": "Decimal", "date": "Date", "dateTime": "DateTime"}
MAX_LENGTH_TYPES = frozenset({"string", "text", "url", "open-choice"})
SERVICE_TEXT_KEYS = ("title", "summary")


def form_languages() -> list[str]:
    """Languages a form is translated into: all portal languages, German (the base) first."""
    return [code for code, _name in settings.LANGUAGES]


# --- errors ------------------------------------------------------------------------------------


class AuthoringError(DomainError):
    """A refused change; ``field`` names the form field it belongs to ("" for the whole form)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class DraftInvalid(AuthoringError):
    """The change would leave a Questionnaire that does not load; nothing was saved."""

    def __init__(self, reason: str) -> None:
        super().__init__(_("The form cannot be saved: %(reason)s") % {"reason": reason})
        self.reason = reason


class NotAllowed(AuthoringError):
    """The actor may not do this (views turn it into a 404)."""


# --- reads -------------------------------------------------------------------------------------


def forms_visible_to(*, user: User, office: Office | None) -> QuerySet[FormDefinition]:
    """State-wide forms and the forms of the active office; nothing of other offices."""
    if office is None or not has_permission(user, office, "forms.manage"):
        return FormDefinition.objects.none()
    return FormDefinition.objects.filter(Q(office__isnull=True) | Q(office=office)).prefetch_related("versions")


def can_edit_form(*, user: User, office: Office | None, form: FormDefinition) -> bool:
    """State-wide forms are kept by state administrators, office forms by their office's admins."""
    if form.office_id is None:
        return has_permission(user, office, "state.manage")
    return office is not None and form.office_id == office.pk and has_permission(user, office, "forms.manage")


def get_form_for_user(*, user: User, office: Office | None, slug: str, for_edit: bool = False) -> FormDefinition:
    """The form with ``slug`` if the user may see it (and edit it, with ``for_edit``), else 404."""
    form = get_object_or_404(forms_visible_to(user=user, office=office), slug=slug)
    if for_edit and not can_edit_form(user=user, office=office, form=form):
        raise Http404
    return form


def draft_of(form: FormDefinition) -> FormVersion | None:
    return form.versions.filter(status=FormVersion.Status.DRAFT).first()


def active_version_of(form: FormDefinition) -> FormVersion | None:
    return form.versions.filter(status=FormVersion.Status.ACTIVE).first()


def get_version_for_user(*, user: User, office: Office | None, slug: str, version: int) -> FormVersion:
    form = get_form_for_user(user=user, office=office, slug=slug)
    return get_object_or_404(FormVersion.objects.select_related("form"), form=form, version=version)


def export_version(version: FormVersion) -> bytes:
    """The Questionnaire of ``version`` as FHIR JSON (UTF-8, readable indentation)."""
    return json.dumps(version.resource, ensure_ascii=False, indent=2).encode()


def export_filename(version: FormVersion) -> str:
    return f"{version.form.slug}-v{version.version}.json"


@dataclass
class ItemRow:
    """An item of the draft as the editor lists it (a tree through ``children``)."""

    link_id: str
    type: str
    text: str
    required: bool
    options: int
    conditions: int
    translated: list[str]
    is_first: bool
    is_last: bool
    children: list[ItemRow] = field(default_factory=list)


def item_tree(resource: dict) -> list[ItemRow]:
    """The items of a Questionnaire as a tree of rows for the editor."""

    def rows(items: list[dict]) -> list[ItemRow]:
        return [
            ItemRow(
                link_id=raw["linkId"],
                type=raw["type"],
                text=raw.get("text", ""),
                required=bool(raw.get("required")),
                options=len(raw.get("answerOption") or []),
                conditions=len(raw.get("enableWhen") or []),
                translated=sorted(translations_of(raw.get("_text"))),
                is_first=index == 0,
                is_last=index == len(items) - 1,
                children=rows(raw.get("item") or []),
            )
            for index, raw in enumerate(items)
        ]

    return rows(resource.get("item") or [])


def find_item(resource: dict, link_id: str) -> dict | None:
    """The raw item with ``link_id`` anywhere in the tree, or None."""
    for _container, _index, raw in _walk(resource):
        if raw["linkId"] == link_id:
            return raw
    return None


def question_choices(resource: dict, exclude: str | None = None) -> list[tuple[str, str]]:
    """(linkId, label) of every question an enableWhen may point to."""
    return [
        (raw["linkId"], f"{raw['linkId']} – {raw.get('text', '')}".strip(" –"))
        for _container, _index, raw in _walk(resource)
        if raw["type"] in QUESTION_TYPES and raw["linkId"] != exclude
    ]


def option_label(option: dict) -> tuple[str, str]:
    """(code, display) of an answerOption as the editor shows it."""
    if "valueCoding" in option:
        coding = option["valueCoding"]
        return coding.get("code", ""), coding.get("display", "")
    for key, value in option.items():
        if key.startswith("value"):
            return str(value).lower() if isinstance(value, bool) else str(value), ""
    return "", ""


def preview_definition(version: FormVersion) -> QuestionnaireDefinition:
    return load_questionnaire(version.resource)


# --- drafts ------------------------------------------------------------------------------------


def empty_questionnaire(*, url: str, title: str) -> dict:
    return {"resourceType": "Questionnaire", "url": url, "title": title, "status": "draft"}


def create_form(*, actor: User, office: Office | None, slug: str, title: str) -> FormDefinition:
    """Create a form (owned by ``office``; None: state-wide) with an empty draft version 1."""
    slug = slug.strip().lower()
    title = title.strip()
    if slug in RESERVED_SLUGS:
        raise AuthoringError(_("This short name is reserved. Please choose another one."), "slug")
    allowed = actor.is_state_admin if office is None else has_permission(actor, office, "forms.manage")
    if not allowed:
        raise NotAllowed(_("You may not create this form."))
    url = FORM_URL_PREFIX + slug
    with transaction.atomic():
        if FormDefinition.objects.filter(Q(slug=slug) | Q(url=url)).exists():
            raise AuthoringError(_("A form with this short name exists already."), "slug")
        try:
            with transaction.atomic():
                form = FormDefinition.objects.create(slug=slug, url=url, title=title, office=office)
        except IntegrityError as exc:  # created at the same moment by someone else
            raise AuthoringError(_("A form with this short name exists already."), "slug") from exc
        version = FormVersion.objects.create(
            form=form, version=1, status=FormVersion.Status.DRAFT, resource=empty_questionnaire(url=url, title=title)
        )
        audit.record(actor, "form.create", form, office=office, purpose=f"draft v{version.version}")
    return form


def open_draft(*, actor: User, form: FormDefinition) -> FormVersion:
    """The draft of ``form``; without one, a new draft as a copy of the active (or latest) version."""
    _require_editor(actor, form)
    with transaction.atomic():
        versions = list(_lock_versions(form))
        for version in versions:
            if version.status == FormVersion.Status.DRAFT:
                return version
        source = next((v for v in versions if v.status == FormVersion.Status.ACTIVE), None) or (
            versions[0] if versions else None
        )
        resource = copy.deepcopy(source.resource) if source else empty_questionnaire(url=form.url, title=form.title)
        resource["status"] = "draft"
        resource.pop("version", None)
        resource.pop("date", None)
        number = max((v.version for v in versions), default=0) + 1
        draft = FormVersion.objects.create(
            form=form, version=number, status=FormVersion.Status.DRAFT, resource=resource
        )
        audit.record(
            actor, "form.draft", draft, office=form.office, purpose=f"copy of v{source.version}" if source else ""
        )
    return draft


def _require_editor(actor: User, form: FormDefinition) -> None:
    """Second line of defence behind the views: only the keepers of a form change it."""
    allowed = actor.is_state_admin if form.office is None else has_permission(actor, form.office, "forms.manage")
    if not allowed:
        raise NotAllowed(_("You may not change this form."))


def _lock_versions(form: FormDefinition) -> QuerySet[FormVersion]:
    """Lock the form row and its versions, always in this order (no deadlocks between writers)."""
    FormDefinition.objects.select_for_update().filter(pk=form.pk).first()
    return FormVersion.objects.select_for_update().filter(form=form).order_by("-version")


def _change_draft(*, actor: User, form: FormDefinition, action: str, change, purpose: str = "") -> FormVersion:
    """Apply ``change(resource)`` to the locked draft, check the result as a whole, then save."""
    _require_editor(actor, form)
    with transaction.atomic():
        draft = _lock_versions(form).filter(status=FormVersion.Status.DRAFT).first()
        if draft is None:
            raise AuthoringError(_("This form has no draft. Start editing first."))
        resource = copy.deepcopy(draft.resource)
        change(resource)
        resource["url"] = form.url
        resource["status"] = "draft"
        check_questionnaire(resource)
        draft.resource = resource
        draft.save(update_fields=["resource"])
        audit.record(actor, action, draft, office=form.office, purpose=purpose)
    return draft


def check_questionnaire(resource: dict) -> QuestionnaireDefinition:
    """Load ``resource`` as a form definition; ``DraftInvalid`` with the reason if it does not."""
    try:
        return load_questionnaire(resource)
    except QuestionnaireInvalid as exc:
        raise DraftInvalid(str(exc)) from exc


@dataclass
class ItemSpec:
    """What the item editor sends. ``options``/``enable_when`` None: keep what the item has."""

    link_id: str
    type: str
    text: str = ""
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    max_length: int | None = None
    min_value: str = ""
    max_value: str = ""
    regex: str = ""
    options: list[tuple[str, str]] | None = None
    enable_when: list[tuple[str, str, str]] | None = None
    enable_behavior: str = "all"


def save_item(
    *,
    actor: User,
    form: FormDefinition,
    spec: ItemSpec,
    original_link_id: str | None = None,
    parent_link_id: str | None = None,
    after_link_id: str | None = None,
) -> FormVersion:
    """Change the item ``original_link_id`` of the draft, or add a new one.

    A new item goes after ``after_link_id`` (a sibling), else as the last child of
    ``parent_link_id``, else at the end of the form. Renaming a linkId renames the enableWhen
    conditions that point to it.
    """

    def change(resource: dict) -> None:
        if original_link_id is None:
            raw: dict[str, Any] = {}
        else:
            found = find_item(resource, original_link_id)
            if found is None:
                raise AuthoringError(_("This question does not exist (any more)."))
            raw = found
        if spec.link_id != original_link_id and find_item(resource, spec.link_id) is not None:
            raise AuthoringError(_("Another item has this linkId already."), "link_id")
        _apply_spec(resource, raw, spec)
        if original_link_id is None:
            _insert(resource, raw, parent_link_id=parent_link_id, after_link_id=after_link_id)
        elif spec.link_id != original_link_id:
            for _container, _index, other in _walk(resource):
                for condition in other.get("enableWhen") or []:
                    if condition.get("question") == original_link_id:
                        condition["question"] = spec.link_id

    action = "form.item_add" if original_link_id is None else "form.item_edit"
    return _change_draft(actor=actor, form=form, action=action, change=change, purpose=spec.link_id)


def _apply_spec(resource: dict, raw: dict, spec: ItemSpec) -> None:
    raw["linkId"] = spec.link_id
    raw["type"] = spec.type
    _set(raw, "text", spec.text.strip() or None)
    _set(raw, "required", True if spec.required else None)
    _set(raw, "repeats", True if spec.repeats else None)
    _set(raw, "readOnly", True if spec.read_only else None)
    if spec.max_length is not None and spec.type not in MAX_LENGTH_TYPES:
        raise AuthoringError(_("A maximum length applies to text answers only."), "max_length")
    _set(raw, "maxLength", spec.max_length)
    extensions = [
        ext for ext in raw.get("extension") or [] if ext.get("url") not in (EXT_MIN_VALUE, EXT_MAX_VALUE, EXT_REGEX)
    ]
    for url, text, name in ((EXT_MIN_VALUE, spec.min_value, "min_value"), (EXT_MAX_VALUE, spec.max_value, "max_value")):
        if text.strip():
            kind = RANGE_TYPES.get(spec.type)
            if kind is None:
                raise AuthoringError(_("Minimum and maximum apply to numbers and dates only."), name)
            extensions.append({"url": url, f"value{kind}": _typed_value(kind, text.strip(), name)})
    if spec.regex:
        try:
            re.compile(spec.regex)
        except re.error as exc:
            raise AuthoringError(
                _("This regular expression is not valid: %(error)s") % {"error": exc}, "regex"
            ) from exc
        extensions.append({"url": EXT_REGEX, "valueString": spec.regex})
    _set(raw, "extension", extensions or None)
    if spec.options is not None:
        if spec.options and spec.type not in CHOICE_TYPES:
            raise AuthoringError(_("Answer options apply to choice questions only."), "options")
        _set(raw, "answerOption", _merge_options(raw.get("answerOption") or [], spec.options) or None)
    if raw.get("answerOption") and spec.type not in CHOICE_TYPES:
        raise AuthoringError(_("Answer options apply to choice questions only."), "options")
    if spec.type == "display" and raw.get("item"):
        raise AuthoringError(_("A display text cannot hold other items."), "type")
    if spec.enable_when is not None:
        _set(raw, "enableWhen", [_condition(resource, row) for row in spec.enable_when] or None)
    _set(raw, "enableBehavior", spec.enable_behavior if len(raw.get("enableWhen") or []) > 1 else None)


def _set(raw: dict, key: str, value: Any) -> None:
    if value is None:
        raw.pop(key, None)
    else:
        raw[key] = value


def _merge_options(existing: list[dict], options: list[tuple[str, str]]) -> list[dict]:
    """New answerOptions as Codings; an option whose code stays keeps its translations and system."""
    by_code = {option_label(option)[0]: option for option in existing}
    merged = []
    for code, display in options:
        old = by_code.get(code, {})
        if "valueCoding" in old:
            option = copy.deepcopy(old)
        else:
            option = {"valueCoding": {}}
            if old.get("_valueString"):
                option["valueCoding"]["_display"] = copy.deepcopy(old["_valueString"])
        coding = option["valueCoding"]
        coding["code"] = code
        _set(coding, "display", display or None)
        merged.append(option)
    return merged


def _condition(resource: dict, row: tuple[str, str, str]) -> dict:
    question, operator, answer = row
    target = find_item(resource, question)
    if target is None:
        raise AuthoringError(
            _("The condition refers to %(link_id)s, which is not in the form.") % {"link_id": question},
            "enable_when",
        )
    if operator == "exists":
        return {"question": question, "operator": operator, "answerBoolean": _boolean(answer)}
    kind, value = _answer_for(target, answer)
    return {"question": question, "operator": operator, f"answer{kind}": value}


def _answer_for(target: dict, answer: str) -> tuple[str, Any]:
    """The typed answer[x] of a condition on ``target`` from what the editor typed."""
    answer = answer.strip()
    item_type = target["type"]
    if not answer:
        raise AuthoringError(_("Please enter the answer the condition compares with."), "enable_when")
    if item_type in CHOICE_TYPES:
        for option in target.get("answerOption") or []:
            code, _display = option_label(option)
            if code == answer:
                if "valueCoding" in option:
                    coding = {k: v for k, v in option["valueCoding"].items() if k in ("system", "code")}
                    return "Coding", coding
                kind = next(key[5:] for key in option if key.startswith("value"))
                return kind, option[f"value{kind}"]
        if item_type == "choice":
            raise AuthoringError(
                _("%(answer)s is not one of the answer options of %(link_id)s.")
                % {"answer": answer, "link_id": target["linkId"]},
                "enable_when",
            )
        return "Coding", {"code": answer}
    match item_type:
        case "boolean":
            return "Boolean", _boolean(answer)
        case "integer" | "decimal" | "date" | "dateTime":
            kind = RANGE_TYPES[item_type]
            return kind, _typed_value(kind, answer, "enable_when")
        case "time":
            if not re.match(r"^\d{2}:\d{2}(:\d{2})?$", answer):
                raise AuthoringError(_("Please enter a time as HH:MM."), "enable_when")
            return "Time", answer if answer.count(":") == 2 else answer + ":00"
        case "string" | "text" | "url":  # R4 has no answerUri: url questions compare as strings
            return "String", answer
        case "quantity":
            return "Quantity", {"value": _typed_value("Decimal", answer, "enable_when")}
    raise AuthoringError(
        _("For %(link_id)s only the condition “exists” is possible.") % {"link_id": target["linkId"]}, "enable_when"
    )


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "ja", "1"):
        return True
    if value in ("false", "no", "nein", "0"):
        return False
    raise AuthoringError(_("Please enter true or false."), "enable_when")


def _typed_value(kind: str, text: str, field_name: str) -> Any:
    """A FHIR value of ``kind`` from typed text; German decimal commas are accepted."""
    try:
        if kind == "Integer":
            return int(text)
        if kind == "Decimal":
            number = float(text.replace(",", "."))
            return int(number) if number.is_integer() and "." not in text and "," not in text else number
    except ValueError as exc:
        raise AuthoringError(_("Please enter a number."), field_name) from exc
    if kind == "Date" and re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", text):
        return text
    if kind == "DateTime" and re.match(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z))?$", text):
        return text
    raise AuthoringError(_("Please enter a date as YYYY-MM-DD."), field_name)


def _walk(resource: dict) -> Iterator[tuple[list[dict], int, dict]]:
    """(list holding the item, its index, the item) for every item, depth first in form order."""

    def walk(items: list[dict]) -> Iterator[tuple[list[dict], int, dict]]:
        for index, raw in enumerate(items):
            yield items, index, raw
            yield from walk(raw.get("item") or [])

    yield from walk(resource.get("item") or [])


def _locate(resource: dict, link_id: str) -> tuple[list[dict], int]:
    for container, index, raw in _walk(resource):
        if raw["linkId"] == link_id:
            return container, index
    raise AuthoringError(_("This question does not exist (any more)."))


def _insert(resource: dict, raw: dict, *, parent_link_id: str | None, after_link_id: str | None) -> None:
    if after_link_id:
        container, index = _locate(resource, after_link_id)
        container.insert(index + 1, raw)
    elif parent_link_id:
        parent = find_item(resource, parent_link_id)
        if parent is None:
            raise AuthoringError(_("This question does not exist (any more)."))
        if parent["type"] == "display":
            raise AuthoringError(_("A display text cannot hold other items."))
        parent.setdefault("item", []).append(raw)
    else:
        resource.setdefault("item", []).append(raw)


def delete_item(*, actor: User, form: FormDefinition, link_id: str) -> FormVersion:
    """Remove an item (with its children) from the draft; refused while conditions point to it."""

    def change(resource: dict) -> None:
        container, index = _locate(resource, link_id)
        removed = {raw["linkId"] for _c, _i, raw in _walk({"item": [container[index]]})}
        container.pop(index)
        for _container, _index, raw in _walk(resource):
            if any(condition.get("question") in removed for condition in raw.get("enableWhen") or []):
                raise AuthoringError(
                    _("%(other)s has a condition on this item. Change that condition first.") % {"other": raw["linkId"]}
                )
        _drop_empty_item_lists(resource)

    return _change_draft(actor=actor, form=form, action="form.item_delete", change=change, purpose=link_id)


def _drop_empty_item_lists(element: dict) -> None:
    # FHIR forbids empty arrays: an emptied "item" list goes away.
    for raw in element.get("item") or []:
        _drop_empty_item_lists(raw)
    if "item" in element and not element["item"]:
        del element["item"]


def move_item(*, actor: User, form: FormDefinition, link_id: str, direction: str) -> FormVersion:
    """Move an item one place up or down among its siblings."""
    if direction not in ("up", "down"):
        raise AuthoringError(_("Unknown direction."))

    def change(resource: dict) -> None:
        container, index = _locate(resource, link_id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(container):
            container[index], container[other] = container[other], container[index]

    return _change_draft(actor=actor, form=form, action="form.item_move", change=change, purpose=link_id)


def _with_translations(element: dict | None, texts: dict[str, str]) -> dict | None:
    """``element`` (a primitive's ``_x``) with its translation extensions replaced by ``texts``."""
    element = copy.deepcopy(element or {})
    others = [ext for ext in element.get("extension") or [] if ext.get("url") != EXT_TRANSLATION]
    translated = [
        {
            "url": EXT_TRANSLATION,
            "extension": [{"url": "lang", "valueCode": lang}, {"url": "content", "valueString": content}],
        }
        for lang, content in texts.items()
        if content.strip()
    ]
    _set(element, "extension", others + translated or None)
    return element or None


def save_item_translations(
    *, actor: User, form: FormDefinition, link_id: str, texts: dict[str, str], option_texts: list[dict[str, str]]
) -> FormVersion:
    """Store the item text and option displays per language. German ("de") is the base text."""

    def change(resource: dict) -> None:
        raw = find_item(resource, link_id)
        if raw is None:
            raise AuthoringError(_("This question does not exist (any more)."))
        base = texts.get("de", "").strip()
        _set(raw, "text", base or None)
        _set(raw, "_text", _with_translations(raw.get("_text"), _others(texts)))
        for option, option_langs in zip(raw.get("answerOption") or [], option_texts, strict=False):
            if "valueCoding" in option:
                coding = option["valueCoding"]
                _set(coding, "display", option_langs.get("de", "").strip() or None)
                _set(coding, "_display", _with_translations(coding.get("_display"), _others(option_langs)))
            elif "valueString" in option:
                _set(option, "_valueString", _with_translations(option.get("_valueString"), _others(option_langs)))

    return _change_draft(actor=actor, form=form, action="form.translate", change=change, purpose=link_id)


def save_title_translations(*, actor: User, form: FormDefinition, texts: dict[str, str]) -> FormVersion:
    """Store the form title per language; German ("de") is the base title and may not be empty."""
    if not texts.get("de", "").strip():
        raise AuthoringError(_("The form needs a German title."), "title_de")

    def change(resource: dict) -> None:
        resource["title"] = texts["de"].strip()
        _set(resource, "_title", _with_translations(resource.get("_title"), _others(texts)))

    return _change_draft(actor=actor, form=form, action="form.translate", change=change, purpose="title")


def _others(texts: dict[str, str]) -> dict[str, str]:
    return {lang: text.strip() for lang, text in texts.items() if lang != "de" and lang in form_languages()}


def import_questionnaire(*, actor: User, form: FormDefinition, data: bytes) -> FormVersion:
    """Replace the draft's Questionnaire by an uploaded one (creating a draft if there is none).

    The canonical URL is forced to the form's; the result must pass fhir.resources and our loader.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise AuthoringError(_("The file is too large (at most 2 MB)."), "file")
    try:
        resource = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AuthoringError(_("This is not valid JSON: %(error)s") % {"error": exc}, "file") from exc
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise AuthoringError(_("The JSON is not a FHIR Questionnaire."), "file")
    resource["url"] = form.url
    resource["status"] = "draft"
    try:
        Questionnaire.model_validate(resource)
    except ValidationError as exc:
        raise AuthoringError(
            _("The Questionnaire is not valid FHIR R4: %(error)s") % {"error": _first_error(exc)}, "file"
        ) from exc

    def change(current: dict) -> None:
        current.clear()
        current.update(resource)

    with transaction.atomic():
        open_draft(actor=actor, form=form)
        return _change_draft(actor=actor, form=form, action="form.import", change=change, purpose=f"{len(data)} bytes")


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    return f"{'.'.join(str(part) for part in first.get('loc', ()))}: {first.get('msg', '')}"


def publish_form_version(*, actor: User, form: FormDefinition) -> FormVersion:
    """Make the draft the active version and retire the previous one, in one transaction.

    Drafts and submissions reference the version they started with, so they stay untouched:
    people filling in the old version finish it; new ones get the new version.
    """
    _require_editor(actor, form)
    with transaction.atomic():
        versions = list(_lock_versions(form))
        draft = next((v for v in versions if v.status == FormVersion.Status.DRAFT), None)
        if draft is None:
            raise AuthoringError(_("There is no draft to publish."))
        definition = check_questionnaire(draft.resource)
        if not any(item.is_question for item in definition.walk()):
            raise AuthoringError(_("A form needs at least one question before it can be published."))
        now = timezone.now().replace(microsecond=0)
        for version in versions:
            if version.status == FormVersion.Status.ACTIVE:
                version.status = FormVersion.Status.RETIRED
                version.save(update_fields=["status"])
                audit.record(actor, "form.retire", version, office=form.office, purpose=f"v{version.version}")
        draft.resource = {
            **draft.resource,
            "url": form.url,
            "version": str(draft.version),
            "status": "active",
            "date": now.isoformat(),
        }
        check_questionnaire(draft.resource)
        draft.status = FormVersion.Status.ACTIVE
        draft.published_at = now
        draft.save(update_fields=["resource", "status", "published_at"])
        if definition.title and definition.title != form.title:
            form.title = definition.title
            form.save(update_fields=["title"])
        audit.record(actor, "form.publish", draft, office=form.office, purpose=f"v{draft.version}")
    return draft


# --- service catalogue -------------------------------------------------------------------------


def services_visible_to(*, user: User, office: Office | None) -> QuerySet[Service]:
    """Services whose form the user may see, each with ``offered``: switched on in ``office``."""
    if office is None or not has_permission(user, office, "forms.manage"):
        return Service.objects.none()
    offered = ServiceOffer.objects.filter(service=OuterRef("pk"), office=office, is_active=True)
    return (
        Service.objects.filter(Q(form__office__isnull=True) | Q(form__office=office))
        .select_related("form")
        .annotate(offered=Exists(offered))
    )


def get_service_for_user(*, user: User, office: Office | None, slug: str, state_wide: bool = False) -> Service:
    """A service the user may switch for ``office``; with ``state_wide`` only for state admins."""
    service = get_object_or_404(services_visible_to(user=user, office=office), slug=slug)
    if state_wide and not has_permission(user, office, "state.manage"):
        raise Http404
    return service


def set_service_offer(*, actor: User, service: Service, office: Office, active: bool) -> ServiceOffer:
    """Switch a service on or off in one office."""
    if not (has_permission(actor, office, "forms.manage")):
        raise NotAllowed(_("You may not change the services of this office."))
    with transaction.atomic():
        offer, _created = ServiceOffer.objects.select_for_update().get_or_create(
            service=service, office=office, defaults={"is_active": active}
        )
        if offer.is_active != active:
            offer.is_active = active
            offer.save(update_fields=["is_active", "updated_at"])
        audit.record(actor, "service.offer", offer, office=office, purpose="on" if active else "off")
    return offer


def publish_service_to_all_offices(*, actor: User, service: Service) -> int:
    """Crisis mode: switch ``service`` on in every active office at once (state admins only).

    Returns how many offices newly offer it (created or switched on); offices that offered it
    already are left as they are.
    """
    if not actor.is_state_admin:
        raise NotAllowed(_("Only state administrators may publish a service to all offices."))
    changed = 0
    with transaction.atomic():
        for office in Office.objects.filter(is_active=True).order_by("pk"):
            offer, created = ServiceOffer.objects.select_for_update().get_or_create(
                service=service, office=office, defaults={"is_active": True}
            )
            if not created and offer.is_active:
                continue
            if not created:
                offer.is_active = True
                offer.save(update_fields=["is_active", "updated_at"])
            changed += 1
            audit.record(actor, "service.offer", offer, office=office, purpose="on (all offices)")
        audit.record(actor, "service.publish_all", service, purpose=f"{changed} offices")
    return changed


@dataclass
class ServiceSettings:
    """The state-wide definition of a service, as the catalogue editor sends it."""

    kind: str
    form: FormDefinition
    case_type: str
    leika_code: str = ""
    kle_code: str = ""
    allow_anonymous: bool = False
    allow_citizens: bool = True
    institution_kinds: list[str] = field(default_factory=list)
    routing: str = Service.Routing.POSTAL_CODE
    postal_code_link_id: str = ""
    place_link_id: str = ""


def update_service(
    *, actor: User, service: Service, texts: dict[str, dict[str, str]], values: ServiceSettings
) -> Service:
    """Change a service's catalogue texts (per language) and settings (state admins only)."""
    if not actor.is_state_admin:
        raise NotAllowed(_("Only state administrators may change a service's definition."))
    cleaned = {
        lang: {key: value.strip() for key, value in entry.items() if key in SERVICE_TEXT_KEYS and value.strip()}
        for lang, entry in texts.items()
        if lang in form_languages()
    }
    cleaned = {lang: entry for lang, entry in cleaned.items() if entry}
    if not cleaned.get("de", {}).get("title"):
        raise AuthoringError(_("The service needs a German title."), "title_de")
    version = active_version_of(values.form) or draft_of(values.form)
    link_ids = set(load_questionnaire(version.resource).by_link_id) if version else set()
    for name in ("postal_code_link_id", "place_link_id"):
        link_id = getattr(values, name)
        if link_id and link_id not in link_ids:
            raise AuthoringError(
                _("The form has no question with the linkId %(link_id)s.") % {"link_id": link_id}, name
            )
    if values.routing == Service.Routing.POSTAL_CODE and not values.postal_code_link_id:
        raise AuthoringError(_("Routing by postal code needs the question that asks for it."), "postal_code_link_id")
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        service.texts = cleaned
        for name, value in vars(values).items():
            setattr(service, name, value)
        service.save()
        audit.record(actor, "service.edit", service, purpose=service.slug)
    return service
