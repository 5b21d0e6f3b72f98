"""The append-only audit log: one hash-chained event per read or write of personal data.

Every service and selector that touches personal data calls ``record``. The chain makes any
later change visible (``verify_chain``); on PostgreSQL a trigger refuses UPDATE and DELETE.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

if TYPE_CHECKING:
    from oegd.core.models import AuditEvent, Office, User

GENESIS = "0" * 64
_CHAIN_LOCK_ID = 7_420_011  # PostgreSQL advisory lock that serialises appends to the chain


@dataclass(frozen=True)
class SystemActor:
    """An actor that is not a person: the platform itself, a scheduled job, an import."""

    label: str


def _actor_fields(actor: Any) -> tuple[Any, str]:
    from oegd.core.models import ApiClient, User

    if isinstance(actor, User):
        return actor, actor.email
    if isinstance(actor, ApiClient):
        return None, f"api-client:{actor.pk}:{actor.name}"
    if isinstance(actor, SystemActor):
        return None, f"system:{actor.label}"
    return None, "anonymous"


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = "|".join(str(fields[key]) for key in sorted(fields))
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id or "",
        "actor_label": event.actor_label,
        "office": event.office_id or "",
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "subject": event.subject_id or "",
        "purpose": event.purpose,
    }


def record(
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    office: Office | None = None,
    subject: User | None = None,
    purpose: str = "",
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the write it records."""
    return record_many([Entry(actor, action, obj, office=office, subject=subject, purpose=purpose)])[0]


@dataclass(frozen=True)
class Entry:
    """One event for ``record_many`` (the same fields as ``record`` takes)."""

    actor: Any
    action: str
    obj: models.Model | None = None
    office: Office | None = None
    subject: User | None = None
    purpose: str = ""


def record_many(entries: list[Entry]) -> list[AuditEvent]:
    """Append audit events (one, or many for bulk imports): one lock, the hashes chained in order,
    one INSERT. Call it inside the transaction of the writes it records."""
    from oegd.core.models import AuditEvent, Office

    if not entries:
        return []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])
        prev = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        now = timezone.now()
        events = []
        for entry in entries:
            user, label = _actor_fields(entry.actor)
            office = entry.office
            if office is None and entry.obj is not None:
                office = entry.obj if isinstance(entry.obj, Office) else getattr(entry.obj, "office", None)
            event = AuditEvent(
                at=now,
                actor=user,
                actor_label=label[:200],
                office=office,
                action=entry.action,
                object_type=entry.obj._meta.label_lower if entry.obj is not None else "",
                object_id=str(entry.obj.pk) if entry.obj is not None else "",
                subject=entry.subject,
                purpose=entry.purpose[:300],
                prev_hash=prev,
            )
            event.hash = prev = _digest(event.prev_hash, _hashed_fields(event))
            events.append(event)
        AuditEvent.objects.bulk_create(events)
    return events


def verify_chain() -> int | None:
    """Check the whole chain; return the id of the first broken event, or None if intact."""
    from oegd.core.models import AuditEvent

    prev = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev or event.hash != _digest(prev, _hashed_fields(event)):
            return event.pk
        prev = event.hash
    return None
