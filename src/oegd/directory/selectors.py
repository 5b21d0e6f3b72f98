"""Reads of the directory: which health office is responsible for a postal code and place.

The directory is public information (no personal data), so these reads are not audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from oegd.core.models import Office
from oegd.core.names import fold_text
from oegd.core.services import DomainError
from oegd.directory.models import HealthAuthority, ResponsibilityEntry
from oegd.directory.rki_plz import is_postal_code


class PostalCodeInvalid(DomainError):
    """Not five digits."""


class PostalCodeUnknown(DomainError):
    """Five digits, but no health office answers for them."""


@dataclass(frozen=True)
class Candidate:
    """A health office that serves the postal code, and its office on this platform if any."""

    authority: HealthAuthority
    office: Office | None


@dataclass(frozen=True)
class Responsibility:
    """The answer to "who is responsible for this postal code (and place)?"."""

    postal_code: str
    place: str
    candidates: tuple[Candidate, ...]
    authority: HealthAuthority | None
    needs_place: bool

    @property
    def authorities(self) -> list[HealthAuthority]:
        return [candidate.authority for candidate in self.candidates]

    @property
    def responsible(self) -> Candidate | None:
        """The candidate of the responsible authority (with its platform office), if decided."""
        return next((c for c in self.candidates if c.authority == self.authority), None)


def clean_postal_code(value: str) -> str:
    """The postal code without surrounding blanks; PostalCodeInvalid unless five digits."""
    postal_code = "".join(value.split())
    if not is_postal_code(postal_code):
        raise PostalCodeInvalid(_("A German postal code has five digits, for example 10117."))
    return postal_code


def platform_offices_by_code(codes: list[str]) -> dict[str, Office]:
    """The active offices on this platform among the given RKI codes."""
    return {office.rki_code: office for office in Office.objects.filter(rki_code__in=codes, is_active=True)}


def route_by_postal_code(*, postal_code: str, place: str = "") -> Responsibility:
    """Find the health office responsible for a postal code.

    One authority serves the code: that one. Several share it: the place decides when it is one
    of the places or districts listed for exactly one of them (or that one's seat). Otherwise
    ``needs_place`` is set and the candidates are returned for the person to choose.
    """
    answer = route_by_postal_codes([(postal_code, place)])[(postal_code, place)]
    if isinstance(answer, DomainError):
        raise answer
    return answer


def route_by_postal_codes(
    requests: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], Responsibility | PostalCodeInvalid | PostalCodeUnknown]:
    """``route_by_postal_code`` for many (postal code, place) pairs at once, in three queries (DEMIS
    batches): per pair the answer, or the refusal it would raise."""
    answers: dict[tuple[str, str], Responsibility | PostalCodeInvalid | PostalCodeUnknown] = {}
    cleaned: dict[tuple[str, str], str] = {}
    for postal_code, place in dict.fromkeys(requests):
        try:
            cleaned[(postal_code, place)] = clean_postal_code(postal_code)
        except PostalCodeInvalid as refusal:
            answers[(postal_code, place)] = refusal
    by_code: dict[str, list[HealthAuthority]] = {}
    codes = set(cleaned.values())
    entries = (
        ResponsibilityEntry.objects.filter(kind=ResponsibilityEntry.Kind.POSTAL_CODE, normalized__in=codes)
        .select_related("authority")
        .order_by("authority__name", "authority__code")
    )
    for entry in entries if cleaned else []:
        by_code.setdefault(entry.normalized, []).append(entry.authority)
    offices = platform_offices_by_code(sorted({a.code for authorities in by_code.values() for a in authorities}))
    # Shared postal codes: which of their authorities list the place asked for.
    shared = {a.pk for authorities in by_code.values() if len(authorities) > 1 for a in authorities}
    wanted_places = {fold_text(place) for (_code, place) in cleaned} - {""}
    listed: dict[str, set[int]] = {}
    if shared and wanted_places:
        for authority_id, normalized in ResponsibilityEntry.objects.filter(
            authority_id__in=shared, kind=ResponsibilityEntry.Kind.PLACE, normalized__in=wanted_places
        ).values_list("authority_id", "normalized"):
            listed.setdefault(normalized, set()).add(authority_id)
    for (raw_code, raw_place), postal_code in cleaned.items():
        authorities = by_code.get(postal_code, [])
        if not authorities:
            answers[(raw_code, raw_place)] = PostalCodeUnknown(
                _("We do not know the postal code %(postal_code)s.") % {"postal_code": postal_code}
            )
            continue
        candidates = tuple(Candidate(authority, offices.get(authority.code)) for authority in authorities)
        place = " ".join(raw_place.split())
        chosen: HealthAuthority | None = authorities[0] if len(authorities) == 1 else None
        if chosen is None and (wanted := fold_text(place)):
            ids = {authority.pk for authority in authorities}
            matching = (listed.get(wanted, set()) & ids) | {a.pk for a in authorities if fold_text(a.place) == wanted}
            if len(matching) == 1:
                chosen = next(authority for authority in authorities if authority.pk in matching)
        answers[(raw_code, raw_place)] = Responsibility(
            postal_code, place, candidates, chosen, needs_place=chosen is None
        )
    return answers


def search_authorities(query: str, *, limit: int = 50) -> QuerySet[HealthAuthority]:
    """Health offices by name, department, seat, RKI code, a place they serve or a postal code."""
    query = " ".join(query.split())
    authorities = HealthAuthority.objects.order_by("name", "code")
    if not query:
        return authorities[:limit]
    if is_postal_code(query):
        condition = Q(
            pk__in=ResponsibilityEntry.objects.filter(
                kind=ResponsibilityEntry.Kind.POSTAL_CODE, normalized=query
            ).values("authority_id")
        )
    else:
        condition = (
            Q(name__icontains=query)
            | Q(department__icontains=query)
            | Q(place__icontains=query)
            | Q(code__startswith=query)
        )
        normalized = fold_text(query)
        if normalized:
            condition |= Q(
                pk__in=ResponsibilityEntry.objects.filter(
                    kind=ResponsibilityEntry.Kind.PLACE, normalized=normalized
                ).values("authority_id")
            )
    return authorities.filter(condition)[:limit]
