"""Online services and their forms: definitions, versions, drafts, submissions, attachments."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oegd.cases.models import Case
from oegd.core.crypto import EncryptedTextField
from oegd.core.models import ApiClient, Office
from oegd.core.translated_texts import text_in_language
from oegd.directory.models import Institution


class FormDefinition(models.Model):
    """A form (FHIR Questionnaire), identified by its canonical URL; its content lives in versions."""

    slug = models.SlugField(unique=True)
    url = models.URLField(_("canonical URL"), max_length=300, unique=True)
    title = models.CharField(_("title"), max_length=300)
    # None: a state-wide form kept by the state administrators; else the office that owns it.
    office = models.ForeignKey(Office, on_delete=models.PROTECT, null=True, blank=True, related_name="forms")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self) -> str:
        return self.title


class FormVersion(models.Model):
    """One version of a form: a draft being edited, the active one, or a retired one.

    Publishing makes a draft active and retires the previous active version; drafts and
    submissions keep the version they started with, so nobody's half-filled form changes.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    form = models.ForeignKey(FormDefinition, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    resource = models.JSONField(_("Questionnaire (FHIR JSON)"))
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["form", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["form", "version"], name="form_version_unique"),
            models.UniqueConstraint(fields=["form"], condition=Q(status="active"), name="form_one_active_version"),
            models.UniqueConstraint(fields=["form"], condition=Q(status="draft"), name="form_one_draft_version"),
        ]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")

    def __str__(self) -> str:
        return f"{self.form} v{self.version}"

    @property
    def fhir_id(self) -> str:
        """The id of this version as a FHIR Questionnaire resource."""
        return f"{self.form.slug}-v{self.version}"


class Service(models.Model):
    """An online service (Onlinedienst), defined state-wide and switched on per office."""

    # What a state administrator sets about a service (besides its form and texts).
    SETTINGS_FIELDS = (
        "kind",
        "case_type",
        "leika_code",
        "kle_code",
        "allow_anonymous",
        "allow_citizens",
        "institution_kinds",
        "routing",
        "postal_code_link_id",
        "place_link_id",
    )

    class Kind(models.TextChoices):
        NOTIFICATION = "notification", _("Notification")
        APPLICATION = "application", _("Application")
        COUNSELLING = "counselling", _("Counselling request")
        CERTIFICATE = "certificate", _("Certificate")

    class Routing(models.TextChoices):
        POSTAL_CODE = "postal_code", _("By postal code")
        INSTITUTION = "institution", _("By institution")

    slug = models.SlugField(unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    form = models.ForeignKey(FormDefinition, on_delete=models.PROTECT, related_name="services")
    case_type = models.CharField(_("case type"), max_length=100)
    leika_code = models.CharField(_("LeiKa code"), max_length=30, blank=True)
    kle_code = models.CharField(_("KLE code"), max_length=30, blank=True)
    allow_anonymous = models.BooleanField(_("anonymous use allowed"), default=False)
    allow_citizens = models.BooleanField(_("citizens with an account"), default=True)
    # Institution kinds (directory.Institution.Kind values) whose users may submit.
    institution_kinds = models.JSONField(_("institution kinds"), default=list, blank=True)
    routing = models.CharField(_("routing"), max_length=20, choices=Routing.choices, default=Routing.POSTAL_CODE)
    # linkIds of the answers that give the postal code and place for routing by postal code.
    postal_code_link_id = models.CharField(max_length=100, blank=True)
    place_link_id = models.CharField(max_length=100, blank=True)
    # {"de": {"title": "...", "summary": "..."}, "en": {...}}: translated texts of the catalogue.
    texts = models.JSONField(_("texts"), default=dict)
    offices = models.ManyToManyField(Office, through="ServiceOffer", related_name="services")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("online service")
        verbose_name_plural = _("online services")

    def __str__(self) -> str:
        return self.slug

    def text(self, key: str, language: str | None = None) -> str:
        """A catalogue text in ``language`` (default: the active one), else German, else any."""
        return text_in_language(self.texts, key, language)

    @property
    def title(self) -> str:
        return self.text("title")

    @property
    def summary(self) -> str:
        return self.text("summary")


class ServiceOffer(models.Model):
    """A service switched on (or off) in one office."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offers")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="service_offers")
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "office"], name="service_offer_unique")]
        verbose_name = _("service offer")
        verbose_name_plural = _("service offers")

    def __str__(self) -> str:
        return f"{self.service} @ {self.office}"


class Draft(models.Model):
    """A form being filled in (Entwurf): kept so the person can leave and resume later."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="drafts")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="form_drafts"
    )
    institution = models.ForeignKey(Institution, on_delete=models.SET_NULL, null=True, blank=True)
    language = models.CharField(max_length=10)
    # QuestionnaireResponse.item as JSON, encrypted: answers are health data.
    answers = EncryptedTextField(default="[]")
    page = models.PositiveIntegerField(default=0)
    email = models.EmailField(blank=True)  # where the resume link went
    resume_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    submission_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Set on submission; the answers then live in the Submission and are cleared here.
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")

    def __str__(self) -> str:
        return str(self.public_id)


class Submission(models.Model):
    """A submitted form (Antrag, Meldung): the QuestionnaireResponse and the case it opened."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        API = "api", _("API")
        FHIR = "fhir", _("FHIR")

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="submissions")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="submissions")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="submission")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    # The QuestionnaireResponse as JSON, encrypted.
    response = EncryptedTextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="submissions"
    )
    api_client = models.ForeignKey(ApiClient, on_delete=models.SET_NULL, null=True, blank=True)
    institution = models.ForeignKey(Institution, on_delete=models.SET_NULL, null=True, blank=True)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=10)
    # "draft:<uuid>" for the portal, "api:<client>:<key>" for systems: a retry finds the first.
    idempotency_key = models.CharField(max_length=200, unique=True)
    # Printed on the receipt; opens the status page without an account. Encrypted, because the
    # receipt (with its QR code) can be downloaded again later.
    status_secret = EncryptedTextField()
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["office", "-submitted_at"])]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")

    def __str__(self) -> str:
        return self.reference


class Attachment(models.Model):
    """An uploaded file answering an attachment item; served only after a permission check."""

    class Scan(models.TextChoices):
        CLEAN = "clean", _("No virus found")
        NOT_SCANNED = "not_scanned", _("Not scanned (no scanner configured)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    draft = models.ForeignKey(Draft, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments")
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    link_id = models.CharField(max_length=100)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    sha1 = models.CharField(max_length=28)  # base64, as FHIR Attachment.hash wants it
    storage_name = models.CharField(max_length=200, unique=True)
    scan = models.CharField(max_length=20, choices=Scan.choices)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
