"""Reads of the form server: the catalogue, form versions, drafts, submissions and their status."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from oegd.core import audit
from oegd.core.models import Office, User
from oegd.directory.models import Institution
from oegd.forms.models import Attachment, Draft, FormDefinition, FormVersion, Service, ServiceOffer, Submission
from oegd.forms.questionnaire import QuestionnaireDefinition, load_questionnaire
from oegd.forms.references import normalize_reference

# Published versions never change, so their parsed definition is kept per process.
_DEFINITIONS: dict[int, QuestionnaireDefinition] = {}


def definition_of(version: FormVersion) -> QuestionnaireDefinition:
    """The parsed Questionnaire of a form version (cached unless it is a draft being edited)."""
    if version.status == FormVersion.Status.DRAFT:
        return load_questionnaire(version.resource)
    definition = _DEFINITIONS.get(version.pk)
    if definition is None:
        definition = _DEFINITIONS[version.pk] = load_questionnaire(version.resource)
    return definition


def active_version(form: FormDefinition) -> FormVersion | None:
    """The published version; its Questionnaire JSON is read only when first needed (the parsed
    definition is cached per process, so most submissions never load it)."""
    return form.versions.filter(status=FormVersion.Status.ACTIVE).defer("resource").first()


# --- the catalogue ----------------------------------------------------------------------------


def offered_services() -> QuerySet[Service]:
    """Services switched on in at least one office and with a published form."""
    offered = ServiceOffer.objects.filter(service=OuterRef("pk"), is_active=True, office__is_active=True)
    published = FormVersion.objects.filter(form=OuterRef("form"), status=FormVersion.Status.ACTIVE)
    return Service.objects.filter(Exists(offered), Exists(published)).select_related("form").order_by("slug")


def get_offered_service(slug: str) -> Service:
    return get_object_or_404(offered_services(), slug=slug)


def offices_offering(service: Service) -> QuerySet[Office]:
    return Office.objects.filter(service_offers__service=service, service_offers__is_active=True, is_active=True)


def institutions_for_service(*, user: User, service: Service) -> QuerySet[Institution]:
    """The user's institutions whose kind may use ``service``."""
    if not user.is_authenticated or user.kind != User.Kind.INSTITUTION:
        return Institution.objects.none()
    return user.institutions.filter(kind__in=service.institution_kinds).select_related("office")


def who_may_use(service: Service) -> str:
    """``anyone``, ``citizen`` (log in first) or ``institution`` (log in as an institution)."""
    if service.allow_anonymous:
        return "anyone"
    if service.allow_citizens:
        return "citizen"
    return "institution"


def may_use(*, user: User, service: Service) -> bool:
    if not user.is_authenticated:
        return service.allow_anonymous
    if user.kind == User.Kind.CITIZEN:
        return service.allow_citizens or service.allow_anonymous
    if user.kind == User.Kind.INSTITUTION:
        return institutions_for_service(user=user, service=service).exists()
    return False  # staff do not submit through the portal


def prefill_for(user: User | None, institution: Institution | None) -> dict[str, str]:
    """What the platform knows about the person, for items marked with the prefill extension."""
    known: dict[str, str] = {}
    if user is not None and user.is_authenticated:
        known["full_name"] = user.full_name
        known["email"] = user.email
        profile = getattr(user, "citizen_profile", None)
        if profile is not None:
            known["postal_code"] = profile.postal_code
            known["place"] = profile.place
    if institution is not None:
        known["institution_name"] = institution.name
        known["institution_address"] = ", ".join(
            part for part in (institution.street, f"{institution.postal_code} {institution.place}".strip()) if part
        )
        known.setdefault("postal_code", institution.postal_code)
        known.setdefault("place", institution.place)
    return {key: value for key, value in known.items() if value}


# --- drafts -----------------------------------------------------------------------------------


def get_draft_for_request(*, user: User, session: Any, public_id: str) -> Draft:
    """An open draft the requester may continue: their own, or one this browser session holds."""
    draft = get_object_or_404(
        Draft.objects.select_related("service", "service__form", "form_version", "institution"),
        public_id=public_id,
        submitted_at=None,
        expires_at__gt=timezone.now(),
    )
    if draft.user_id is not None:
        if not user.is_authenticated or draft.user_id != user.pk:
            raise Http404
    elif str(draft.public_id) not in session.get("oegd_drafts", []):
        raise Http404
    return draft


def open_drafts_of(user: User) -> QuerySet[Draft]:
    return (
        Draft.objects.filter(user=user, submitted_at=None, expires_at__gt=timezone.now())
        .select_related("service")
        .order_by("-updated_at")
    )


def attachments_of_draft(draft: Draft) -> dict[str, list[dict[str, Any]]]:
    files: dict[str, list[dict[str, Any]]] = {}
    for attachment in Attachment.objects.filter(draft=draft).order_by("uploaded_at", "id"):
        files.setdefault(attachment.link_id, []).append(
            {"public_id": str(attachment.public_id), "title": attachment.filename, "size": attachment.size}
        )
    return files


# --- submissions and their status ---------------------------------------------------------------


def submissions_of(user: User) -> QuerySet[Submission]:
    """What a citizen or institution user submitted, newest first, with the case status."""
    return Submission.objects.filter(submitted_by=user).select_related("service", "case").order_by("-submitted_at")


def find_submission_for_status(*, reference: str, secret: str) -> Submission | None:
    """The submission behind a reference and its status secret (from the receipt), else None."""
    canonical = normalize_reference(reference)
    if canonical is None:
        return None
    submission = Submission.objects.select_related("service", "case", "office").filter(reference=canonical).first()
    typed = "".join(secret.split()).upper()
    if submission is None or not hmac.compare_digest(typed.encode(), submission.status_secret.encode()):
        return None
    return submission


def get_submission_for_viewer(*, user: User, session: Any, reference: str) -> Submission:
    """A submission whose status the requester may see: their own, or one proven in this session."""
    submission = get_object_or_404(
        Submission.objects.select_related("service", "service__form", "case", "office", "form_version"),
        reference=reference,
    )
    own = user.is_authenticated and submission.submitted_by_id == user.pk
    if not own and reference not in session.get("oegd_status", {}):
        raise Http404
    return submission


def submissions_of_office(*, office: Office) -> QuerySet[Submission]:
    return Submission.objects.filter(office=office).select_related("service", "case").order_by("-submitted_at")


def get_submission_for_staff(*, user: User, office: Office, reference: str) -> Submission:
    """A submission of the active office (404 for others); reading its answers is audited."""
    submission = get_object_or_404(
        Submission.objects.select_related("service", "case", "form_version", "office"),
        office=office,
        reference=reference,
    )
    audit.record(user, "form.submission.read", submission, office=office, subject=submission.case.subject)
    return submission


def response_items(submission: Submission) -> list[dict[str, Any]]:
    return json.loads(submission.response).get("item", [])


def get_attachment_for_viewer(*, user: User, session: Any, public_id: str, office: Office | None) -> Attachment:
    """An uploaded file for someone allowed to see it: staff of the submission's office, the
    person who submitted it (or proved the status secret), or the holder of the draft."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("submission", "draft", "submission__office"), public_id=public_id
    )
    submission = attachment.submission
    if submission is not None:
        if office is not None and submission.office_id == office.pk:
            audit.record(user, "attachment.read", attachment, office=office)
            return attachment
        get_submission_for_viewer(user=user, session=session, reference=submission.reference)
        return attachment
    if attachment.draft is None:
        raise Http404
    get_draft_for_request(user=user, session=session, public_id=str(attachment.draft.public_id))
    return attachment


def status_url(submission: Submission, secret: str = "") -> str:
    """Absolute link to the status page; with the secret it opens without typing (QR code)."""
    path = reverse("forms:status_check")
    query = f"?reference={submission.reference}" + (f"&secret={secret}" if secret else "")
    return settings.SITE_URL + path + query


def receipt_for(submission: Submission, *, with_secret: bool = True) -> Any:
    """The receipt (Eingangsbestätigung) of a submission in its language, for the PDF or e-mail.

    Without the secret (e-mail: not a confidential channel) the status link asks for it.
    """
    from oegd.forms.receipts import Receipt
    from oegd.forms.summary import answer_summary

    office = submission.office
    secret = submission.status_secret if with_secret else ""
    items = response_items(submission) if with_secret else []
    return Receipt(
        reference=submission.reference,
        service_title=submission.service.text("title", submission.language),
        office_name=office.name,
        office_address="\n".join(
            part for part in (office.street, f"{office.postal_code} {office.place}".strip()) if part
        ),
        office_email=office.email,
        office_phone=office.phone,
        submitted_at=submission.submitted_at,
        status_url=status_url(submission, secret),
        secret=secret,
        language=submission.language,
        rows=answer_summary(definition_of(submission.form_version), items, submission.language) if items else [],
        attachments=list(submission.attachments.order_by("uploaded_at").values_list("filename", flat=True)),
    )


# --- FHIR and REST ------------------------------------------------------------------------------


def published_versions(*, url: str = "", status: str = "", title: str = "") -> QuerySet[FormVersion]:
    """Published form versions (active or retired) for FHIR search; drafts are never shown."""
    versions = (
        FormVersion.objects.exclude(status=FormVersion.Status.DRAFT)
        .select_related("form")
        .order_by("form__slug", "-version")
    )
    if url:
        base, _sep, number = url.partition("|")
        versions = versions.filter(form__url=base)
        if number:
            versions = versions.filter(version=int(number)) if number.isdigit() else versions.none()
    if status:
        versions = versions.filter(status=status) if status in ("active", "retired") else versions.none()
    if title:
        versions = versions.filter(form__title__icontains=title)
    return versions


def get_published_version(fhir_id: str) -> FormVersion:
    """A published version by its FHIR id ``<slug>-v<version>``."""
    slug, _sep, number = fhir_id.rpartition("-v")
    if not slug or not number.isdigit():
        raise Http404
    return get_object_or_404(published_versions(), form__slug=slug, version=int(number))


def questionnaire_resource(version: FormVersion) -> dict[str, Any]:
    """The FHIR Questionnaire of a version as served: with its id, version and status."""
    return {
        **version.resource,
        "id": version.fhir_id,
        "url": version.form.url,
        "version": str(version.version),
        "status": "active" if version.status == FormVersion.Status.ACTIVE else "retired",
    }


def client_may_submit(*, client: Any, service: Service) -> bool:
    """A token acting for an institution submits the services of its kind; an office's own
    system (no institution) may submit any service."""
    institution = getattr(client, "institution", None)
    return institution is None or institution.kind in service.institution_kinds


def service_for_submission(*, form_url: str, client: Any) -> Service | None:
    """The offered service whose form has ``form_url`` (``url`` or ``url|version``) and that the
    API client may submit."""
    base = form_url.partition("|")[0]
    for service in offered_services().filter(form__url=base):
        if client_may_submit(client=client, service=service):
            return service
    return None


def get_submission_for_client(*, client: Any, reference: str) -> Submission:
    """A submission made by this API client; 404 for everything else."""
    return get_object_or_404(
        Submission.objects.select_related("case", "service"), api_client=client, reference=reference
    )
