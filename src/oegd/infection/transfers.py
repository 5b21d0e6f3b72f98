"""Transfer of infection cases to the state authority / RKI (Übermittlung nach § 11 IfSG).

``transfer_case`` builds the pseudonymised payload (SurvNet transport XML or a FHIR bundle with
NotifiedPersonNotByName), keeps what was sent as a ``Transfer`` (encrypted, with its SHA-256 and
version: 1 for the first transfer, then one more per update), writes the case's timeline and the
audit event, and hands the payload to the sender. The default sender writes it into an outbox
directory (``SURVNET_OUTBOX_DIR``, default ``MEDIA_ROOT/survnet-outbox``) for the office's SurvNet
or DEMIS gateway to pick up; there is no network access here. Another sender is configured with
``SURVNET_SENDER`` (dotted path of a class with ``send(transfer)``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.models import Office, User
from oegd.core.services import DomainError
from oegd.infection import classification
from oegd.infection.catalogue import disease_for_code
from oegd.infection.models import Event, InfectionCase, Transfer

FORMATS = Transfer.Format
MEDIA_TYPES = {FORMATS.SURVNET: "application/xml", FORMATS.FHIR: "application/fhir+json"}
EXTENSIONS: dict[str, str] = {FORMATS.SURVNET: "xml", FORMATS.FHIR: "json"}


class TransferRefused(DomainError):
    """The case cannot be transferred yet; ``message`` says why."""


# --- the sender ------------------------------------------------------------------------------------


class Sender(Protocol):
    def send(self, transfer: Transfer) -> None: ...


def outbox_dir() -> Path:
    configured = getattr(settings, "SURVNET_OUTBOX_DIR", "")
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "survnet-outbox"


def payload_filename(transfer: Transfer) -> str:
    return f"{transfer.infection_case.reference}-{transfer.format}-v{transfer.version}.{EXTENSIONS[transfer.format]}"


class OutboxSender:
    """Writes each payload as a file into the office's folder of the outbox directory."""

    def send(self, transfer: Transfer) -> None:
        folder = outbox_dir() / transfer.office.slug
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / payload_filename(transfer)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_text(transfer.payload, encoding="utf-8")
        partial.replace(target)  # the gateway never sees half a file


def get_sender() -> Sender:
    path = getattr(settings, "SURVNET_SENDER", "")
    return import_string(path)() if path else OutboxSender()


# --- checks and payloads ---------------------------------------------------------------------------


def refusal_reason(case: InfectionCase) -> str:
    """Why the case cannot be transferred, or "" when it can."""
    disease = disease_for_code(case.disease)
    if disease is None:
        return _("The disease of this case is not in the catalogue of notifiable diseases.")
    if case.classification == InfectionCase.Classification.PENDING:
        return _("The case is not yet classified. Assess it against the reference definition first.")
    if not classification.reference_definition_met(case):
        return _("The case does not meet the reference definition of %(disease)s, so it is not transferred.") % {
            "disease": disease.label
        }
    if case.non_nominal or disease.non_nominal:
        missing = []
        if case.sex in ("", "unknown"):
            missing.append(_("sex"))
        if not (case.birth_month or (case.person and case.person.birth_date)):
            missing.append(_("month of birth"))
        postal = case.postal_code or (case.person.postal_code if case.person else "")
        if len("".join(ch for ch in postal if ch.isdigit())) < 3:
            missing.append(_("first three digits of the postal code"))
        if missing:
            return _("A non-nominal case (§ 7.3) needs %(fields)s before it can be transferred.") % {
                "fields": ", ".join(str(item) for item in missing)
            }
    return ""


def build_payload(case: InfectionCase, *, format: str, version: int, transport_number: int = 1) -> str:
    """The pseudonymised payload of one transfer version in the given format."""
    if format == FORMATS.SURVNET:
        from oegd.infection.survnet import build_survnet_xml

        return build_survnet_xml(case, version=version, transport_number=transport_number)
    if format == FORMATS.FHIR:
        from oegd.infection.fhir_export import build_rki_bundle_json

        return build_rki_bundle_json(case, version=version)
    raise TransferRefused(_("Unknown transfer format."))


def _receiver(case: InfectionCase, format: str) -> str:
    from oegd.infection.survnet import receiver_code

    return receiver_code(case.office.rki_code)


# --- the write -------------------------------------------------------------------------------------


def transfer_case(*, actor: Any, infection_case: InfectionCase, format: str = FORMATS.SURVNET) -> Transfer:
    """Transfer the case to the state authority / RKI as a new version, or refuse with a message.

    Refused (nothing stored, nothing sent) when the format is unknown, the disease is not in the
    catalogue, the case is unclassified or outside its reference definition, or a non-nominal
    case lacks sex, month of birth or the first digits of the postal code.
    """
    if format not in FORMATS.values:
        raise TransferRefused(_("Unknown transfer format."))
    with transaction.atomic():
        case = (
            InfectionCase.objects.select_for_update(of=("self",))
            .select_related("office", "person")
            .get(pk=infection_case.pk)
        )
        reason = refusal_reason(case)
        if reason:
            raise TransferRefused(reason)
        previous = Transfer.objects.filter(infection_case=case, format=format).aggregate(last=Max("version"))["last"]
        version = (previous or 0) + 1
        transport_number = Transfer.objects.filter(office_id=case.office_id).count() + 1
        payload = build_payload(case, format=format, version=version, transport_number=transport_number)
        transfer = Transfer.objects.create(
            office=case.office,
            infection_case=case,
            format=format,
            version=version,
            receiver_code=_receiver(case, format),
            payload=payload,
            payload_sha256=hashlib.sha256(payload.encode()).hexdigest(),
            sent_by=actor if isinstance(actor, User) else None,
        )
        Event.objects.create(
            infection_case=case,
            actor=actor if isinstance(actor, User) else None,
            code="case.transferred",
            data={"format": format, "version": version, "receiver": transfer.receiver_code},
        )
        audit.record(actor, "infection.transferred", transfer, office=case.office, purpose=f"{format} v{version}")
        # Inside the transaction: if the outbox cannot be written, no Transfer claims it was sent.
        get_sender().send(transfer)
    return transfer


# --- reads -----------------------------------------------------------------------------------------


def transfers_of_case(case: InfectionCase) -> QuerySet[Transfer]:
    return Transfer.objects.filter(infection_case=case).select_related("sent_by").order_by("-sent_at", "-version")


def transfers_of_office(*, office: Office, format: str = "", limit: int = 100) -> list[Transfer]:
    """The office's latest transfers (one indexed query, newest first)."""
    rows = Transfer.objects.filter(office=office).select_related("infection_case", "sent_by")
    if format:
        rows = rows.filter(format=format)
    return list(rows.order_by("-sent_at", "-id")[:limit])


def get_transfer_for_user(*, user: User, office: Office, reference: str, pk: int) -> Transfer:
    """One transfer of the active office's case; 404 for any other office's. The read is audited."""
    transfer = get_object_or_404(
        Transfer.objects.select_related("infection_case", "office"),
        pk=pk,
        office=office,
        infection_case__reference=reference,
    )
    audit.record(user, "infection.transfer.read", transfer, office=office)
    return transfer


def last_transfers(case_ids: list[int], format: str) -> dict[int, datetime]:
    rows = (
        Transfer.objects.filter(infection_case_id__in=case_ids, format=format)
        .values("infection_case_id")
        .annotate(last=Max("sent_at"))
    )
    return {row["infection_case_id"]: row["last"] for row in rows}


def cases_due_for_transfer(
    *, office: Office, since: date | None = None, format: str = FORMATS.SURVNET, batch: int = 500
) -> Iterator[InfectionCase]:
    """Cases of the office that meet their reference definition and were never transferred in this
    format or changed since their last transfer (optionally only cases changed since ``since``)."""
    rows = InfectionCase.objects.filter(office=office).exclude(
        classification__in=[InfectionCase.Classification.PENDING, InfectionCase.Classification.NOT_MET]
    )
    if since is not None:
        rows = rows.filter(updated_at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    last_id = 0
    while True:
        chunk = list(rows.filter(pk__gt=last_id).select_related("office", "person").order_by("pk")[:batch])
        if not chunk:
            return
        last_id = chunk[-1].pk
        sent = last_transfers([case.pk for case in chunk], format)
        for case in chunk:
            if not classification.reference_definition_met(case):
                continue
            last = sent.get(case.pk)
            if last is None or case.updated_at > last:
                yield case
