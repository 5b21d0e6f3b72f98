"""Organisations: the nation-wide directory of health offices (RKI PLZ-Tool) and institutions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from oegd.core.models import Office


class HealthAuthority(models.Model):
    """A German health office as listed in the RKI PLZ-Tool (TransmittingSite), on this
    platform or not: routing and forwarding (§11 IfSG) need all of them."""

    code = models.CharField(_("RKI code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    department = models.CharField(_("department"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=100, blank=True)
    fax = models.CharField(_("fax"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("health authority")
        verbose_name_plural = _("health authorities")

    def __str__(self) -> str:
        return self.name


class ResponsibilityEntry(models.Model):
    """One search text of the PLZ-Tool: a postal code or a place/district an authority serves."""

    class Kind(models.TextChoices):
        POSTAL_CODE = "postal_code", _("Postal code")
        PLACE = "place", _("Place or district")

    # Indexed by the unique constraint (authority first) and by (kind, normalized): the lookups
    # routing needs. No more indexes: they slow the bulk import of ~64,000 entries.
    authority = models.ForeignKey(HealthAuthority, on_delete=models.CASCADE, related_name="entries", db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    value = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200)  # fold_text(value): the form routing compares

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "kind", "value"], name="responsibility_unique_entry")
        ]
        indexes = [models.Index(fields=["kind", "normalized"])]

    def __str__(self) -> str:
        return self.value


class Institution(models.Model):
    """A school, day-care centre, pool, lab or medical practice that works with an office."""

    class Kind(models.TextChoices):
        SCHOOL = "school", _("School")
        DAYCARE = "daycare", _("Day-care centre")
        POOL = "pool", _("Swimming pool")
        LAB = "lab", _("Laboratory")
        PRACTICE = "practice", _("Medical practice")

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="institutions")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="institutions", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.name
