"""The citizen's own area: children and others a parent acts for (Vertretung)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Dependant(models.Model):
    """A child a parent acts for (vertretene Person), with the youth's own account once there is one.

    What the guardian may see follows the child's age (``portal.proxy.proxy_access``).
    """

    guardian = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dependants")
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    # The youth's own account, when they have one: their threads stay theirs, by age and confidentiality.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="guardianships"
    )
    # A one-time code the youth enters in their own account to link it (only its keyed digest is kept).
    link_code_hash = models.CharField(max_length=64, blank=True, db_index=True)
    link_code_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["birth_date", "given_name", "id"]
        verbose_name = _("child or dependant")
        verbose_name_plural = _("children and dependants")

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def age_on(self, day: date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)
