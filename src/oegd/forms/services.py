"""Writes of the form server: drafts, resume links, attachments, submissions.

A submission (portal, REST or FHIR) always goes through ``_submit``: validate the
QuestionnaireResponse against its pinned form version, route it to the responsible office, open
the case, store the encrypted response, all in one transaction, idempotent on its key.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oegd.cases.services import open_case
from oegd.core import audit
from oegd.core.codes import group_code, random_code
from oegd.core.crypto import keyed_digest
from oegd.core.models import ApiClient, Office, User
from oegd.core.services import DomainError
from oegd.directory.models import Institution
from oegd.directory.selectors import PostalCodeInvalid, PostalCodeUnknown, route_by_postal_code
from oegd.forms import attachments as attachment_store
from oegd.forms.models import Attachment, Draft, FormVersion, Service, ServiceOffer, Submission
from oegd.forms.questionnaire import QuestionnaireDefinition
from oegd.forms.references import new_reference
from oegd.forms.selectors import active_version, definition_of, prefill_for
from oegd.forms.validation import ValidationIssue, prune_disabled, validate_response

DRAFT_LIFETIME = timedelta(days=30)
ATTACHMENT_URN = "urn:uuid:"


class ServiceUnavailable(DomainError):
    """The service cannot be used now (no published form, not for this kind of user)."""


class ResponseInvalid(DomainError):
    """The answers do not fit the form; ``issues`` name each bad linkId."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        super().__init__(_("Please check your answers."))
        self.issues = issues


class RoutingFailed(DomainError):
    """No office on this platform can take the submission; ``link_id`` names the answer at fault."""

    def __init__(self, message: str, link_id: str = "") -> None:
        super().__init__(message)
        self.link_id = link_id


class DraftNotAvailable(DomainError):
    """The resume link is unknown, expired or its form was submitted already."""


@dataclass(frozen=True)
class SubmissionResult:
    submission: Submission
    created: bool
    # The status secret in clear, only when the submission was created by this call.
    secret: str | None


def _actor(user: Any) -> Any:
    return user if isinstance(user, User | ApiClient) and getattr(user, "pk", None) else None


# --- drafts -----------------------------------------------------------------------------------


def start_draft(*, service: Service, user: User | None, institution: Institution | None = None, language: str) -> Draft:
    """Open a new draft of ``service``'s current form version, prefilled with what we know."""
    version = active_version(service.form)
    if version is None:
        raise ServiceUnavailable(_("This service is not available at the moment."))
    from oegd.forms.rendering import initial_items

    definition = definition_of(version)
    items = initial_items(definition, prefill_for(user, institution))
    with transaction.atomic():
        draft = Draft.objects.create(
            service=service,
            form_version=version,
            user=user if user is not None and user.is_authenticated else None,
            institution=institution,
            language=language,
            answers=json.dumps(items),
            expires_at=timezone.now() + DRAFT_LIFETIME,
        )
        audit.record(_actor(user), "form.draft.start", draft, subject=draft.user)
    return draft


def draft_items(draft: Draft) -> list[dict[str, Any]]:
    return json.loads(draft.answers or "[]")


def save_draft_page(*, actor: Any, draft: Draft, items: list[dict[str, Any]], page: int) -> Draft:
    """Store the answers so far (hidden items dropped) and the page the person is on."""
    definition = definition_of(draft.form_version)
    with transaction.atomic():
        draft.answers = json.dumps(prune_disabled(definition, items))
        draft.page = page
        draft.expires_at = timezone.now() + DRAFT_LIFETIME
        draft.save(update_fields=["answers", "page", "expires_at", "updated_at"])
        audit.record(_actor(actor), "form.draft.save", draft, subject=draft.user)
    return draft


def send_resume_link(*, actor: Any, draft: Draft, email: str) -> None:
    """E-mail a link to continue the draft later (Zwischenspeichern); the link is the only key."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        draft.email = email.strip().lower()
        draft.resume_token_hash = keyed_digest(token)
        draft.save(update_fields=["email", "resume_token_hash", "updated_at"])
        audit.record(_actor(actor), "form.draft.resume_link", draft, subject=draft.user)
        link = settings.SITE_URL + reverse("forms:resume", args=[token])
        title = draft.service.text("title", draft.language)
        expires = draft.expires_at
        language = draft.language

        def send() -> None:
            with translation.override(language):
                send_mail(
                    _("Continue your form: %(title)s") % {"title": title},
                    _(
                        "Hello,\n\nyou saved a form of your health office for later: %(title)s.\n"
                        "Continue here: %(link)s\n\nThe link works until %(date)s. Anyone with this link can "
                        "see your answers, so do not pass it on. If you did not start this form, you can "
                        "ignore this e-mail.\n\nYour health office"
                    )
                    % {"title": title, "link": link, "date": expires.strftime("%d.%m.%Y")},
                    settings.DEFAULT_FROM_EMAIL,
                    [draft.email],
                )

        transaction.on_commit(send)


def resume_draft(*, token: str) -> Draft:
    """The open draft behind a resume link."""
    draft = (
        Draft.objects.select_related("service", "form_version")
        .filter(resume_token_hash=keyed_digest(token), submitted_at=None, expires_at__gt=timezone.now())
        .first()
        if token
        else None
    )
    if draft is None:
        raise DraftNotAvailable(_("This link is not valid any more. Please start the form again."))
    return draft


def store_uploads(
    *, actor: Any, draft: Draft, files: dict[str, list[Any]], remove: list[str]
) -> tuple[dict[str, list[dict[str, Any]]], list[ValidationIssue]]:
    """Store the files uploaded on a page, drop removed ones; return each linkId's attachment answers.

    A refused file (type, size, virus) becomes an issue for its linkId; nothing of it is kept.
    """
    definition = definition_of(draft.form_version)
    issues: list[ValidationIssue] = []
    for attachment in Attachment.objects.filter(draft=draft, public_id__in=_uuids(remove)):
        attachment_store.delete_attachment(actor=_actor(actor), attachment=attachment)
    for link_id, uploads in files.items():
        item = definition.by_link_id.get(link_id)
        if item is None or item.type != "attachment":
            continue
        for upload in uploads:
            try:
                data = attachment_store.read_upload(upload, attachment_store.max_attachment_bytes(item))
                accepted = attachment_store.check_upload(
                    data=data, filename=upload.name, declared_type=upload.content_type or "", item=item
                )
                attachment_store.store_attachment(
                    actor=_actor(actor), draft=draft, link_id=link_id, accepted=accepted, data=data
                )
            except attachment_store.AttachmentRefused as refusal:
                issues.append(ValidationIssue(link_id=link_id, code="attachment", message=refusal.message))
    answers: dict[str, list[dict[str, Any]]] = {}
    for attachment in Attachment.objects.filter(draft=draft).order_by("uploaded_at", "id"):
        answers.setdefault(attachment.link_id, []).append(attachment_store.attachment_answer(attachment))
    return answers, issues


def _uuids(values: list[str]) -> list[str]:
    import uuid

    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid


# --- submissions ------------------------------------------------------------------------------


def submit_draft(*, actor: Any, draft: Draft, email: str = "") -> SubmissionResult:
    """Submit a finished draft; a second call (double click, retry) returns the first submission."""
    key = f"draft:{draft.submission_key}"
    with transaction.atomic():
        draft = Draft.objects.select_for_update().select_related("service", "form_version").get(pk=draft.pk)
        if draft.submitted_at is not None:
            return SubmissionResult(Submission.objects.get(idempotency_key=key), created=False, secret=None)
        user = draft.user
        response, office = _prepare(
            service=draft.service, version=draft.form_version, items=draft_items(draft), institution=draft.institution
        )
        result = _submit(
            actor=actor,
            service=draft.service,
            version=draft.form_version,
            response=response,
            office=office,
            idempotency_key=key,
            channel=Submission.Channel.PORTAL,
            user=user,
            institution=draft.institution,
            email=(user.email if user is not None else "") or email or draft.email,
            language=draft.language,
            attachments=list(Attachment.objects.filter(draft=draft)),
        )
        draft.submitted_at = timezone.now()
        draft.answers = "[]"
        draft.resume_token_hash = ""
        draft.save(update_fields=["submitted_at", "answers", "resume_token_hash", "updated_at"])
    return result


def submit_response(
    *,
    actor: Any,
    service: Service,
    response: dict[str, Any],
    idempotency_key: str,
    channel: str,
    institution: Institution | None = None,
    language: str = "",
) -> SubmissionResult:
    """Submit a QuestionnaireResponse sent by a system (REST or FHIR).

    Attachments come inline (base64 ``data``). The same ``idempotency_key`` from the same caller
    returns the first submission and stores nothing new.
    """
    caller = f"client:{actor.pk}" if isinstance(actor, ApiClient) else f"user:{getattr(actor, 'pk', '')}"
    key = f"{channel}:{caller}:{idempotency_key}"[:200]
    existing = Submission.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return SubmissionResult(existing, created=False, secret=None)
    version = _version_for(service, response)
    definition = definition_of(version)
    raw_items = response.get("item")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    inline, refused = _inline_attachments(definition, items)
    try:
        prepared, office = _prepare(service=service, version=version, items=items, institution=institution)
    except ResponseInvalid as invalid:
        raise ResponseInvalid(invalid.issues + refused) from invalid
    if refused:
        raise ResponseInvalid(refused)
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        stored = [
            attachment_store.store_attachment(actor=actor, draft=None, link_id=link_id, accepted=accepted, data=data)
            for link_id, accepted, data, _answer in inline
        ]
        for attachment, (_link_id, _accepted, _data, answer) in zip(stored, inline, strict=True):
            answer.clear()  # the stored file replaces the inline data in the kept response
            answer.update(attachment_store.attachment_answer(attachment))
        return _submit(
            actor=actor,
            service=service,
            version=version,
            response=prepared,
            office=office,
            idempotency_key=key,
            channel=channel,
            user=user,
            api_client=actor if isinstance(actor, ApiClient) else None,
            institution=institution,
            email=institution.email if institution is not None else "",
            language=language or settings.LANGUAGE_CODE,
            attachments=stored,
        )


def _version_for(service: Service, response: dict[str, Any]) -> FormVersion:
    """The form version a response names (``questionnaire: url|version``), else the active one."""
    canonical = response.get("questionnaire")
    if isinstance(canonical, str) and "|" in canonical:
        url, _sep, number = canonical.partition("|")
        version = (
            FormVersion.objects.filter(form=service.form, form__url=url, version=int(number))
            .exclude(status=FormVersion.Status.DRAFT)
            .defer("resource")
            .first()
            if url == service.form.url and number.isdigit()
            else None
        )
        if version is None:
            raise ServiceUnavailable(_("The response names a form version that does not exist."))
        return version
    if isinstance(canonical, str) and canonical and canonical != service.form.url:
        raise ServiceUnavailable(_("The response belongs to another form."))
    version = active_version(service.form)
    if version is None:
        raise ServiceUnavailable(_("This service is not available at the moment."))
    return version


def _inline_attachments(
    definition: QuestionnaireDefinition, items: list[Any]
) -> tuple[list[tuple[str, Any, bytes, dict[str, Any]]], list[ValidationIssue]]:
    """Decode and check every attachment answer sent inline; a reference without data is refused."""
    found: list[tuple[str, Any, bytes, dict[str, Any]]] = []
    issues: list[ValidationIssue] = []

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            item = definition.by_link_id.get(str(entry.get("linkId")))
            raw_answers = entry.get("answer")
            answers: list[Any] = raw_answers if isinstance(raw_answers, list) else []
            for answer in answers:
                if not isinstance(answer, dict):
                    continue
                value = answer.get("valueAttachment")
                if item is not None and item.type == "attachment" and isinstance(value, dict):
                    try:
                        decoded = attachment_store.decode_inline_attachment(value, item)
                        if decoded is None:
                            raise attachment_store.AttachmentRefused(_("Send the file content inline as data."))
                        found.append((item.link_id, decoded[0], decoded[1], value))
                    except attachment_store.AttachmentRefused as refusal:
                        issues.append(ValidationIssue(item.link_id, "attachment", refusal.message))
                if isinstance(answer.get("item"), list):
                    walk(answer["item"])
            if isinstance(entry.get("item"), list):
                walk(entry["item"])

    walk(items)
    return found, issues


def new_status_secret() -> str:
    """A typeable secret for the status page (printed on the receipt), e.g. ``7K3M-9XQ2-HD4P``."""
    return group_code(random_code(12))


def _prepare(
    *, service: Service, version: FormVersion, items: list[Any], institution: Institution | None
) -> tuple[dict[str, Any], Office]:
    """The QuestionnaireResponse to keep and the office it goes to; refuses bad answers first."""
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": f"{service.form.url}|{version.version}",
        "authored": timezone.now().isoformat(timespec="seconds"),
        "item": items,
    }
    issues = validate_response(definition_of(version), response)
    if issues:
        raise ResponseInvalid(issues)
    return response, _route(service, items, institution)


def _submit(
    *,
    actor: Any,
    service: Service,
    version: FormVersion,
    response: dict[str, Any],
    office: Office,
    idempotency_key: str,
    channel: str,
    user: User | None = None,
    api_client: ApiClient | None = None,
    institution: Institution | None = None,
    email: str = "",
    language: str,
    attachments: list[Attachment],
) -> SubmissionResult:
    secret = new_status_secret()
    try:
        with transaction.atomic():
            reference = new_reference()
            while Submission.objects.filter(reference=reference).exists():
                reference = new_reference()
            subject = user if user is not None and user.kind == User.Kind.CITIZEN else None
            case = open_case(
                actor=_actor(actor),
                office=office,
                case_type=service.case_type,
                title=service.text("title", settings.LANGUAGE_CODE),
                reference=reference,
                subject=subject,
                institution=institution,
            )
            response["id"] = reference
            response["identifier"] = {"system": "https://oegd.example/fhir/sid/submission", "value": reference}
            submission = Submission.objects.create(
                reference=reference,
                service=service,
                form_version=version,
                office=office,
                case=case,
                channel=channel,
                response=json.dumps(response, ensure_ascii=False),
                submitted_by=user if user is not None and user.pk else None,
                api_client=api_client,
                institution=institution,
                email=email,
                language=language,
                idempotency_key=idempotency_key,
                status_secret=secret,
            )
            Attachment.objects.filter(pk__in=[attachment.pk for attachment in attachments]).update(
                submission=submission, draft=None
            )
            audit.record(_actor(actor), "form.submit", submission, office=office, subject=subject)
            if email:
                from oegd.forms.tasks import send_submission_confirmation

                transaction.on_commit(lambda: send_submission_confirmation.enqueue(submission.pk))
    except IntegrityError:
        existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return SubmissionResult(existing, created=False, secret=None)
    return SubmissionResult(submission, created=True, secret=secret)


def _route(service: Service, items: list[Any], institution: Institution | None) -> Office:
    """The office that takes the submission: the institution's, or the one for the postal code."""
    if service.routing == Service.Routing.INSTITUTION:
        if institution is None:
            raise RoutingFailed(_("This service is for institutions; please submit it for your institution."))
        office = institution.office
        link_id = ""
    else:
        answers = _answer_strings(items)
        link_id = service.postal_code_link_id
        postal_code = answers.get(service.postal_code_link_id, "")
        place = answers.get(service.place_link_id, "")
        try:
            responsibility = route_by_postal_code(postal_code=postal_code, place=place)
        except (PostalCodeInvalid, PostalCodeUnknown) as exc:
            raise RoutingFailed(exc.message, link_id) from exc
        if responsibility.needs_place:
            raise RoutingFailed(
                _("Several health offices serve this postal code. Please enter your place so we can find yours."),
                service.place_link_id or link_id,
            )
        candidate = responsibility.responsible
        if candidate is None or candidate.office is None:
            name = candidate.authority.name if candidate is not None else ""
            raise RoutingFailed(
                _(
                    "The health office responsible for you (%(name)s) does not use this platform. "
                    "Please contact it directly."
                )
                % {"name": name},
                link_id,
            )
        office = candidate.office
    if not ServiceOffer.objects.filter(service=service, office=office, is_active=True).exists():
        raise RoutingFailed(
            _("%(office)s does not offer this service online. Please contact the office directly.")
            % {"office": office.name},
            link_id,
        )
    return office


def _answer_strings(items: list[Any]) -> dict[str, str]:
    """The first string answer of every linkId, anywhere in the response (for routing)."""
    found: dict[str, str] = {}

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for answer in entry.get("answer") or []:
                if isinstance(answer, dict) and isinstance(answer.get("valueString"), str):
                    found.setdefault(str(entry.get("linkId")), answer["valueString"])
                if isinstance(answer, dict) and isinstance(answer.get("item"), list):
                    walk(answer["item"])
            if isinstance(entry.get("item"), list):
                walk(entry["item"])

    walk(items)
    return found


def delete_expired_drafts() -> int:
    """Retention: drafts not touched for DRAFT_LIFETIME are deleted with their files, and
    uploads that belong to nothing any more are swept."""
    count = 0
    for draft in Draft.objects.filter(expires_at__lt=timezone.now()).iterator():
        with transaction.atomic():
            for attachment in Attachment.objects.filter(draft=draft, submission=None):
                attachment_store.delete_attachment(actor=audit.SystemActor("retention"), attachment=attachment)
            audit.record(audit.SystemActor("retention"), "form.draft.expire", draft)
            draft.delete()
            count += 1
    attachment_store.sweep_orphans()
    return count
