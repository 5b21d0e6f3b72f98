"""The DEMIS pull client against a fake FHIR storage (no network): paging, checkpoints, retries,
truncated pages and crashes, without losing or duplicating a notification."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.core.management import call_command

from oegd.infection.models import Notification, PullCheckpoint
from oegd.infection.pull import PullFailed, pull_notifications
from oegd.infection.synthetic import synthetic_bundles

pytestmark = pytest.mark.django_db

SOURCE = "https://demis.example/fhir"
BERLIN = ZoneInfo("Europe/Berlin")


def _bundles(count: int, seed: int = 1, start: datetime | None = None, same_time_every: int = 4) -> list[dict]:
    """Bundles with increasing lastUpdated; every ``same_time_every`` share one instant (ties)."""
    start = start or datetime(2026, 2, 1, 8, 0, tzinfo=BERLIN)
    bundles = []
    for number, raw in enumerate(synthetic_bundles(count, seed=seed, postal_codes=["12345"])):
        bundle = orjson.loads(raw)
        bundle["meta"]["lastUpdated"] = (start + timedelta(minutes=number // same_time_every)).isoformat()
        bundles.append(bundle)
    return bundles


class FakeStorage:
    """``GET /Bundle?_lastUpdated=ge..&_sort=_lastUpdated&_count=N&_offset=M`` over a list of bundles.
    ``faults`` maps a call number (1-based) to "truncated", "500", "timeout" or "no-entries"."""

    def __init__(self, bundles: list[dict], faults: dict[int, str] | None = None) -> None:
        self.bundles = bundles
        self.faults = dict(faults or {})
        self.calls = 0
        self.urls: list[str] = []

    def get(self, url: str, timeout: float | None = None):
        self.calls += 1
        self.urls.append(url)
        fault = self.faults.pop(self.calls, None)
        if fault == "timeout":
            raise TimeoutError("read timed out")
        if fault == "500":
            return SimpleNamespace(status_code=500, content=b"oops")
        query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        assert query["_sort"] == "_lastUpdated"
        count, offset = int(query["_count"]), int(query.get("_offset", 0))
        selected = sorted(self.bundles, key=lambda b: datetime.fromisoformat(b["meta"]["lastUpdated"]))
        if "_lastUpdated" in query:
            assert query["_lastUpdated"].startswith("ge")
            low = datetime.fromisoformat(query["_lastUpdated"][2:])
            selected = [b for b in selected if datetime.fromisoformat(b["meta"]["lastUpdated"]) >= low]
        page = selected[offset : offset + count]
        body: dict = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(selected),
            "entry": [{"fullUrl": f"{SOURCE}/Bundle/{b['identifier']['value']}", "resource": b} for b in page],
        }
        if offset + count < len(selected):
            body["link"] = [
                {"relation": "next", "url": f"{SOURCE}/Bundle?{urlencode({**query, '_offset': offset + count})}"}
            ]
        if fault == "no-entries":
            body.pop("entry")
        content = orjson.dumps(body)
        if fault == "truncated":
            content = content[: len(content) // 2]
        return SimpleNamespace(status_code=200, content=content)


def _identifiers() -> list[str]:
    return list(Notification.objects.values_list("bundle_identifier", flat=True))


def test_pull_pages_through_the_storage_and_resumes_at_the_checkpoint(cast):
    bundles = _bundles(45)
    storage = FakeStorage(bundles)
    report = pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=10)
    assert (report.pages, report.created, report.refused) == (5, 45, 0)
    assert sorted(_identifiers()) == sorted(b["identifier"]["value"] for b in bundles)
    assert set(Notification.objects.values_list("source", flat=True)) == {Notification.Source.PULL}
    checkpoint = PullCheckpoint.objects.get(source=SOURCE)
    assert checkpoint.last_updated == bundles[-1]["meta"]["lastUpdated"]
    assert len(checkpoint.last_identifiers) == 1  # 45th bundle alone at its instant

    again = pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=10)
    assert again.created == 0 and again.received == 0
    assert "_lastUpdated=ge" in storage.urls[-1]

    newer = _bundles(7, seed=2, start=datetime(2026, 2, 2, 8, 0, tzinfo=BERLIN))
    storage.bundles += newer
    third = pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=10)
    assert third.created == 7 and Notification.objects.count() == 52


def test_ties_at_a_page_boundary_are_neither_lost_nor_repeated(cast):
    bundles = _bundles(12, same_time_every=6)  # two instants with six bundles each
    storage = FakeStorage(bundles)
    first = pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=4, max_pages=1)
    assert first.created == 4
    assert len(PullCheckpoint.objects.get().last_identifiers) == 4
    rest = pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=4)
    assert rest.created == 8 and rest.existing == 0
    assert Notification.objects.count() == 12


def test_unusable_pages_are_retried_with_backoff(cast):
    bundles = _bundles(30)
    storage = FakeStorage(bundles, faults={2: "truncated", 3: "500", 4: "timeout", 5: "no-entries"})
    waits: list[float] = []
    report = pull_notifications(
        source_url=SOURCE, office=cast.office_a, session=storage, page_size=10, backoff=0.5, sleep=waits.append
    )
    assert report.retries == 4 and waits == [0.5, 1.0, 2.0, 4.0]
    assert report.created == 30 and Notification.objects.count() == 30


def test_exhausted_retries_keep_the_checkpoint_and_a_rerun_completes(cast):
    bundles = _bundles(30)
    storage = FakeStorage(bundles, faults={2: "truncated", 3: "truncated", 4: "truncated"})
    with pytest.raises(PullFailed):
        pull_notifications(
            source_url=SOURCE, office=cast.office_a, session=storage, page_size=10, max_retries=2, sleep=lambda s: None
        )
    assert Notification.objects.count() == 10  # the first page, stored
    checkpoint = PullCheckpoint.objects.get()
    assert checkpoint.last_updated == bundles[9]["meta"]["lastUpdated"]
    report = pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=10)
    assert Notification.objects.count() == 30 and report.created == 20
    assert len(set(_identifiers())) == 30


def test_a_crash_after_storing_before_the_checkpoint_moved_loses_and_duplicates_nothing(cast, monkeypatch):
    bundles = _bundles(25)
    storage = FakeStorage(bundles)
    original = PullCheckpoint.save
    crashes = iter([True])

    def crash_once(self, *args, **kwargs):
        if self.last_updated and next(crashes, False):
            raise RuntimeError("power cut")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PullCheckpoint, "save", crash_once)
    with pytest.raises(RuntimeError):
        pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=10)
    assert Notification.objects.count() == 10
    assert PullCheckpoint.objects.get().last_updated == ""
    report = pull_notifications(source_url=SOURCE, office=cast.office_a, session=storage, page_size=10)
    assert report.existing == 10 and report.created == 15
    assert Notification.objects.count() == 25 and len(set(_identifiers())) == 25


def test_refused_bundles_in_a_page_do_not_stop_the_pull(cast):
    bundles = _bundles(8)
    bundles[3]["type"] = "collection"
    report = pull_notifications(source_url=SOURCE, office=cast.office_a, session=FakeStorage(bundles), page_size=5)
    assert report.created == 7 and report.refused == 1
    # The checkpoint moved past it, so it is kept (encrypted) with the reason, once however often it is read.
    from oegd.infection.models import RefusedBundle

    refused = RefusedBundle.objects.get()
    assert refused.bundle_identifier == bundles[3]["identifier"]["value"] and "document" in refused.reason
    assert refused.office == cast.office_a and refused.source == SOURCE
    PullCheckpoint.objects.all().delete()  # read the storage from the start again
    pull_notifications(source_url=SOURCE, office=cast.office_a, session=FakeStorage(bundles), page_size=5)
    assert RefusedBundle.objects.count() == 1 and Notification.objects.count() == 7


def test_pull_demis_command(cast, monkeypatch):
    from oegd.infection import pull

    monkeypatch.setattr(pull, "_session", lambda: FakeStorage(_bundles(6)))
    out = StringIO()
    call_command("pull_demis", "--source", SOURCE, "--office", cast.office_a.slug, "--page-size", "4", stdout=out)
    assert "6 new" in out.getvalue() and Notification.objects.count() == 6


def test_periodic_pull_runs_only_when_configured(cast, settings, monkeypatch):
    from oegd.infection import pull

    settings.DEMIS_PULL_URL = ""
    assert pull.pull_configured_source() is None
    settings.DEMIS_PULL_URL, settings.DEMIS_PULL_OFFICE = SOURCE, cast.office_a.slug
    monkeypatch.setattr(pull, "_session", lambda: FakeStorage(_bundles(3)))
    assert pull.pull_configured_source().created == 3
