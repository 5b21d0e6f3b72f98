"""The real RKI PLZ-Tool file (release 2.8.0, the last with postal codes): import and route all of it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings

from oegd.core.audit import SystemActor
from oegd.core.names import fold_text
from oegd.directory.models import HealthAuthority, ResponsibilityEntry
from oegd.directory.selectors import route_by_postal_code
from oegd.directory.services import import_rki_plz

REAL_FILE = (
    Path(settings.BASE_DIR).parent / "shared/data/rki-plz/TransmittingSiteSearchText_release-2.8.0_with-SearchText.xml"
)

# What the release-2.8.0 file holds (counted once, asserted so a changed file is noticed).
AUTHORITIES = 381
POSTAL_CODES = 9_802
SHARED_POSTAL_CODES = 156
SHARED_DECIDABLE_BY_PLACE = 156  # shared codes where every candidate has a place of its own

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REAL_FILE.exists(), reason=f"the real RKI PLZ-Tool file is absent: {REAL_FILE}"),
]


def _index() -> tuple[dict[str, set[int]], dict[int, set[str]]]:
    """postal code → authority ids, authority id → normalised places (entries and own seat)."""
    served_by: dict[str, set[int]] = defaultdict(set)
    places: dict[int, set[str]] = defaultdict(set)
    for authority_id, kind, normalized in ResponsibilityEntry.objects.values_list("authority_id", "kind", "normalized"):
        if kind == ResponsibilityEntry.Kind.POSTAL_CODE:
            served_by[normalized].add(authority_id)
        else:
            places[authority_id].add(normalized)
    for authority_id, place in HealthAuthority.objects.values_list("id", "place"):
        places[authority_id].add(fold_text(place))
    return served_by, places


def test_import_and_route_every_postal_code_of_the_real_file():
    result = import_rki_plz(path=REAL_FILE, actor=SystemActor("test"))

    assert (result.authorities, result.postal_codes, result.shared_postal_codes) == (
        AUTHORITIES,
        POSTAL_CODES,
        SHARED_POSTAL_CODES,
    )
    assert HealthAuthority.objects.count() == AUTHORITIES

    served_by, places = _index()
    assert len(served_by) == POSTAL_CODES
    unique = sorted(code for code, ids in served_by.items() if len(ids) == 1)
    shared = sorted(code for code, ids in served_by.items() if len(ids) > 1)
    assert len(shared) == SHARED_POSTAL_CODES
    assert len(unique) == POSTAL_CODES - SHARED_POSTAL_CODES

    # Every unique code through the production selector (about 20 s for 9,646 codes).
    for postal_code in unique:
        routed = route_by_postal_code(postal_code=postal_code)
        assert routed.authority is not None
        assert routed.authority.pk == next(iter(served_by[postal_code])), postal_code
        assert routed.needs_place is False

    # Shared codes: without a place the selector asks; a place of one candidate only decides.
    names = dict(ResponsibilityEntry.objects.filter(kind="place").values_list("normalized", "value"))
    decidable = 0
    undecided: list[str] = []
    for postal_code in shared:
        candidates = served_by[postal_code]
        asked = route_by_postal_code(postal_code=postal_code)
        assert asked.needs_place is True
        assert {a.pk for a in asked.authorities} == candidates
        all_decided = True
        for candidate in sorted(candidates):
            others = set().union(*(places[other] for other in candidates - {candidate}))
            own = sorted(place for place in places[candidate] - others if place in names)
            if not own:
                all_decided = False
                continue
            routed = route_by_postal_code(postal_code=postal_code, place=names[own[0]])
            assert routed.authority is not None, (postal_code, names[own[0]])
            assert routed.authority.pk == candidate, (postal_code, names[own[0]])
            assert routed.needs_place is False
        if all_decided:
            decidable += 1
        else:
            undecided.append(postal_code)
    assert decidable == SHARED_DECIDABLE_BY_PLACE, undecided
