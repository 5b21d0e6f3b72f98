"""Tenancy (offices), people and roles, API clients and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from oegd.core.crypto import EncryptedTextField


class Office(models.Model):
    """A public health office (Gesundheitsamt) run on this installation: the unit of tenancy."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    rki_code = models.CharField(
        _("RKI code"), max_length=20, blank=True, help_text=_("Code of the office in the RKI PLZ-Tool")
    )
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A department or team inside an office (Abteilung, Sachgebiet)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["office", "name"]
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="department_unique_name")]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return f"{self.office} – {self.name}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("kind", User.Kind.STAFF)
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who logs in: staff, citizens and users of institutions."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        CITIZEN = "citizen", _("Citizen")
        INSTITUTION = "institution", _("Institution user")

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CITIZEN)
    language = models.CharField(_("language"), max_length=10, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("operator"), default=False, help_text=_("May use the operators' admin at /admin/.")
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff_member(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_citizen(self) -> bool:
        return self.kind == self.Kind.CITIZEN

    @cached_property
    def office_roles(self) -> dict[int, set[str]]:
        """Roles per office id, read once per request (request.user lives for one request)."""
        roles: dict[int, set[str]] = {}
        for office_id, role in Membership.objects.filter(user=self).values_list("office_id", "role"):
            roles.setdefault(office_id, set()).add(role)
        return roles

    @property
    def is_state_admin(self) -> bool:
        return any(Role.STATE_ADMIN in roles for roles in self.office_roles.values())

    def offices(self) -> models.QuerySet[Office]:
        """Offices this person works for (state admins: all offices)."""
        if self.is_state_admin:
            return Office.objects.filter(is_active=True)
        return Office.objects.filter(pk__in=list(self.office_roles), is_active=True)


class Role(models.TextChoices):
    OFFICE_ADMIN = "office_admin", _("Office administrator")
    PHYSICIAN = "physician", _("Physician")
    SPECIALIST = "specialist", _("Specialist staff")
    CLERK = "clerk", _("Clerk")
    DATA_PROTECTION_OFFICER = "dpo", _("Data protection officer")
    REPORTING_ANALYST = "analyst", _("Reporting analyst")
    STATE_ADMIN = "state_admin", _("State administrator")


class Membership(models.Model):
    """A staff member's role in an office (one row per office and role)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "office", "role"], name="membership_unique_role"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} – {self.office} ({self.get_role_display()})"


class CitizenProfile(models.Model):
    """What a citizen tells about themselves once, so forms and bookings need not ask again."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="citizen_profile")
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    # Health-related free text (e.g. "wheelchair user, needs a sign-language interpreter").
    accessibility_needs = EncryptedTextField(_("accessibility needs"), blank=True)
    oidc_subject = models.CharField(max_length=255, blank=True)
    oidc_provider = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_provider", "oidc_subject"],
                condition=~Q(oidc_subject=""),
                name="citizen_unique_oidc_subject",
            )
        ]

    def __str__(self) -> str:
        return f"profile of {self.user}"


class ApiClient(models.Model):
    """A system that calls the API (institution, EHR, DEMIS); its token is stored hashed."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        DIRECTORY = "directory", _("Directory and responsibility")
        FORMS = "forms", _("Form submissions")
        APPOINTMENTS = "appointments", _("Appointments")
        MESSAGING = "messaging", _("Messaging")
        DEMIS = "demis", _("DEMIS notifications")
        FHIR = "fhir", _("FHIR")

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="api_clients")
    # A school, day-care centre, pool or lab that submits forms with this token (else an office system).
    institution = models.ForeignKey(
        "directory.Institution", on_delete=models.CASCADE, null=True, blank=True, related_name="api_clients"
    )
    name = models.CharField(_("name"), max_length=200)
    scopes = models.JSONField(_("scopes"), default=list)
    token_prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "name"], name="api_client_unique_name")]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.office})"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class AuditEvent(models.Model):
    """One append-only, hash-chained entry: who did what to which record, why, when (UTC)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    office = models.ForeignKey(Office, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+")
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    # The person whose data was touched, so citizens can see who accessed their data.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )
    purpose = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["office", "at"]),
            models.Index(fields=["subject", "at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class PeriodicJobRun(models.Model):
    """The last time a periodic job was enqueued; the scheduler's memory across restarts."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
