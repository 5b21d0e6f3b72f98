"""Pulling notifications from a DEMIS FHIR storage (Abruf), checkpointed and resumable.

``pull_notifications`` pages through ``{source}/Bundle?_lastUpdated=ge<checkpoint>&_sort=_lastUpdated``
(following ``link[relation=next]``), stores each page with one ``ingest_demis_bundles`` call, and
only then advances the ``PullCheckpoint``: the last ``meta.lastUpdated`` of the page plus the
identifiers read at exactly that instant (``ge`` rather than ``gt`` so that bundles sharing the
checkpoint's timestamp across a page boundary are not lost; those already read are skipped).

A page that cannot be used (HTTP 5xx or 429, a timeout, JSON cut off, a searchset without its
entries) is fetched again with exponential backoff, a bounded number of times; the checkpoint
never moves past what is stored. A crash between storing and advancing repeats the page on the
next run, which the bundle identifiers make harmless: nothing is lost, nothing duplicated.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from django.db import transaction
from django.utils import timezone

from oegd.core.audit import SystemActor
from oegd.core.models import Office
from oegd.infection.demis import NotificationRefused
from oegd.infection.ingestion import ingest_demis_bundles
from oegd.infection.models import Notification, PullCheckpoint, RefusedBundle

logger = logging.getLogger(__name__)
ACTOR = SystemActor("demis-pull")


class PullFailed(Exception):
    """The storage did not deliver a usable page after all retries (the checkpoint did not move)."""


class PageUnusable(Exception):
    pass


@dataclass
class PullReport:
    pages: int = 0
    received: int = 0
    created: int = 0
    existing: int = 0
    refused: int = 0
    retries: int = 0
    checkpoint: str = ""


def _session() -> Any:
    import requests

    session = requests.Session()
    session.headers.update({"Accept": "application/fhir+json"})
    return session


def _instant(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def _fetch_page(session: Any, url: str, *, timeout: float) -> dict[str, Any]:
    """One searchset page, or PageUnusable (retried by the caller)."""
    try:
        response = session.get(url, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - timeouts and connection errors of any transport
        raise PageUnusable(f"transport: {type(exc).__name__}") from exc
    status = getattr(response, "status_code", 0)
    if status == 429 or status >= 500:
        raise PageUnusable(f"HTTP {status}")
    if status != 200:
        raise PullFailed(f"HTTP {status} from the storage")  # 4xx: retrying will not help
    try:
        page = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise PageUnusable("truncated or invalid JSON") from exc
    if not isinstance(page, dict) or page.get("resourceType") != "Bundle" or page.get("type") != "searchset":
        raise PageUnusable("not a searchset Bundle")
    entries = page.get("entry", [])
    has_next = any(link.get("relation") == "next" for link in page.get("link") or [] if isinstance(link, dict))
    if not isinstance(entries, list) or (has_next and not entries):
        raise PageUnusable("entries missing")
    if not all(isinstance(e, dict) and isinstance(e.get("resource"), dict) for e in entries):
        raise PageUnusable("entry without resource")
    return page


def pull_notifications(
    *,
    source_url: str,
    office: Office,
    session: Any = None,
    page_size: int = 200,
    max_retries: int = 5,
    backoff: float = 0.5,
    timeout: float = 30.0,
    max_pages: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> PullReport:
    """Fetch what is new in the storage since the checkpoint and ingest it for ``office``."""
    source_url = source_url.rstrip("/")
    session = session or _session()
    checkpoint, _ = PullCheckpoint.objects.get_or_create(source=source_url, defaults={"office": office})
    query = {"_sort": "_lastUpdated", "_count": str(page_size)}
    if checkpoint.last_updated:
        query["_lastUpdated"] = f"ge{checkpoint.last_updated}"
    url: str | None = f"{source_url}/Bundle?{urlencode(query)}"
    report = PullReport(checkpoint=checkpoint.last_updated)
    while url and (max_pages is None or report.pages < max_pages):
        page = None
        for attempt in range(max_retries + 1):
            try:
                page = _fetch_page(session, url, timeout=timeout)
                break
            except PageUnusable as problem:
                if attempt == max_retries:
                    raise PullFailed(f"{url}: {problem}") from problem
                report.retries += 1
                logger.warning("DEMIS pull: page unusable (%s), retry %d", problem, attempt + 1)
                sleep(backoff * 2**attempt)
        assert page is not None
        report.pages += 1
        _store_page(page, checkpoint=checkpoint, office=office, report=report)
        url = next(
            (link.get("url") for link in page.get("link") or [] if link.get("relation") == "next"),
            None,
        )
    report.checkpoint = checkpoint.last_updated
    return report


def _store_page(page: dict[str, Any], *, checkpoint: PullCheckpoint, office: Office, report: PullReport) -> None:
    already = set(checkpoint.last_identifiers) if checkpoint.last_updated else set()
    at_checkpoint = _instant(checkpoint.last_updated) if checkpoint.last_updated else None
    raws: list[bytes] = []
    latest, latest_text = at_checkpoint, checkpoint.last_updated
    stamps: list[tuple[datetime | None, str]] = []
    for entry in page.get("entry") or []:
        resource = entry["resource"]
        meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
        stamp_text = str(meta.get("lastUpdated") or resource.get("timestamp") or "")
        stamp = _instant(stamp_text)
        identifier = (
            str((resource.get("identifier") or {}).get("value", ""))
            if isinstance(resource.get("identifier"), dict)
            else ""
        )
        stamps.append((stamp, identifier))
        if stamp is not None and at_checkpoint is not None and stamp == at_checkpoint and identifier in already:
            continue  # read in the run before
        report.received += 1
        raws.append(orjson.dumps(resource))
        if stamp is not None and (latest is None or stamp > latest):
            latest, latest_text = stamp, stamp_text
    if raws:
        result = ingest_demis_bundles(receiving_office=office, raws=raws, source=Notification.Source.PULL, actor=ACTOR)
        report.created += len(result.created)
        report.existing += len(result.existing)
        report.refused += len(result.refused)
        for index, refusal in result.refused:
            logger.warning("DEMIS pull: bundle %d of a page refused: %s", index, refusal.code)
            keep_refused(office=office, source=checkpoint.source, raw=raws[index], refusal=refusal)
    # Only now, with the page stored, does the checkpoint move.
    if latest is not None and latest_text != checkpoint.last_updated:
        identifiers = [identifier for stamp, identifier in stamps if stamp == latest]
    elif latest is not None:
        identifiers = sorted(already | {identifier for stamp, identifier in stamps if stamp == latest})
    else:
        return
    with transaction.atomic():
        checkpoint.last_updated = latest_text
        checkpoint.last_identifiers = sorted(set(identifiers))
        checkpoint.save(update_fields=["last_updated", "last_identifiers", "updated_at"])


def keep_refused(*, office: Office, source: str, raw: bytes, refusal: NotificationRefused) -> RefusedBundle:
    """Keep a fetched bundle that was refused (the checkpoint moves past it), once per content."""
    resource = orjson.loads(raw)
    identifier = resource.get("identifier") if isinstance(resource, dict) else None
    refused, created = RefusedBundle.objects.get_or_create(
        office=office,
        bundle_sha256=hashlib.sha256(raw).hexdigest(),
        defaults={
            "source": source[:200],
            "bundle_identifier": str(identifier.get("value", ""))[:200] if isinstance(identifier, dict) else "",
            "bundle": raw.decode(),
            "reason_code": refusal.code[:50],
            "reason": refusal.message,
        },
    )
    if not created:
        refused.last_seen_at = timezone.now()
        refused.save(update_fields=["last_seen_at"])
    return refused


def pull_configured_source() -> PullReport | None:
    """The periodic job: pull from ``settings.DEMIS_PULL_URL`` for the office ``DEMIS_PULL_OFFICE``
    (a slug); nothing when no source is configured."""
    from django.conf import settings

    source = getattr(settings, "DEMIS_PULL_URL", "")
    slug = getattr(settings, "DEMIS_PULL_OFFICE", "")
    if not source or not slug:
        return None
    office = Office.objects.filter(slug=slug, is_active=True).first()
    if office is None:
        logger.error("DEMIS pull: no active office %r", slug)
        return None
    return pull_notifications(source_url=source, office=office)
