"""Writes of the directory: importing the RKI PLZ-Tool."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from oegd.core import audit
from oegd.core.names import fold_text
from oegd.core.services import DomainError
from oegd.directory.models import HealthAuthority, ResponsibilityEntry
from oegd.directory.rki_plz import RkiPlzFileInvalid, TransmittingSite, parse_transmitting_sites

_AUTHORITY_FIELDS = ["name", "department", "street", "postal_code", "place", "phone", "fax", "email"]
_BATCH_SIZE = 5000


class DirectoryFileInvalid(DomainError):
    pass


@dataclass(frozen=True)
class RkiPlzImport:
    """What an import of the PLZ-Tool did."""

    authorities: int
    created: int
    updated: int
    postal_codes: int
    shared_postal_codes: int
    places: int
    entries_replaced: int  # authorities whose postal codes and places changed


def _authority_values(site: TransmittingSite) -> dict[str, str]:
    return {
        "name": site.name,
        "department": site.department,
        "street": site.street,
        "postal_code": site.postal_code,
        "place": site.place,
        "phone": site.phone,
        "fax": site.fax,
        "email": site.email,
    }


def _entries_of(site: TransmittingSite) -> set[tuple[str, str, str]]:
    entries = {(ResponsibilityEntry.Kind.POSTAL_CODE.value, code, code) for code in site.postal_codes}
    entries.update((ResponsibilityEntry.Kind.PLACE.value, place, fold_text(place)) for place in site.places)
    return entries


def _read_sites(path: str | Path) -> list[TransmittingSite]:
    try:
        sites = list(parse_transmitting_sites(Path(path)))
    except (RkiPlzFileInvalid, OSError) as exc:
        raise DirectoryFileInvalid(
            _("The file is not a readable RKI PLZ-Tool directory: %(reason)s") % {"reason": exc}
        ) from exc
    if not sites:
        raise DirectoryFileInvalid(_("The file lists no health offices."))
    codes = [site.code for site in sites]
    if len(set(codes)) != len(codes):
        raise DirectoryFileInvalid(_("The file lists a health office code twice."))
    return sites


def import_rki_plz(*, path: str | Path, actor: Any) -> RkiPlzImport:
    """Bring the directory in line with a PLZ-Tool file (idempotent).

    Authorities are matched by their RKI code and updated in place; each one's postal codes and
    places are replaced by those in the file. Authorities missing from the file are kept (cases
    and offices may point to them) but answer for nothing any more. One transaction, one audit event.
    """
    sites = _read_sites(path)
    with transaction.atomic():
        existing = {authority.code: authority for authority in HealthAuthority.objects.select_for_update()}
        to_create: list[HealthAuthority] = []
        to_update: list[HealthAuthority] = []
        for site in sites:
            values = _authority_values(site)
            authority = existing.get(site.code)
            if authority is None:
                to_create.append(HealthAuthority(code=site.code, **values))
            elif any(getattr(authority, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(authority, field, value)
                to_update.append(authority)
        HealthAuthority.objects.bulk_create(to_create, batch_size=_BATCH_SIZE)
        HealthAuthority.objects.bulk_update(to_update, _AUTHORITY_FIELDS, batch_size=_BATCH_SIZE)
        authority_ids = dict(HealthAuthority.objects.values_list("code", "id"))

        wanted = {authority_ids[site.code]: _entries_of(site) for site in sites}
        stored: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
        for authority_id, kind, value, normalized in ResponsibilityEntry.objects.values_list(
            "authority_id", "kind", "value", "normalized"
        ):
            stored[authority_id].add((kind, value, normalized))
        changed = {
            authority_id
            for authority_id in stored.keys() | wanted.keys()
            if stored.get(authority_id, set()) != wanted.get(authority_id, set())
        }
        ResponsibilityEntry.objects.filter(authority_id__in=changed).delete()
        ResponsibilityEntry.objects.bulk_create(
            (
                ResponsibilityEntry(authority_id=authority_id, kind=kind, value=value, normalized=normalized)
                for authority_id in changed
                for kind, value, normalized in wanted.get(authority_id, ())
            ),
            batch_size=_BATCH_SIZE,
        )
        audit.record(actor, "directory.import_rki_plz", None, purpose=f"{len(sites)} authorities")
    served_by = Counter(postal_code for site in sites for postal_code in site.postal_codes)
    return RkiPlzImport(
        authorities=len(sites),
        created=len(to_create),
        updated=len(to_update),
        postal_codes=len(served_by),
        shared_postal_codes=sum(1 for count in served_by.values() if count > 1),
        places=sum(len(site.places) for site in sites),
        entries_replaced=len(changed),
    )
