"""Messaging test set-up: private files in a temporary folder, English texts, a fresh cache, and an
office with two teams and topics (one of them open to young people without an account)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from oegd.core.models import Department
from oegd.messaging.models import TextBlock, Topic


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://portal.example"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@dataclass
class Site:
    cast: object
    school_health: Department
    infection: Department
    counselling: Topic
    vaccination: Topic
    other_office_topic: Topic
    block: TextBlock


@pytest.fixture
def site(cast) -> Site:
    school_health = Department.objects.create(office=cast.office_a, name="Kinder- und Jugendgesundheit")
    infection = Department.objects.create(office=cast.office_a, name="Infektionsschutz")
    counselling = Topic.objects.create(
        office=cast.office_a,
        team=school_health,
        slug="beratung",
        texts={"de": {"name": "Beratung für junge Menschen"}, "en": {"name": "Counselling for young people"}},
        open_to_anonymous=True,
        notify_email="team-jugend@musterstadt.example",
    )
    vaccination = Topic.objects.create(
        office=cast.office_a,
        team=infection,
        slug="impfen",
        texts={"de": {"name": "Impfungen"}, "en": {"name": "Vaccinations"}},
    )
    other = Topic.objects.create(
        office=cast.office_b, slug="beratung", texts={"en": {"name": "Counselling"}}, open_to_anonymous=True
    )
    block = TextBlock.objects.create(
        office=cast.office_a, title="Thanks", body="Thank you for your message. We will get back to you soon."
    )
    return Site(cast, school_health, infection, counselling, vaccination, other, block)
