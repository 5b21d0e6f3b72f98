"""Documents of case files: letters rendered from templates, uploads, and their stored files.

Letter templates (Schreibvorlagen) are HTML written by office and state admins, with placeholders
such as ``{{ case.reference }}``. They are never run through the Django template language: only
``{{ dotted.name }}`` placeholders from a fixed list (``PLACEHOLDERS``, plus ``answers.<linkId>``
and ``extra.<name>``) are replaced, each value HTML-escaped. A template naming anything else, using
template tags, loading outside resources or with unbalanced tags is refused when it is saved (and a
letter from such a row is refused when rendered).

Files live under ``MEDIA_ROOT/documents/<uuid>.<ext>`` (mode 0600) with their SHA-256, which is
checked on every read. A file is written before its row; when the row's transaction fails here the
file is removed at once; when an enclosing transaction rolls back later, the file is left without a
row and ``sweep_orphan_files`` (run by the daily retention job) removes it. Files of deleted rows go
only once the deletion has committed.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import weasyprint
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language_info, gettext, gettext_lazy, override
from django.utils.translation import gettext as _

from oegd.cases.models import Case, CaseEntry, CaseSubject, Document, DocumentTemplate, Task, new_verification_code
from oegd.core import audit
from oegd.core.models import Office, User
from oegd.core.services import DomainError
from oegd.core.stored_files import StoredFileUnreadable, read_verified
from oegd.forms import attachments

logger = logging.getLogger(__name__)

DOCUMENTS_DIR = "documents"
MAX_TEMPLATE_CHARS = 200_000

# The placeholders every template may use, with what they stand for (shown to template authors).
PLACEHOLDERS: dict[str, Any] = {
    "case.reference": gettext_lazy("Reference of the case"),
    "case.title": gettext_lazy("Title of the case"),
    "case.type": gettext_lazy("Case type"),
    "case.opened_at": gettext_lazy("Date the case was opened"),
    "office.name": gettext_lazy("Name of the office"),
    "office.street": gettext_lazy("Street of the office"),
    "office.postal_code": gettext_lazy("Postal code of the office"),
    "office.place": gettext_lazy("Place of the office"),
    "office.email": gettext_lazy("E-mail address of the office"),
    "office.phone": gettext_lazy("Phone number of the office"),
    "citizen.name": gettext_lazy("Full name of the person concerned"),
    "citizen.given_name": gettext_lazy("Given name of the person concerned"),
    "citizen.family_name": gettext_lazy("Family name of the person concerned"),
    "citizen.birth_date": gettext_lazy("Date of birth of the person concerned"),
    "citizen.street": gettext_lazy("Street of the person concerned"),
    "citizen.postal_code": gettext_lazy("Postal code of the person concerned"),
    "citizen.place": gettext_lazy("Place of the person concerned"),
    "staff.name": gettext_lazy("Name of the staff member who creates the letter"),
    "today": gettext_lazy("Today's date"),
}
# Open families: the answers of the case's completed tasks (by linkId) and values the caller passes.
PLACEHOLDER_FAMILIES: dict[str, Any] = {
    "answers.": gettext_lazy("Answer of a completed task, by its linkId, e.g. answers.remark"),
    "extra.": gettext_lazy("A value the process passes when it creates the letter"),
}

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PLACEHOLDER_MARK = "\ue000"  # stands for a placeholder while the markup is checked
_FAMILY_MEMBER = re.compile(r"^(answers|extra)\.[A-Za-z_][A-Za-z0-9_]*$")

# Elements a letter has no use for and that could run code or load something.
_REFUSED_TAGS = frozenset(
    {
        "script", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "meta", "base",
        "form", "input", "button", "textarea", "select", "svg", "math", "template", "audio", "video",
        "source", "track", "portal", "html", "head", "body", "title", "noscript",
    }
)  # fmt: skip
_VOID_TAGS = frozenset({"area", "br", "col", "hr", "img", "wbr"})
# Elements whose end tag HTML lets authors leave out.
_OPTIONAL_END_TAGS = frozenset(
    {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "colgroup", "caption", "rt", "rp"}
)
_URL_ATTRIBUTES = frozenset({"src", "srcset", "href", "xlink:href", "background", "poster", "action", "data"})
_CSS_REFUSED = re.compile(r"@import|expression\s*\(|url\s*\(\s*['\"]?\s*(?!data:)", re.IGNORECASE)


class TemplateRefused(DomainError):
    """A letter template that cannot be saved or rendered; ``message`` names the problems,
    ``problems`` lists them one by one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class DocumentUnavailable(DomainError):
    """A stored file that is missing or no longer matches its SHA-256."""


# --- storage ------------------------------------------------------------------------------------


def document_storage() -> attachments.PrivateStorage:
    """The storage under ``MEDIA_ROOT/documents`` (read on each call, so tests can move it)."""
    return attachments.PrivateStorage(
        location=Path(settings.MEDIA_ROOT) / DOCUMENTS_DIR,
        file_permissions_mode=0o600,
        directory_permissions_mode=0o700,
    )


def _store_file(identifier: uuid.UUID, extension: str, data: bytes) -> str:
    """Write the bytes under a name made from the document's UUID; returns the path below MEDIA_ROOT."""
    name = document_storage().save(f"{identifier}{extension}", ContentFile(data))
    return f"{DOCUMENTS_DIR}/{name}"


def _storage_name(document_path: str) -> str:
    name = document_path.removeprefix(f"{DOCUMENTS_DIR}/")
    if name == document_path or "/" in name or name.startswith("."):
        raise DocumentUnavailable(_("The file is no longer available."))
    return name


def delete_files_on_commit(paths: Iterable[str]) -> None:
    """Remove stored files once the current transaction has committed (never before: a rollback
    must not leave rows without their files)."""
    names = [path for path in paths if path]

    def delete() -> None:
        storage = document_storage()
        for path in names:
            try:
                storage.delete(_storage_name(path))
            except DocumentUnavailable:
                logger.warning("document file with an unexpected path not deleted")

    transaction.on_commit(delete)


def document_bytes(document: Document) -> bytes:
    """The stored bytes of a document, checked against its SHA-256. Check permission first."""
    try:
        return read_verified(
            document_storage(), _storage_name(document.path), document.sha256, label=f"document {document.identifier}"
        )
    except StoredFileUnreadable as exc:
        if exc.reason == "missing":
            raise DocumentUnavailable(_("The file is no longer available.")) from exc
        raise DocumentUnavailable(_("The file does not match its recorded checksum; it may be damaged.")) from exc


def sweep_orphan_files(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Remove files under ``documents/`` that no row refers to (their transaction rolled back);
    only files older than ``older_than``, so files of transactions in flight are never touched."""
    root = Path(document_storage().location)
    if not root.exists():
        return 0
    cutoff = (timezone.now() - older_than).timestamp()
    candidates = {
        f"{DOCUMENTS_DIR}/{path.name}": path
        for path in root.iterdir()
        if path.is_file() and path.stat().st_mtime < cutoff
    }
    known = set(Document.objects.filter(path__in=list(candidates)).values_list("path", flat=True))
    removed = 0
    for name, path in candidates.items():
        if name not in known:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# --- template checks ----------------------------------------------------------------------------


def placeholder_names(html: str) -> list[str]:
    """The placeholder names a template uses, in order of first use (raw text for malformed ones)."""
    names: list[str] = []
    for match in _PLACEHOLDER.finditer(html):
        name = match.group(1).strip()
        if name not in names:
            names.append(name)
    return names


def is_known_placeholder(name: str) -> bool:
    return name in PLACEHOLDERS or bool(_FAMILY_MEMBER.match(name))


def template_problems(html: str) -> list[str]:
    """What is wrong with a template's HTML (translated messages); ``[]`` means it can be saved."""
    if not html.strip():
        return [_("The template is empty.")]
    if len(html) > MAX_TEMPLATE_CHARS:
        return [_("The template is longer than %(count)s characters.") % {"count": MAX_TEMPLATE_CHARS}]
    problems: list[str] = []
    if re.search(r"\{%|%\}|\{#|#\}", html):
        problems.append(
            _("Template tags such as {%% … %%} are not allowed; use only placeholders like {{ case.reference }}.")
        )
    unknown = [name for name in placeholder_names(html) if not (_NAME.match(name) and is_known_placeholder(name))]
    for name in unknown:
        problems.append(_("Unknown placeholder: {{ %(name)s }}.") % {"name": name[:80]})
    remainder = _PLACEHOLDER.sub("", html)
    if "{{" in remainder or "}}" in remainder:
        problems.append(_("A placeholder is not closed: write it as {{ name }}."))
    problems.extend(_markup_problems(_PLACEHOLDER.sub(_PLACEHOLDER_MARK, html)))
    return problems


class _MarkupChecker(HTMLParser):
    """Finds refused elements and attributes and unbalanced tags, with line numbers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.open: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in _REFUSED_TAGS:
            self.problems.append(
                _("Line %(line)s: the element <%(tag)s> is not allowed in a letter.") % {"line": line, "tag": tag}
            )
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on"):
                self.problems.append(
                    _("Line %(line)s: the attribute %(name)s is not allowed.") % {"line": line, "name": name}
                )
            elif name in _URL_ATTRIBUTES and not _allowed_url(name, value):
                self.problems.append(
                    _("Line %(line)s: %(name)s may only hold an embedded data: image or a web or mail link.")
                    % {"line": line, "name": name}
                )
            elif name == "style" and _CSS_REFUSED.search(value):
                self.problems.append(
                    _("Line %(line)s: styles may not load anything (url(), @import).") % {"line": line}
                )
            elif name == "style" and _PLACEHOLDER_MARK in value:
                self.problems.append(_("Line %(line)s: placeholders cannot be used in styles.") % {"line": line})
        if tag not in _VOID_TAGS:
            self.open.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS and self.open and self.open[-1][0] == tag:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in _VOID_TAGS:
            return
        if tag not in (open_tag for open_tag, _line in self.open):
            self.problems.append(
                _("Line %(line)s: </%(tag)s> closes an element that is not open.") % {"line": line, "tag": tag}
            )
            return
        while self.open:
            open_tag, opened_on = self.open.pop()
            if open_tag == tag:
                return
            if open_tag not in _OPTIONAL_END_TAGS:
                self.problems.append(
                    _("Line %(line)s: <%(open)s> from line %(opened)s must be closed before </%(tag)s>.")
                    % {"line": line, "open": open_tag, "opened": opened_on, "tag": tag}
                )

    def handle_data(self, data: str) -> None:
        if not self.open or self.open[-1][0] != "style":
            return
        if _CSS_REFUSED.search(data):
            self.problems.append(
                _("Line %(line)s: styles may not load anything (url(), @import).") % {"line": self.getpos()[0]}
            )
        if _PLACEHOLDER_MARK in data:
            self.problems.append(
                _("Line %(line)s: placeholders cannot be used in styles.") % {"line": self.getpos()[0]}
            )

    def finish(self) -> list[str]:
        self.close()
        for tag, line in self.open:
            if tag not in _OPTIONAL_END_TAGS:
                self.problems.append(_("Line %(line)s: <%(tag)s> is never closed.") % {"line": line, "tag": tag})
        return self.problems


def _allowed_url(attribute: str, value: str) -> bool:
    lowered = value.lower()
    if attribute == "href":
        return lowered.startswith(("https:", "http:", "mailto:", "tel:", "#")) or lowered == ""
    return lowered.startswith("data:image/")


def _markup_problems(html: str) -> list[str]:
    checker = _MarkupChecker()
    checker.feed(html)
    problems = []
    if checker.rawdata.lstrip().startswith("<"):  # the parser still waits for the end of a tag
        line = checker.getpos()[0]
        problems.append(_("Line %(line)s: a tag is not closed with “>”.") % {"line": line})
    return problems + checker.finish()


# --- templates ----------------------------------------------------------------------------------


def save_document_template(
    *, actor: User, key: str, name: str, language: str, html: str, office: Office | None = None
) -> DocumentTemplate:
    """Save a letter template (Schreibvorlage) as a new version: the state's (``office`` None) or
    an office's own. Refused (``TemplateRefused``, nothing saved) when it names an unknown
    placeholder, uses template tags, loads outside resources or has unbalanced tags."""
    key = key.strip()
    name = name.strip()
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key) or len(key) > 100:
        raise TemplateRefused([_("The key may contain only lowercase letters, digits and hyphens.")])
    if not name:
        raise TemplateRefused([_("Please give the template a name.")])
    if language not in dict(settings.LANGUAGES):
        raise TemplateRefused([_("Unknown language: %(language)s.") % {"language": language[:10]}])
    problems = template_problems(html)
    if problems:
        raise TemplateRefused(problems)
    with transaction.atomic():
        latest = (
            DocumentTemplate.objects.select_for_update()
            .filter(key=key, office=office, language=language)
            .order_by("-version")
            .first()
        )
        template = DocumentTemplate.objects.create(
            key=key,
            office=office,
            language=language,
            version=(latest.version + 1) if latest else 1,
            name=name[:200],
            html=html,
            created_by=actor if isinstance(actor, User) else None,
        )
        audit.record(
            actor, "document_template.save", template, office=office, purpose=f"{key} {language} v{template.version}"
        )
    return template


def template_for(*, case: Case, key: str) -> DocumentTemplate:
    """The newest version of the template ``key`` for the case: the office's own before the state's,
    each in the citizen's language, else German (else any language)."""
    language = _citizen_language(case)
    candidates = list(
        DocumentTemplate.objects.filter(Q(office=case.office_id) | Q(office__isnull=True), key=key).order_by(
            "-version", "-id"
        )
    )
    for office_id in (case.office_id, None):
        for wanted in (language, settings.LANGUAGE_CODE, None):
            for template in candidates:
                if template.office_id == office_id and (wanted is None or template.language == wanted):
                    return template
    raise DomainError(_("There is no letter template “%(key)s”.") % {"key": key[:100]})


def _citizen_language(case: Case) -> str:
    subject = case.subject if case.subject_id else None
    language = (getattr(subject, "language", "") or "").split("-")[0]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


# --- letters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterContent:
    """What a letter shows besides its body: sender, recipient, date and reference."""

    language: str
    title: str
    reference: str
    office_name: str
    office_lines: list[str]
    office_contact: list[str]
    recipient_lines: list[str]
    place_and_date: str


def letter_values(
    *, case: Case, actor: Any = None, language: str = "de", extra: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The placeholder values of a letter on ``case`` (plain text; escaped when substituted)."""
    office = case.office
    person = _person_of(case)
    citizen_name = (
        f"{person.given_name} {person.family_name}".strip()
        if person is not None
        else (case.subject.full_name if case.subject_id and case.subject else "")
    )
    values = {
        "case.reference": case.reference,
        "case.title": case.title,
        "case.type": case.type_version.name if case.type_version_id and case.type_version else case.case_type,
        "case.opened_at": _date_text(case.opened_at, language),
        "office.name": office.name,
        "office.street": office.street,
        "office.postal_code": office.postal_code,
        "office.place": office.place,
        "office.email": office.email,
        "office.phone": office.phone,
        "citizen.name": citizen_name,
        "citizen.given_name": person.given_name if person else "",
        "citizen.family_name": person.family_name if person else "",
        "citizen.birth_date": _date_text(person.birth_date, language) if person and person.birth_date else "",
        "citizen.street": person.street if person else "",
        "citizen.postal_code": person.postal_code if person else "",
        "citizen.place": person.place if person else "",
        "staff.name": (actor.full_name or "") if isinstance(actor, User) else "",
        "today": _date_text(timezone.now(), language),
    }
    for link_id, answer in task_answers(case).items():
        values[f"answers.{link_id}"] = _value_text(answer, language)
    for name, value in (extra or {}).items():
        if isinstance(name, str) and name.isidentifier():
            values[f"extra.{name}"] = _value_text(value, language)
    return values


def substitute_placeholders(html: str, values: Mapping[str, str]) -> str:
    """Replace every placeholder by its HTML-escaped value; refuses an unknown or malformed one.
    Missing answers and extras (a process branch that did not ask) become empty text."""
    problems = template_problems(html)
    if problems:
        raise TemplateRefused(problems)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        value = values.get(name, "")
        return html_lib.escape(str(value), quote=True).replace("\n", "<br>")

    return _PLACEHOLDER.sub(replace, html)


def render_letter_pdf(
    *, template: DocumentTemplate, content: LetterContent, values: Mapping[str, str], verification_url: str = ""
) -> bytes:
    """The letter as an A4 PDF: letterhead, recipient, place and date, reference, subject, the
    template's body, and a footer with the reference and page numbers on every page; with
    ``verification_url`` also a QR code and the address of the public verification page."""
    body = substitute_placeholders(template.html, values)
    html = render_letter_html(content=content, body=body, verification_url=verification_url)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=_url_fetcher()).write_pdf()


def _url_fetcher() -> Any:
    """Only ``data:`` URLs; anything else stops rendering (no network, no file system)."""
    from oegd.forms.receipts import data_only_url_fetcher

    return data_only_url_fetcher()


def render_letter_html(*, content: LetterContent, body: str, verification_url: str = "") -> str:
    from oegd.core.qr import qr_svg_data_uri

    with override(content.language):
        footer = gettext("Page %(page)s of %(pages)s")
        return render_to_string(
            "cases/documents/letter.html",
            {
                "letter": content,
                "body": mark_safe(body),  # noqa: S308 - placeholders escaped, markup checked
                "direction": "rtl" if get_language_info(content.language).get("bidi") else "ltr",
                "footer_left_css": _css_string(f"{content.office_name} · {content.reference}"),
                "page_counter_css": _page_counter_css(footer),
                "verification_url": verification_url,
                "verification_qr": qr_svg_data_uri(verification_url, box_size=4, border=1) if verification_url else "",
            },
        )


def _page_counter_css(template: str) -> str:
    parts = re.split(r"%\((page|pages)\)s", template)
    pieces = []
    for index, part in enumerate(parts):
        if index % 2:
            pieces.append(f"counter({part})")
        elif part:
            pieces.append(_css_string(part))
    return " ".join(pieces)


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    return f'"{escaped}"'


def letter_content(*, case: Case, template: DocumentTemplate, title: str, values: Mapping[str, str]) -> LetterContent:
    office = case.office
    language = template.language
    with override(language):
        contact = []
        if office.phone:
            contact.append(gettext("Phone: %(phone)s") % {"phone": office.phone})
        if office.email:
            contact.append(gettext("E-mail: %(email)s") % {"email": office.email})
        today = values.get("today", "")
        place_and_date = f"{office.place}, {today}" if office.place else today
    recipient = [
        values.get("citizen.name", ""),
        values.get("citizen.street", ""),
        f"{values.get('citizen.postal_code', '')} {values.get('citizen.place', '')}".strip(),
    ]
    return LetterContent(
        language=language,
        title=title,
        reference=case.reference,
        office_name=office.name,
        office_lines=[line for line in (office.street, f"{office.postal_code} {office.place}".strip()) if line],
        office_contact=contact,
        recipient_lines=[line for line in recipient if line],
        place_and_date=place_and_date,
    )


def verification_url(code: str) -> str:
    """The public page that confirms a letter is genuine (printed on it as a QR code)."""
    from django.urls import reverse

    return settings.SITE_URL + reverse("portal:verify", args=[code])


def preview_letter(*, template: DocumentTemplate, office: Office, actor: Any = None) -> bytes:
    """The template rendered for a made-up case of ``office`` (Musterfall), as PDF; answers and
    extra values show their placeholder names."""
    language = template.language
    with override(language):
        sample_title = gettext("Sample case")
    values: dict[str, str] = {
        "case.reference": "MUST-ER12-A",
        "case.title": sample_title,
        "case.type": template.name,
        "case.opened_at": _date_text(timezone.now(), language),
        "office.name": office.name,
        "office.street": office.street,
        "office.postal_code": office.postal_code,
        "office.place": office.place,
        "office.email": office.email,
        "office.phone": office.phone,
        "citizen.name": "Erika Mustermann",
        "citizen.given_name": "Erika",
        "citizen.family_name": "Mustermann",
        "citizen.birth_date": _date_text(date(1990, 8, 12), language),
        "citizen.street": "Musterweg 5",
        "citizen.postal_code": office.postal_code or "12345",
        "citizen.place": office.place or "Musterstadt",
        "staff.name": (actor.full_name or "") if isinstance(actor, User) else "",
        "today": _date_text(timezone.now(), language),
    }
    for name in placeholder_names(template.html):
        if _FAMILY_MEMBER.match(name):
            values[name] = f"[{name}]"
    sample = Case(office=office, reference=values["case.reference"], title=values["case.title"])
    content = letter_content(case=sample, template=template, title=template.name, values=values)
    return render_letter_pdf(template=template, content=content, values=values)


def generate_letter(
    *,
    actor: Any,
    case: Case,
    template_key: str,
    title: str = "",
    citizen_visible: bool = True,
    extra: Mapping[str, Any] | None = None,
    addressee: Callable[[str], Mapping[str, str]] | None = None,
    supersede: bool = True,
) -> Document:
    """Render the letter template ``template_key`` for the case to PDF and file it (Schreiben
    erstellen). Generating the same template again makes version n+1, which supersedes the last.

    ``addressee(language)`` gives the ``citizen.*`` values when the letter goes to someone other
    than the case's person (e.g. a contact's quarantine order in the index case's file); with
    ``supersede=False`` every letter is a document of its own (version 1, superseding nothing)."""
    case = Case.objects.select_related("office", "subject", "type_version").get(pk=case.pk)
    _refuse_closed(case)
    template = template_for(case=case, key=template_key)
    values = letter_values(case=case, actor=actor, language=template.language, extra=extra)
    if addressee is not None:
        values.update(addressee(template.language))
    title = (title.strip() or template.name)[:200]
    verification_code = new_verification_code()
    pdf = render_letter_pdf(
        template=template,
        content=letter_content(case=case, template=template, title=title, values=values),
        values=values,
        verification_url=verification_url(verification_code),
    )
    identifier = uuid.uuid4()
    path = _store_file(identifier, ".pdf", pdf)
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            _refuse_closed(locked)
            previous = (
                Document.objects.filter(case=case, kind=Document.Kind.LETTER, template__key=template.key)
                .order_by("-version", "-id")
                .first()
                if supersede
                else None
            )
            version = (previous.version + 1) if previous else 1
            document = Document.objects.create(
                case=case,
                identifier=identifier,
                kind=Document.Kind.LETTER,
                title=title,
                filename=_download_name(title, case.reference, version, ".pdf"),
                media_type="application/pdf",
                size=len(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(),
                path=path,
                version=version,
                supersedes=previous,
                template=template,
                citizen_visible=citizen_visible,
                created_by=actor if isinstance(actor, User) else None,
                verification_code=verification_code,
            )
            _add_entry(case=case, actor=actor, text=f"{title} (v{version})")
            audit.record(
                actor,
                "document.create",
                document,
                office=case.office,
                subject=case.subject,
                purpose=f"{case.reference} {template.key} v{version}",
            )
    except BaseException:
        document_storage().delete(_storage_name(path))
        raise
    return document


def upload_document(*, actor: User, case: Case, uploaded_file: IO[bytes], title: str = "") -> Document:
    """File an uploaded PDF or picture on the case, after the same checks as citizens' uploads:
    decided by content, size limit, virus scan (clamd when configured, failing closed)."""
    case = Case.objects.select_related("office", "subject").get(pk=case.pk)
    _refuse_closed(case)
    limit = attachments.max_attachment_bytes(None)
    data = attachments.read_upload(uploaded_file, limit)
    accepted = attachments.check_upload(
        data=data,
        filename=str(getattr(uploaded_file, "name", "") or ""),
        declared_type=str(getattr(uploaded_file, "content_type", "") or ""),
        item=None,  # type: ignore[arg-type]  # no form item: the configured types and limit
    )
    attachments.scan_for_viruses(data)
    identifier = uuid.uuid4()
    extension = Path(accepted.filename).suffix.lower() if Path(accepted.filename).suffix else ""
    path = _store_file(identifier, extension if re.fullmatch(r"\.[a-z0-9]{1,8}", extension) else "", data)
    title = (title.strip() or Path(accepted.filename).stem or accepted.filename)[:200]
    try:
        with transaction.atomic():
            _refuse_closed(Case.objects.select_for_update().get(pk=case.pk))
            document = Document.objects.create(
                case=case,
                identifier=identifier,
                kind=Document.Kind.UPLOAD,
                title=title,
                filename=accepted.filename,
                media_type=accepted.content_type,
                size=accepted.size,
                sha256=accepted.sha256,
                path=path,
                citizen_visible=False,
                created_by=actor,
            )
            _add_entry(case=case, actor=actor, text=title)
            audit.record(
                actor, "document.upload", document, office=case.office, subject=case.subject, purpose=case.reference
            )
    except BaseException:
        document_storage().delete(_storage_name(path))
        raise
    return document


def _refuse_closed(case: Case) -> None:
    from oegd.cases.services import CaseClosed

    if case.status == Case.Status.CLOSED or case.anonymised_at is not None:
        raise CaseClosed(_("This case is closed."))


def _add_entry(*, case: Case, actor: Any, text: str) -> None:
    from oegd.cases.services import add_entry

    add_entry(case=case, actor=actor, kind=CaseEntry.Kind.SYSTEM, code="document.created", text=text)


def _download_name(title: str, reference: str, version: int, extension: str) -> str:
    stem = slugify(title)[:80] or "document"
    suffix = f"-v{version}" if version > 1 else ""
    return f"{stem}-{slugify(reference)}{suffix}{extension}"


# --- values -------------------------------------------------------------------------------------


def _person_of(case: Case) -> Any:
    """The person the letter goes to: the applicant, else the person concerned, else a guardian."""
    links = [link for link in case.subjects.select_related("person") if link.person_id]
    order: list[str] = [CaseSubject.Role.APPLICANT, CaseSubject.Role.AFFECTED, CaseSubject.Role.GUARDIAN]
    links.sort(key=lambda link: order.index(link.role) if link.role in order else len(order))
    return links[0].person if links else None


def task_answers(case: Case) -> dict[str, Any]:
    """The answers of the case's completed tasks by linkId; a later task's answer wins."""
    merged: dict[str, Any] = {}
    rows = (
        Task.objects.filter(case=case, status=Task.Status.DONE)
        .exclude(answers="")
        .order_by("completed_at", "id")
        .values_list("answers", flat=True)
    )
    for raw in rows:
        try:
            data = json.loads(raw)
        except (TypeError, ValueError):
            continue
        merged.update(_flatten_answers(data))
    return merged


def _flatten_answers(data: Any) -> dict[str, Any]:
    """Plain variables ``{"remark": "..."}`` or QuestionnaireResponse items (nested) by linkId."""
    if isinstance(data, dict) and "item" in data and isinstance(data["item"], list):
        data = data["item"]
    if isinstance(data, dict):
        return {key: value for key, value in data.items() if isinstance(key, str) and key.isidentifier()}
    flat: dict[str, Any] = {}
    if isinstance(data, list):
        for item in data:
            if not isinstance(item, dict):
                continue
            link_id = item.get("linkId")
            answers = [_answer_value(answer) for answer in item.get("answer") or [] if isinstance(answer, dict)]
            if isinstance(link_id, str) and link_id.isidentifier() and answers:
                flat[link_id] = answers[0] if len(answers) == 1 else answers
            flat.update(_flatten_answers(item.get("item") or []))
            for answer in item.get("answer") or []:
                if isinstance(answer, dict):
                    flat.update(_flatten_answers(answer.get("item") or []))
    return flat


def _answer_value(answer: Mapping[str, Any]) -> Any:
    for key, value in answer.items():
        if key.startswith("value"):
            if isinstance(value, dict):  # Coding, Quantity, Attachment, Reference
                return value.get("display") or value.get("code") or value.get("value") or value.get("title") or ""
            return value
    return ""


def _value_text(value: Any, language: str) -> str:
    with override(language):
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, datetime):
            return _date_text(value, language)
        if isinstance(value, date):
            return date_format(value, "DATE_FORMAT")
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date_format(date.fromisoformat(value), "DATE_FORMAT")
            except ValueError:
                return value
        if isinstance(value, list | tuple):
            return ", ".join(_value_text(part, language) for part in value)
        if value is None:
            return ""
        return str(value)


def _date_text(value: datetime | date, language: str) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).date()
    with override(language):
        return date_format(value, "DATE_FORMAT")
