"""Infection protection under the IfSG: DEMIS notifications, infection cases, contacts, outbreaks,
measures and transfers to the state/RKI.

A DEMIS notification (Meldung) arrives as a FHIR bundle and becomes an inbox item of the
responsible office. It is linked to a person record (`cases.Person`, matched for duplicates) and
to an infection case (Meldefall) about one disease of that person. The raw bundle is kept
encrypted. The case carries what the RKI reference definitions need (classification, onset,
symptoms, lab results, hospitalisation, vaccination status); its contacts, outbreaks and measures
hang off it. Letters go into an e-file (`cases.Case`) that is opened for the infection case when
the office first writes one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oegd.core.crypto import EncryptedTextField
from oegd.core.models import Department, Office


class Sex(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("diverse")
    UNKNOWN = "unknown", _("unknown")


class InfectionCase(models.Model):
    """One person's (or, for §7.3, one anonymous) notifiable illness or pathogen finding (Meldefall)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Classification(models.TextChoices):
        # RKI reference definitions (Falldefinitionen), categories A–E; "pending" until assessed.
        PENDING = "pending", _("Not yet assessed")
        A = "A", _("A: clinical")
        B = "B", _("B: clinical-epidemiological")
        C = "C", _("C: clinical and laboratory")
        D = "D", _("D: laboratory, clinical picture not met")
        E = "E", _("E: laboratory, clinical picture unknown")
        NOT_MET = "X", _("Reference definition not met")

    class Vaccination(models.TextChoices):
        UNKNOWN = "unknown", _("unknown")
        UNVACCINATED = "none", _("not vaccinated")
        PARTIAL = "partial", _("partially vaccinated")
        COMPLETE = "complete", _("fully vaccinated")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="infection_cases")
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="infection_cases"
    )
    disease = models.CharField(_("disease"), max_length=10)  # catalogue key, e.g. "cvd", "msv", "hiv"
    pathogen = models.CharField(_("pathogen"), max_length=10, blank=True)  # DEMIS code, e.g. "cvdp"
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    classification = models.CharField(
        _("classification"), max_length=10, choices=Classification.choices, default=Classification.PENDING
    )
    non_nominal = models.BooleanField(_("non-nominal (§ 7.3)"), default=False)
    # What a non-nominal or pseudonymised case still knows about the person.
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_month = models.CharField(_("month of birth"), max_length=7, blank=True)  # "YYYY-MM" or "YYYY"
    postal_code = models.CharField(_("postal code of residence"), max_length=10, blank=True)
    onset_date = models.DateField(_("onset of illness"), null=True, blank=True)
    diagnosed_on = models.DateField(_("diagnosed on"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified"), default=timezone.now)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)  # SNOMED CT codes
    hospitalised = models.BooleanField(_("hospitalised"), null=True, blank=True)
    hospitalised_on = models.DateField(_("admitted to hospital on"), null=True, blank=True)
    deceased = models.BooleanField(_("deceased"), null=True, blank=True)
    vaccination = models.CharField(
        _("vaccination status"), max_length=10, choices=Vaccination.choices, default=Vaccination.UNKNOWN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="infection_cases"
    )
    team = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    file = models.OneToOneField(  # the e-file its letters go into, opened on the first letter
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="infection_case"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("infection case")
        verbose_name_plural = _("infection cases")
        indexes = [
            models.Index(fields=["office", "status", "-notified_at"], name="infcase_dir_status"),
            models.Index(fields=["office", "disease", "-notified_at"], name="infcase_dir_disease"),
            models.Index(fields=["office", "classification", "-notified_at"], name="infcase_dir_class"),
            models.Index(fields=["office", "assignee", "status", "-notified_at"], name="infcase_dir_assignee"),
            models.Index(fields=["office", "-notified_at"], name="infcase_dir_all"),
            models.Index(fields=["office", "postal_code", "-notified_at"], name="infcase_dir_postal"),
            models.Index(fields=["person", "disease"], name="infcase_person_disease"),
        ]

    def __str__(self) -> str:
        return self.reference


class Notification(models.Model):
    """A DEMIS notification as an inbox item (Meldung) of the office responsible for it."""

    class Kind(models.TextChoices):
        LABORATORY = "lab", _("Laboratory notification (§ 7.1)")
        LABORATORY_NON_NOMINAL = "lab73", _("Laboratory notification, non-nominal (§ 7.3)")
        LABORATORY_ANONYMOUS = "lab73a", _("Laboratory notification, anonymous (§ 7.3)")
        LABORATORY_NEGATIVE = "lab74", _("Negative laboratory result (§ 7.4)")
        DISEASE = "dis", _("Disease notification (§ 6)")
        DISEASE_NON_NOMINAL = "dis73", _("Disease notification, non-nominal (§ 7.3)")

    class State(models.TextChoices):
        NEW = "new", _("New")
        REVIEW = "review", _("Person to review")
        ASSIGNED = "assigned", _("Assigned to a case")
        FORWARDED = "forwarded", _("Forwarded (§ 11)")
        CLOSED = "closed", _("Done")

    class Source(models.TextChoices):
        PUSH = "push", _("DEMIS (sent to us)")
        PULL = "pull", _("DEMIS (fetched)")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="notifications")
    bundle_identifier = models.CharField(max_length=200, unique=True)  # idempotency key
    bundle_sha256 = models.CharField(max_length=64)
    bundle = EncryptedTextField()  # the bundle as received (JSON)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PUSH)
    disease = models.CharField(_("disease"), max_length=10, blank=True)
    pathogen = models.CharField(_("pathogen"), max_length=10, blank=True)
    notified_at = models.DateTimeField(_("notified"))  # Composition.date
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    notifier = models.CharField(_("notifier"), max_length=200, blank=True)  # lab or physician's practice
    residence_postal_code = models.CharField(_("postal code of residence"), max_length=10, blank=True)
    responsible_code = models.CharField(_("responsible office (RKI code)"), max_length=20, blank=True)
    person = models.ForeignKey(
        "cases.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    infection_case = models.ForeignKey(
        InfectionCase, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.JSONField(default=dict, blank=True)  # coded extract for the inbox (no free text)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["office", "state", "-received_at"], name="notif_inbox_state"),
            models.Index(fields=["office", "disease", "-received_at"], name="notif_inbox_disease"),
            models.Index(fields=["office", "pathogen", "-received_at"], name="notif_inbox_pathogen"),
            models.Index(fields=["office", "assignee", "state", "-received_at"], name="notif_inbox_assignee"),
            models.Index(fields=["office", "-received_at"], name="notif_inbox_all"),
            # "Another office is responsible": the few notifications to forward by hand (§ 11).
            models.Index(fields=["office", "responsible_code", "-received_at"], name="notif_inbox_responsible"),
        ]

    def __str__(self) -> str:
        return self.bundle_identifier


class RefusedBundle(models.Model):
    """A bundle the pull client fetched but could not accept, kept so that nothing is lost silently:
    staff see it (with the reason) and the sender can be asked to correct it."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")  # the receiving office
    source = models.CharField(max_length=200)  # the storage it came from
    bundle_identifier = models.CharField(max_length=200, blank=True)
    bundle_sha256 = models.CharField(max_length=64)
    bundle = EncryptedTextField()
    reason_code = models.CharField(max_length=50)
    reason = models.TextField()
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["office", "bundle_sha256"], name="refused_bundle_once"),
        ]

    def __str__(self) -> str:
        return self.bundle_identifier or self.bundle_sha256[:12]


class Forwarding(models.Model):
    """The record of a notification handed to the responsible office (Weiterleitung, § 11 IfSG)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="forwardings")
    from_office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    to_office = models.ForeignKey(Office, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_code = models.CharField(max_length=20)  # RKI code of the receiving authority
    to_name = models.CharField(max_length=200)
    reason = models.CharField(max_length=200)
    forwarded_at = models.DateTimeField(default=timezone.now)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.to_code}"


class LabResult(models.Model):
    """A laboratory finding of a notification (Erregernachweis) on an infection case."""

    class Interpretation(models.TextChoices):
        POSITIVE = "pos", _("pathogen detected")
        NEGATIVE = "neg", _("pathogen not detected")
        INDETERMINATE = "ind", _("indeterminate")

    # Empty while its notification waits for the person review (Dublettenprüfung).
    infection_case = models.ForeignKey(
        InfectionCase, on_delete=models.CASCADE, null=True, blank=True, related_name="lab_results"
    )
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="lab_results"
    )
    pathogen = models.CharField(_("pathogen"), max_length=10)
    method = models.CharField(_("method"), max_length=200, blank=True)  # LOINC / SNOMED code and display
    material = models.CharField(_("material"), max_length=200, blank=True)
    interpretation = models.CharField(_("result"), max_length=3, choices=Interpretation.choices)
    value = models.CharField(_("value"), max_length=200, blank=True)
    collected_at = models.DateTimeField(_("sample taken"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    laboratory = models.CharField(_("laboratory"), max_length=200, blank=True)

    class Meta:
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"{self.pathogen} {self.interpretation}"


class Event(models.Model):
    """A line of an infection case's or outbreak's timeline: what happened, when, by whom."""

    infection_case = models.ForeignKey(
        InfectionCase, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    outbreak = models.ForeignKey("Outbreak", on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    code = models.CharField(max_length=50)  # e.g. "notification.received", "contact.added", "measure.issued"
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    data = models.JSONField(default=dict, blank=True)  # coded details (references, dates, codes)
    text = EncryptedTextField(blank=True)  # free text by staff

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["infection_case", "at"]), models.Index(fields=["outbreak", "at"])]

    def __str__(self) -> str:
        return self.code


class Contact(models.Model):
    """A person exposed to an infection case (Kontaktperson), with category and quarantine end."""

    class Category(models.TextChoices):
        HOUSEHOLD = "household", _("Household")
        CLOSE = "close", _("Close contact (category I)")
        OTHER = "other", _("Other contact (category II)")

    class Setting(models.TextChoices):
        HOUSEHOLD = "household", _("Household")
        WORK = "work", _("Work")
        SCHOOL = "school", _("School or day care")
        HEALTHCARE = "healthcare", _("Health care or nursing home")
        LEISURE = "leisure", _("Leisure")
        TRAVEL = "travel", _("Travel")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Under observation")
        ENDED = "ended", _("Observation ended")
        BECAME_CASE = "case", _("Became a case")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="infection_contacts")
    index_case = models.ForeignKey(InfectionCase, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="infection_contacts")
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    setting = models.CharField(_("setting"), max_length=12, choices=Setting.choices, default=Setting.OTHER)
    exposure_date = models.DateField(_("last exposure"))
    quarantine_until = models.DateField(_("quarantine until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    became_case = models.ForeignKey(InfectionCase, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["exposure_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["index_case", "person"], name="contact_once_per_index_case"),
        ]
        indexes = [models.Index(fields=["office", "status", "quarantine_until"], name="contact_quarantine")]

    def __str__(self) -> str:
        return f"{self.person_id} ({self.category})"


class FollowUpCall(models.Model):
    """A planned call to a contact during observation (Nachverfolgung), as a task in the call list."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Reached")
        MISSED = "missed", _("Not reached")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="calls")
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    symptoms_reported = models.BooleanField(_("symptoms reported"), null=True, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["office", "status", "due_on"], name="followup_due")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.due_on}"


class Outbreak(models.Model):
    """Cases and contacts with a common source (Ausbruch), with its own timeline."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="outbreaks")
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    disease = models.CharField(_("disease"), max_length=10)
    setting = models.CharField(
        _("setting"), max_length=12, choices=Contact.Setting.choices, default=Contact.Setting.OTHER
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    cases = models.ManyToManyField(InfectionCase, related_name="outbreaks", blank=True)
    description = EncryptedTextField(_("description"), blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class Measure(models.Model):
    """An order to a person (Anordnung): isolation of a case, quarantine of a contact, with its letter."""

    class Kind(models.TextChoices):
        ISOLATION = "isolation", _("Isolation order")
        QUARANTINE = "quarantine", _("Quarantine order")
        WORK_BAN = "work_ban", _("Ban from work (§ 31)")
        SCHOOL_EXCLUSION = "school", _("Exclusion from school or day care (§ 34)")

    class Status(models.TextChoices):
        ORDERED = "ordered", _("Ordered")
        LIFTED = "lifted", _("Lifted")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="infection_measures")
    infection_case = models.ForeignKey(
        InfectionCase, on_delete=models.CASCADE, null=True, blank=True, related_name="measures"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="measures")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ORDERED)
    document = models.ForeignKey("cases.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.starts_on}–{self.ends_on}"


class Transfer(models.Model):
    """What was sent to the state authority / RKI about a case (Übermittlung, § 11), pseudonymised."""

    class Format(models.TextChoices):
        SURVNET = "survnet", _("SurvNet transport XML")
        FHIR = "fhir", _("FHIR (NotifiedPersonNotByName)")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    infection_case = models.ForeignKey(InfectionCase, on_delete=models.CASCADE, related_name="transfers")
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    version = models.PositiveIntegerField(default=1)  # 1 = first transfer, then updates
    # Running number of the office's transfers (SurvNet TransportNumber), unique per office.
    transport_number = models.PositiveIntegerField()
    # The case's record GUID at the receiver, fixed by its first transfer and reused for every later one.
    record_guid = models.CharField(max_length=38)
    receiver_code = models.CharField(max_length=20)
    payload = EncryptedTextField()
    payload_sha256 = models.CharField(max_length=64)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["infection_case", "format", "version"], name="transfer_version_once"),
            models.UniqueConstraint(fields=["office", "transport_number"], name="transfer_transport_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.infection_case_id} {self.format} v{self.version}"


class PersonMatch(models.Model):
    """A possible duplicate person for a reviewer to decide (Dublettenprüfung)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To review")
        MERGED = "merged", _("Merged")
        DISTINCT = "distinct", _("Different persons")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("cases.Person", on_delete=models.CASCADE, related_name="+")  # the newer record
    candidate = models.ForeignKey("cases.Person", on_delete=models.CASCADE, related_name="+")  # the existing one
    score = models.FloatField()  # match probability 0–1
    notification = models.ForeignKey(Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "candidate"], name="person_match_once")]
        indexes = [models.Index(fields=["office", "status", "-score"], name="person_match_queue")]

    def __str__(self) -> str:
        return f"{self.person_id} ~ {self.candidate_id} ({self.score:.2f})"


class PersonMerge(models.Model):
    """A merge of two person records, with what was moved so that it can be undone."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")
    kept = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    moved = models.JSONField(default=dict)  # {"<app.Model>": [pk, …]} rows repointed from merged to kept
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id}"


class SavedView(models.Model):
    """A staff member's named filter of the case directory or inbox (gespeicherte Ansicht)."""

    class Page(models.TextChoices):
        CASES = "cases", _("Case directory")
        INBOX = "inbox", _("Notification inbox")

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.CharField(max_length=10, choices=Page.choices)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(max_length=500)  # the filter as a query string

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "office", "page", "name"], name="saved_view_once")]

    def __str__(self) -> str:
        return self.name


class PullCheckpoint(models.Model):
    """How far the pull client has read a DEMIS FHIR storage, so that it resumes there."""

    source = models.CharField(max_length=200, unique=True)  # the storage's base URL
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+")  # receiving office
    last_updated = models.CharField(max_length=40, blank=True)  # the last complete page's _lastUpdated
    last_identifiers = models.JSONField(default=list)  # bundles with exactly that timestamp already read
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.source
