"""Case files (Vorgänge): the minimal record every online submission opens.

The case-management issue builds processes, tasks and documents on top of this; here a case has
an office, a type, a status and the timeline of milestones the citizen sees on the status page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oegd.core.models import Office


class Case(models.Model):
    """One matter of one office (Vorgang), from receipt to closure."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    case_type = models.CharField(_("case type"), max_length=100)
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    # The person the case is about or who started it, when they have an account.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["office", "status", "-opened_at"])]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.reference


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
    code = models.CharField(_("milestone"), max_length=40, choices=Code.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    citizen_visible = models.BooleanField(_("visible to the citizen"), default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.case} {self.code}"
