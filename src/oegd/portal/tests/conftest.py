"""Portal test set-up: English texts, private files in a temporary folder, a parent with children
of 10, 13 (own account) and 16 (own account), and a topic to write about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from oegd.core.models import User
from oegd.core.tests.factories import UserFactory
from oegd.messaging.models import Topic
from oegd.portal.models import Dependant


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://portal.example"
    settings.CLAMD_ADDRESS = ""


def born_years_ago(years: int) -> date:
    """A birthday some weeks past: the person is exactly ``years`` old today."""
    return timezone.localdate() - timedelta(days=int(365.25 * years) + 40)


@dataclass
class Family:
    cast: object
    parent: User
    lena: Dependant  # 10, no account
    mia: Dependant  # 13, own account
    ole: Dependant  # 16, own account
    topic: Topic


@pytest.fixture
def family(cast) -> Family:
    parent = cast.citizen
    mia_account = UserFactory(email="mia@example.org", full_name="Mia Citizen")
    ole_account = UserFactory(email="ole@example.org", full_name="Ole Citizen")
    lena = Dependant.objects.create(
        guardian=parent, given_name="Lena", family_name="Citizen", birth_date=born_years_ago(10)
    )
    mia = Dependant.objects.create(
        guardian=parent, given_name="Mia", family_name="Citizen", birth_date=born_years_ago(13), account=mia_account
    )
    ole = Dependant.objects.create(
        guardian=parent, given_name="Ole", family_name="Citizen", birth_date=born_years_ago(16), account=ole_account
    )
    topic = Topic.objects.create(
        office=cast.office_a, slug="schule", texts={"de": {"name": "Schulgesundheit"}, "en": {"name": "School health"}}
    )
    return Family(cast, parent, lena, mia, ole, topic)


def youth_thread(family: Family, account: User, *, confidential: bool = False, subject: str = "Frage"):
    from oegd.messaging import services

    return services.start_thread(
        actor=account,
        office=family.cast.office_a,
        topic=family.topic,
        subject=subject,
        body="Eine Frage von mir.",
        citizen=account,
        confidential=confidential,
        language="en",
    )
