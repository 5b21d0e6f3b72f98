"""Transfer of infection cases to the state authority / RKI (Übermittlung nach § 11 IfSG).

``transfer_case`` builds the pseudonymised payload (SurvNet transport XML or a FHIR bundle with
NotifiedPersonNotByName), keeps what was sent as a ``Transfer`` (encrypted, with its SHA-256 and
version: 1 for the first transfer, then one more per update), writes the case's timeline and the
audit event, and hands the payload to the sender. The default sender writes it into an outbox
directory (``SURVNET_OUTBOX_DIR``, default ``MEDIA_ROOT/survnet-outbox``) for the office's SurvNet
or DEMIS gateway to pick up; there is no network access here. Another sender is configured with
``SURVNET_SENDER`` (dotted path of a class with ``send(transfer)``). ``send`` is called inside the
transaction, so a failure aborts the transfer; a sender must not let anything out before the commit
(``transaction.on_commit``).

Each transfer gets the office's next transport number (the office row is locked while it is
drawn, and ``(office, transport_number)`` is unique) and the case's record GUID: the one stored on
the case's first transfer, so every version updates the same record at the receiver.
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


def _discard(sender: Sender, transfer: Transfer) -> None:
    """Let the sender drop what it prepared for a transfer that was rolled back (if it can)."""
    discard = getattr(sender, "discard", None)
    if discard is not None:
        discard(transfer)


def outbox_dir() -> Path:
    configured = getattr(settings, "SURVNET_OUTBOX_DIR", "")
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "survnet-outbox"


def payload_filename(transfer: Transfer) -> str:
    return f"{transfer.infection_case.reference}-{transfer.format}-v{transfer.version}.{EXTENSIONS[transfer.format]}"


class OutboxSender:
    """Writes each payload as a file into the office's folder of the outbox directory.

    The file is written as ``<name>.part`` inside the transaction (a write failure aborts the
    transfer) and renamed to its final name only when the transaction commits, so the gateway
    (which ignores ``.part`` files) never sees a payload without its Transfer row, nor half a file.
    When ``transfer_case`` fails after the write, ``discard`` removes the ``.part`` file; when an
    outer transaction rolls back later, it stays behind, ignored, and is overwritten by the retry
    (same case, format and version, hence the same name).
    """

    def _paths(self, transfer: Transfer) -> tuple[Path, Path]:
        target = outbox_dir() / transfer.office.slug / payload_filename(transfer)
        return target, target.with_suffix(target.suffix + ".part")

    def send(self, transfer: Transfer) -> None:
        target, partial = self._paths(transfer)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(transfer.payload, encoding="utf-8")
        transaction.on_commit(lambda: partial.replace(target))

    def discard(self, transfer: Transfer) -> None:
        self._paths(transfer)[1].unlink(missing_ok=True)


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


def build_payload(
    case: InfectionCase, *, format: str, version: int, transport_number: int = 1, record_id: str = ""
) -> str:
    """The pseudonymised payload of one transfer version in the given format."""
    if format == FORMATS.SURVNET:
        from oegd.infection.survnet import build_survnet_xml

        return build_survnet_xml(case, version=version, transport_number=transport_number, record_id=record_id)
    if format == FORMATS.FHIR:
        from oegd.infection.fhir_export import build_rki_bundle_json

        return build_rki_bundle_json(case, version=version, record_id=record_id)
    raise TransferRefused(_("Unknown transfer format."))


def _receiver(case: InfectionCase, format: str) -> str:
    from oegd.infection.survnet import receiver_code

    return receiver_code(case.office.rki_code)


def _next_transport_number(office_id: int) -> int:
    """The office's next transport number. Call inside the transaction: the office row stays locked
    (FOR NO KEY UPDATE, so inserts referencing the office are not held up) until it commits, so two
    transfers of one office never draw the same number; the unique constraint backs this up."""
    Office.objects.select_for_update(no_key=True).filter(pk=office_id).values_list("pk", flat=True).get()
    last = Transfer.objects.filter(office_id=office_id).aggregate(last=Max("transport_number"))["last"]
    return (last or 0) + 1


def _record_id(case: InfectionCase) -> str:
    """The record GUID of the case's first transfer (any format), or a new one for its first."""
    from oegd.infection.survnet import record_guid

    stored = (
        Transfer.objects.filter(infection_case=case).order_by("sent_at", "pk").values_list("record_guid", flat=True)
    )
    return stored.first() or record_guid(case)


# --- the write -------------------------------------------------------------------------------------


def transfer_case(*, actor: Any, infection_case: InfectionCase, format: str = FORMATS.SURVNET) -> Transfer:
    """Transfer the case to the state authority / RKI as a new version, or refuse with a message.

    Refused (nothing stored, nothing sent) when the format is unknown, the disease is not in the
    catalogue, the case is unclassified or outside its reference definition, or a non-nominal
    case lacks sex, month of birth or the first digits of the postal code.
    """
    if format not in FORMATS.values:
        raise TransferRefused(_("Unknown transfer format."))
    sender = get_sender()
    transfer: Transfer | None = None
    committed: list[bool] = []  # set by the first on-commit callback: a later failure must not discard
    try:
        with transaction.atomic():
            case = (
                InfectionCase.objects.select_for_update(of=("self",))
                .select_related("office", "person")
                .get(pk=infection_case.pk)
            )
            reason = refusal_reason(case)
            if reason:
                raise TransferRefused(reason)
            previous = Transfer.objects.filter(infection_case=case, format=format).aggregate(last=Max("version"))
            version = (previous["last"] or 0) + 1
            transport_number = _next_transport_number(case.office_id)
            record_id = _record_id(case)
            payload = build_payload(
                case, format=format, version=version, transport_number=transport_number, record_id=record_id
            )
            transfer = Transfer.objects.create(
                office=case.office,
                infection_case=case,
                format=format,
                version=version,
                transport_number=transport_number,
                record_guid=record_id,
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
            transaction.on_commit(lambda: committed.append(True))
            # Inside the transaction: if the outbox cannot be written, no Transfer claims it was sent.
            sender.send(transfer)
        return transfer
    except BaseException:
        if transfer is not None and not committed:
            _discard(sender, transfer)  # rolled back: nothing may reach the gateway
        raise


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
