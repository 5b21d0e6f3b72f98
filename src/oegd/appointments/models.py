"""Online appointments: types, locations, bookable resources, working plans, bookings, reminders.

No double booking, ever: every booking claims its staff member and room through
``ResourceClaim`` rows, and on PostgreSQL an exclusion constraint refuses two active claims of
one resource whose periods (buffers included) overlap (migration 0002). Group sessions claim
their resources once (``GroupSession``) and count seats under a row lock.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from oegd.core.crypto import EncryptedTextField
from oegd.core.models import Office
from oegd.core.translated_texts import text_in_language


class Location(models.Model):
    """Where appointments take place; its time zone and public holidays apply to them."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    # {"de": "...", "en": "..."}: step-free access, lift, parking, hearing loop, ...
    accessibility = models.JSONField(_("accessibility information"), default=dict, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Europe/Berlin")
    # Public holidays: ISO country (DE, NO, DK) and subdivision (e.g. BE, NW; "" for national only).
    holiday_country = models.CharField(_("country for public holidays"), max_length=2, default="DE")
    holiday_subdivision = models.CharField(_("region for public holidays"), max_length=10, blank=True)

    class Meta:
        ordering = ["office", "name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """Something an appointment needs: a staff member (with qualifications) or a room."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff member")
        ROOM = "room", _("Room")

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="resources")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="resources"
    )
    # e.g. ["physician", "vaccination", "sti-testing"]; an appointment type may require one.
    qualifications = models.JSONField(_("qualifications"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "kind", "name"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.name


class AppointmentType(models.Model):
    """What can be booked (Terminart): vaccination advice, §43 instruction, school-entry exam, ..."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        VIDEO = "video", _("Video consultation")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Everyone (e-mail address confirmed)")
        LOGGED_IN = "logged_in", _("Citizens with an account")
        INVITED = "invited", _("Only with an invitation")

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="appointment_types")
    slug = models.SlugField()
    # {"de": {"name": "...", "description": "..."}, "en": {...}}
    texts = models.JSONField(_("texts"), default=dict)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointment_types")
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    audience = models.CharField(_("who may book"), max_length=20, choices=Audience.choices, default=Audience.PUBLIC)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    buffer_before_minutes = models.PositiveIntegerField(_("buffer before (minutes)"), default=0)
    buffer_after_minutes = models.PositiveIntegerField(_("buffer after (minutes)"), default=0)
    # Slots start on this grid (minutes past the start of a working period).
    slot_step_minutes = models.PositiveIntegerField(_("slot grid (minutes)"), default=15)
    min_notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=120)
    horizon_days = models.PositiveIntegerField(_("booking horizon (days)"), default=60)
    cancellation_cutoff_minutes = models.PositiveIntegerField(_("cancellation cutoff (minutes)"), default=1440)
    capacity = models.PositiveIntegerField(_("places per slot"), default=1)  # > 1: group session
    required_qualification = models.CharField(_("required qualification"), max_length=50, blank=True)
    needs_room = models.BooleanField(_("needs a room"), default=False)
    max_active_per_person = models.PositiveIntegerField(_("open bookings per person"), default=2)
    # Minutes before the start at which reminders go out, e.g. [1440, 120].
    reminder_offsets = models.JSONField(_("reminders (minutes before)"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "slug"]
        constraints = [models.UniqueConstraint(fields=["office", "slug"], name="appointment_type_unique_slug")]
        verbose_name = _("appointment type")
        verbose_name_plural = _("appointment types")

    def __str__(self) -> str:
        return self.slug

    def text(self, key: str, language: str | None = None) -> str:
        return text_in_language(self.texts, key, language)

    @property
    def name(self) -> str:
        return self.text("name")


class WorkingPlan(models.Model):
    """A regular working period of a resource on one weekday (several rows make breaks)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="working_plans")
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday (date.weekday())
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["resource", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="working_plan_start_before_end")
        ]
        verbose_name = _("working plan")
        verbose_name_plural = _("working plans")

    def __str__(self) -> str:
        return f"{self.resource} {self.weekday} {self.start}-{self.end}"


class AvailabilityException(models.Model):
    """A blocked period (leave, training, closure) or extra working time of a resource or location."""

    class Kind(models.TextChoices):
        BLOCKED = "blocked", _("Blocked")
        EXTRA = "extra", _("Extra working time")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BLOCKED)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, null=True, blank=True, related_name="exceptions")
    # Without a resource: the whole location (e.g. closed for a staff meeting).
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="exceptions")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="availability_exception_order"),
            models.CheckConstraint(
                condition=Q(resource__isnull=False) | Q(location__isnull=False), name="availability_exception_target"
            ),
        ]
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")

    def __str__(self) -> str:
        return f"{self.kind} {self.start:%Y-%m-%d}"


class Invitation(models.Model):
    """An invitation to book a type (school-entry exam, case task); its token opens the booking."""

    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class GroupSession(models.Model):
    """One occurrence of a type with several places (e.g. a §43 instruction for 20 people)."""

    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="sessions")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appointment_type", "start"], name="group_session_unique_start")]

    def __str__(self) -> str:
        return f"{self.appointment_type} {self.start:%Y-%m-%d %H:%M}"


class Appointment(models.Model):
    """A booked appointment (Termin) of one person."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for e-mail confirmation")
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Moved to another time")
        COMPLETED = "completed", _("Took place")
        NO_SHOW = "no_show", _("Did not come")

    ACTIVE = (Status.PENDING, Status.BOOKED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="appointments")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="appointments")
    session = models.ForeignKey(GroupSession, on_delete=models.PROTECT, null=True, blank=True, related_name="seats")
    start = models.DateTimeField(_("start"), db_index=True)
    end = models.DateTimeField(_("end"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.BOOKED)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("mobile phone (for SMS reminders)"), max_length=30, blank=True)
    # What the person wants to tell the office beforehand: health data, so encrypted.
    note = EncryptedTextField(_("note"), blank=True)
    language = models.CharField(max_length=10)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(Invitation, on_delete=models.SET_NULL, null=True, blank=True)
    # The new appointment when this one was moved (rebooking keeps the history).
    moved_to = models.OneToOneField("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="moved_from")
    # The links in the confirmation e-mail (rebook, cancel, calendar) carry this secret.
    manage_token_hash = models.CharField(max_length=64, db_index=True)
    video_room = models.CharField(max_length=100, blank=True)
    # Booked by a youth who keeps it from their parents: never shown on a guardian's pages.
    confidential = models.BooleanField(_("private from my parents"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["office", "start"]), models.Index(fields=["citizen", "status"])]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")

    def __str__(self) -> str:
        return f"{self.appointment_type} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class ResourceClaim(models.Model):
    """A resource held for a period (the appointment plus its buffers). Two active claims of one
    resource never overlap: PostgreSQL refuses it (exclusion constraint, migration 0002)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="claims")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="claims")
    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, null=True, blank=True, related_name="claims")
    start = models.DateTimeField()
    end = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["resource", "start"])]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="resource_claim_order"),
            models.CheckConstraint(
                condition=Q(appointment__isnull=False) | Q(session__isnull=False), name="resource_claim_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}"


class WaitingListEntry(models.Model):
    """Someone who wants the next free slot of a type in a period; offered by e-mail when one frees."""

    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.CASCADE, related_name="waiting_list")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    language = models.CharField(max_length=10)
    earliest = models.DateTimeField(_("from"))
    latest = models.DateTimeField(_("until"))
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"waiting {self.appointment_type}"


class Reminder(models.Model):
    """One reminder of one appointment on one channel; sent once, never after a cancellation."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "channel", "due_at"], name="reminder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.due_at:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """A private iCalendar feed of a citizen's appointments; the URL holds the secret token."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"feed of {self.user_id}"
