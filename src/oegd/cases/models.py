"""Case files (Vorgänge) and the standardised processes (Soll-Prozesse) they run through.

A case belongs to one office and has a type (state-wide, versioned). Its process is a BPMN diagram
from the state's library or an office variant, executed by SpiffWorkflow (`engine.py`); the
workflow state is kept with the case while it is open. User tasks are mirrored into `Task` rows so
that worklists are plain indexed queries. Personal data lives in `Person` records that cases refer
to (as GA-Lotse keeps it apart from procedures); free text (notes, progress entries, task answers)
is encrypted at rest.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from oegd.core.codes import random_code
from oegd.core.crypto import EncryptedTextField
from oegd.core.models import Department, Office


class CaseType(models.Model):
    """A kind of case, state-wide and versioned (Vorgangsart): its process, the milestones citizens
    see with their labels in every language, its checklist and its retention period."""

    class RetentionAction(models.TextChoices):
        DELETE = "delete", _("Delete")
        ANONYMISE = "anonymise", _("Anonymise")

    slug = models.SlugField(_("key"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    process_key = models.SlugField(_("process"), max_length=100, blank=True)
    # [{"code": "received", "labels": {"de": "Eingegangen", "en": "Received", ...}}, ...] in order
    milestones = models.JSONField(_("milestones citizens see"), default=list, blank=True)
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    filing_code = models.CharField(_("filing plan code"), max_length=40, blank=True)
    retention_days = models.PositiveIntegerField(_("retention period (days after closure)"), null=True, blank=True)
    retention_action = models.CharField(
        _("after the retention period"), max_length=20, choices=RetentionAction.choices, default=RetentionAction.DELETE
    )
    is_current = models.BooleanField(_("current version"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="case_type_version_unique"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(is_current=True), name="case_type_one_current_version"
            ),
        ]
        verbose_name = _("case type")
        verbose_name_plural = _("case types")

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def milestone_label(self, code: str, language: str | None = None) -> str:
        """The label citizens read for a milestone, in their language (German, then English, as fallback)."""
        language = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
        for declared in self.milestones:
            if declared.get("code") == code:
                labels = declared.get("labels") or {}
                for candidate in (language, settings.LANGUAGE_CODE, "en"):
                    if labels.get(candidate):
                        return labels[candidate]
        return ""

    @property
    def visible_milestone_codes(self) -> list[str]:
        return [declared["code"] for declared in self.milestones if declared.get("code")]


class ProcessDefinition(models.Model):
    """One version of a BPMN process (with its DMN decision tables), in the state library
    (`office` empty) or as an office's variant of a library process. Published versions are
    immutable: new cases start on the newest, running cases continue on theirs."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    key = models.SlugField(_("process key"), max_length=100)
    office = models.ForeignKey(Office, on_delete=models.CASCADE, null=True, blank=True, related_name="process_variants")
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    bpmn_xml = models.TextField(_("BPMN diagram"))
    dmn_xml = models.TextField(_("DMN decision tables"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    comment = models.CharField(_("change note"), max_length=300, blank=True)

    class Meta:
        constraints = [
            # one version number per library process, and per office variant (SQLite has no NULLS NOT DISTINCT)
            models.UniqueConstraint(
                fields=["key", "version"],
                condition=models.Q(office__isnull=True),
                name="process_library_version_unique",
            ),
            models.UniqueConstraint(
                fields=["key", "office", "version"],
                condition=models.Q(office__isnull=False),
                name="process_variant_version_unique",
            ),
        ]
        ordering = ["key", "office_id", "-version"]
        verbose_name = _("process definition")
        verbose_name_plural = _("process definitions")

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class Person(models.Model):
    """A person the office deals with, kept apart from the cases about them (Personenstamm)."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="persons")
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="person_records"
    )
    sex = models.CharField(_("sex"), max_length=10, blank=True)  # FHIR administrative gender
    # Match keys for duplicate detection (core/names.py), kept up to date by save().
    name_key = models.CharField(max_length=200, blank=True)  # "family|given", normalised
    family_phonetic = models.CharField(max_length=50, blank=True)  # Kölner Phonetik
    given_phonetic = models.CharField(max_length=50, blank=True)
    # Set when this record was merged into another (Dublette); undone by clearing it.
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["office", "family_name", "given_name"]),
            models.Index(fields=["office", "family_phonetic", "birth_date"], name="person_match_block_name"),
            models.Index(fields=["office", "birth_date"], name="person_match_block_birth"),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.set_match_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"given_name", "family_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_key", "family_phonetic", "given_phonetic"}
        super().save(*args, **kwargs)

    def set_match_keys(self) -> None:
        """Recompute the duplicate-detection keys from the names (bulk inserts call this themselves)."""
        from oegd.core.names import koelner_phonetik, normalise_name

        self.name_key = f"{normalise_name(self.family_name)}|{normalise_name(self.given_name)}"[:200]
        self.family_phonetic = koelner_phonetik(self.family_name)[:50]
        self.given_phonetic = koelner_phonetik(self.given_name)[:50]


class Tag(models.Model):
    """A label an office puts on its cases (Schlagwort)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="case_tags")
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="tag_unique_per_office")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """One matter of one office (Vorgang), from receipt to closure."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="cases")
    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    case_type = models.CharField(_("case type"), max_length=100)
    type_version = models.ForeignKey(
        CaseType, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("case type")
    )
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    team = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="cases", verbose_name=_("tags"))
    related = models.ManyToManyField("self", blank=True, symmetrical=True, verbose_name=_("related cases"))
    # The account of the person who started the case or whom it is about, for the citizen's own area.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    retention_due_at = models.DateTimeField(_("retention period ends"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["office", "status", "-opened_at"]),
            models.Index(fields=["office", "case_type", "status"]),
            models.Index(fields=["retention_due_at"], condition=models.Q(legal_hold=False), name="case_retention_due"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.reference


class CaseSubject(models.Model):
    """Who a case is about or who takes part in it: a person or an institution (Beteiligte)."""

    class Role(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        AFFECTED = "affected", _("Person concerned")
        GUARDIAN = "guardian", _("Legal guardian")
        INSTITUTION = "institution", _("Institution")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="subjects")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="case_links")
    institution = models.ForeignKey(
        "directory.Institution", on_delete=models.PROTECT, null=True, blank=True, related_name="case_links"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(institution__isnull=False),
                name="case_subject_is_person_or_institution",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.role}"


class Milestone(models.Model):
    """A step of a case that the citizen sees on the status page (Bearbeitungsstand)."""

    class Code(models.TextChoices):
        RECEIVED = "received", _("Received")
        IN_REVIEW = "in_review", _("In progress")
        INFORMATION_REQUESTED = "information_requested", _("We need more information from you")
        APPOINTMENT_OFFERED = "appointment_offered", _("Appointment offered")
        DECISION_MADE = "decision_made", _("Decision made")
        CLOSED = "closed", _("Completed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="milestones")
    # Built-in codes above, or a code the case type declares with its own labels.
    code = models.CharField(_("milestone"), max_length=40)
    at = models.DateTimeField(_("at"), default=timezone.now)
    citizen_visible = models.BooleanField(_("visible to the citizen"), default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.case} {self.code}"

    def label(self, language: str | None = None) -> str:
        """The citizen's label: the case type's own, else the built-in one."""
        declared = self.case.type_version.milestone_label(self.code, language) if self.case.type_version else ""
        if declared:
            return declared
        return str(dict(self.Code.choices).get(self.code, self.code))


class CaseEntry(models.Model):
    """A progress entry (Verlaufseintrag): what happened to the case, when and by whom. System
    entries also carry a code, so cycle times can be reported per step (controlling)."""

    class Kind(models.TextChoices):
        SYSTEM = "system", _("System")
        MANUAL = "manual", _("Manual")
        INBOX = "inbox", _("Incoming")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    code = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    text = EncryptedTextField(_("text"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["code", "at"])]
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress entries")

    def __str__(self) -> str:
        return f"{self.case} {self.code or self.kind}"


class Note(models.Model):
    """A staff note on a case, never shown to the citizen (Aktenvermerk); encrypted at rest."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    text = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return f"{self.case} note {self.pk}"


class ChecklistItem(models.Model):
    """One point of a case's checklist (from its case type, or added by staff)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="checklist")
    label = models.CharField(_("point"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class DocumentTemplate(models.Model):
    """A versioned letter template (Schreibvorlage): HTML with placeholders such as
    ``{{ case.reference }}``, state-wide or an office's own; rendered to PDF."""

    key = models.SlugField(_("key"), max_length=100)
    office = models.ForeignKey(Office, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=10, default="de")
    html = models.TextField(_("template"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "language", "version"],
                condition=models.Q(office__isnull=True),
                name="state_template_version_unique",
            ),
            models.UniqueConstraint(
                fields=["key", "office", "language", "version"],
                condition=models.Q(office__isnull=False),
                name="office_template_version_unique",
            ),
        ]
        ordering = ["key", "-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


def new_verification_code() -> str:
    """16 random characters (80 bits): cannot be guessed, short enough to type from paper."""
    return random_code(16)


class Document(models.Model):
    """A file on a case: a generated letter or an upload, stored with its SHA-256 (Dokument)."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("Letter")
        UPLOAD = "upload", _("Upload")
        SUBMISSION = "submission", _("Application")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    identifier = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    media_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=300)  # relative to MEDIA_ROOT
    version = models.PositiveIntegerField(default=1)
    supersedes = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    template = models.ForeignKey(DocumentTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    citizen_visible = models.BooleanField(_("visible to the citizen"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # Printed as a QR code on letters; opens the public verification page (/verify/<code>/).
    verification_code = models.CharField(max_length=20, unique=True, default=new_verification_code, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title


class ProcessInstance(models.Model):
    """The running process of one case, with its SpiffWorkflow state while the case is open."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="process")
    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="instances")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    state = models.JSONField(null=True, blank=True)  # dropped when the process ends
    active_elements = models.JSONField(default=list, blank=True)
    completed_elements = models.JSONField(default=list, blank=True)
    next_timer_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["next_timer_at"], condition=models.Q(status="running"), name="process_timer_due")
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.definition_id} {self.status}"


class Task(models.Model):
    """A user task of a case's process as it appears in worklists (Aufgabe)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting")  # on hold until a date (Wiedervorlage)
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="tasks")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    engine_task_id = models.CharField(max_length=64)
    element_id = models.CharField(max_length=100)
    name = models.CharField(_("task"), max_length=200)
    lane = models.CharField(_("lane"), max_length=100, blank=True)
    form = models.CharField(_("form"), max_length=100, blank=True)
    four_eyes_of = models.CharField(max_length=100, blank=True)
    team = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("assignee"),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Case.Priority.choices, default=2)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    waiting_until = models.DateTimeField(_("on hold until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answers = EncryptedTextField(blank=True)  # the task form's QuestionnaireResponse items / comment, as JSON

    class Meta:
        ordering = ["due_at", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "engine_task_id"], name="task_once_per_engine_task"),
        ]
        indexes = [
            models.Index(fields=["office", "status", "assignee", "due_at"], name="task_worklist_assignee"),
            models.Index(fields=["office", "status", "team", "due_at"], name="task_worklist_team"),
            models.Index(fields=["office", "status", "due_at"], name="task_worklist_office"),
            # "Sorted by priority" without sorting all open tasks of a big office (0004).
            models.Index(fields=["office", "status", "-priority", "due_at"], name="task_worklist_priority"),
            models.Index(fields=["element_id", "completed_at"], name="task_cycle_times"),
        ]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")

    def __str__(self) -> str:
        return f"{self.case} {self.name}"
