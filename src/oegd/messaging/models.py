"""Secure messages (sichere Nachrichten): threads between a person and an office team.

A thread belongs to one office and optionally one team (``core.Department``), topic and case.
Its other side is a citizen with an account, an institution (school, day-care centre, ...) or an
anonymous youth who holds an access code and a PIN (``AnonymousAccess``). Message texts, subjects,
phone numbers and attachment names are stored encrypted; attachment bytes are encrypted before
they are written under ``MEDIA_ROOT/messages``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oegd.core.crypto import EncryptedTextField
from oegd.core.models import Department, Office
from oegd.core.translated_texts import text_in_language


class Topic(models.Model):
    """What people can write about, and which team answers (Anliegen): school health, counselling, ..."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="message_topics")
    team = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="message_topics"
    )
    slug = models.SlugField(_("short name"), max_length=50)
    # {"de": {"name": ..., "description": ...}, "en": {...}}
    texts = models.JSONField(_("texts"), default=dict, blank=True)
    open_to_anonymous = models.BooleanField(
        _("young people may write without an account"),
        default=False,
        help_text=_("Shown on the anonymous start page, e.g. for school health or counselling."),
    )
    notify_email = models.EmailField(
        _("team mailbox for notices"),
        blank=True,
        help_text=_("Gets a notice (without content) when a new conversation starts."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["office", "position", "slug"]
        constraints = [models.UniqueConstraint(fields=["office", "slug"], name="message_topic_unique_slug")]
        verbose_name = _("message topic")
        verbose_name_plural = _("message topics")

    def __str__(self) -> str:
        return self.name or self.slug

    def text(self, key: str, language: str | None = None) -> str:
        return text_in_language(self.texts or {}, key, language)

    @property
    def name(self) -> str:
        return self.text("name") or self.slug


class TextBlock(models.Model):
    """A ready-made answer staff insert into a reply (Textbaustein), per office, optionally per team."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="text_blocks")
    team = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["office", "title"]
        constraints = [models.UniqueConstraint(fields=["office", "title"], name="text_block_unique_title")]
        verbose_name = _("text block")
        verbose_name_plural = _("text blocks")

    def __str__(self) -> str:
        return self.title


class Thread(models.Model):
    """One conversation (Nachrichtenverlauf) between a person or institution and an office team."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="message_threads")
    team = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="threads")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="message_threads"
    )
    # The person on the other side; empty while the thread is anonymous or belongs to an institution.
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="message_threads"
    )
    institution = models.ForeignKey(
        "directory.Institution", on_delete=models.SET_NULL, null=True, blank=True, related_name="message_threads"
    )
    started_anonymously = models.BooleanField(default=False)
    # A youth's confidential conversation: never shown to parents acting for them.
    confidential = models.BooleanField(_("confidential"), default=False)
    # The child a parent wrote for (Vertretung); the parent is ``citizen``.
    on_behalf_of = models.ForeignKey(
        "portal.Dependant", on_delete=models.SET_NULL, null=True, blank=True, related_name="message_threads"
    )
    subject = EncryptedTextField(_("subject"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    # True while the last visible message came from the person: the team owes an answer.
    needs_reply = models.BooleanField(default=True)
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    # A mobile number for "new message" text messages, if the person asked for them.
    notify_phone = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            # The team inbox and its filters: newest first within office, team and status.
            models.Index(fields=["office", "team", "status", "-last_message_at", "-id"], name="thread_team_inbox"),
            models.Index(fields=["office", "status", "-last_message_at", "-id"], name="thread_office_inbox"),
            models.Index(fields=["assignee", "status", "-last_message_at", "-id"], name="thread_assignee_inbox"),
            models.Index(fields=["citizen", "-last_message_at"], name="thread_citizen"),
            models.Index(fields=["institution", "-last_message_at"], name="thread_institution"),
        ]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Message(models.Model):
    """One message of a thread, or an internal note of the team (never shown to the person)."""

    class Author(models.TextChoices):
        PERSON = "person", _("Person")  # the citizen, anonymous youth or institution
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")  # an office system through the API

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=Author.choices)
    # Empty for anonymous youths and API clients.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    api_client = models.ForeignKey("core.ApiClient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = EncryptedTextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Read receipt: when the other side first opened it (and which staff member did).
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True)
    # A repeated API delivery with the same key leaves one message.
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="message_thread_time"),
            models.Index(fields=["updated_at"], name="message_updated"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="message_unique_idempotency_key",
            )
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def from_person(self) -> bool:
        return self.author_kind == self.Author.PERSON


class MessageAttachment(models.Model):
    """A file sent with a message; its bytes lie encrypted under ``MEDIA_ROOT/messages``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = EncryptedTextField(_("file name"))
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)  # of the plaintext, checked when read back
    sha1 = models.CharField(max_length=28)  # base64, as FHIR Attachment.hash wants it
    storage_name = models.CharField(max_length=200, unique=True)
    scan = models.CharField(max_length=20)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("message attachment")
        verbose_name_plural = _("message attachments")

    def __str__(self) -> str:
        return str(self.public_id)


class AnonymousAccess(models.Model):
    """How an anonymous youth gets back into their thread: an access code and a PIN, both hashed.

    Nothing here says who the person is: no IP address, no e-mail, no phone number.
    """

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="anonymous_access")
    code_digest = models.CharField(max_length=64, unique=True)
    pin_hash = models.CharField(max_length=128)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Set when the youth moved the thread into their account; the code no longer opens it.
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("anonymous access")
        verbose_name_plural = _("anonymous accesses")

    def __str__(self) -> str:
        return f"access to {self.thread_id}"
