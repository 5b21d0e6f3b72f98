"""A notification whose person goes to the duplicate review waits without a case; the decision puts
it on a case (the kept person's open case after a merge, a new one for a different person), and an
undone merge takes it off the other person's case again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from oegd.core.models import AuditEvent
from oegd.infection import persons
from oegd.infection.models import InfectionCase, LabResult, Notification, PersonMatch
from oegd.infection.tests.tracing_factories import ANNA, review_variant
from oegd.infection.tests.tracing_factories import ingest_lab as ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(cast):
    now = timezone.now()
    first = ingest(cast.office_a, ANNA, 1, now - timedelta(days=1))
    second = ingest(cast.office_a, review_variant(), 2, now)
    return first, second


def test_a_notification_in_review_waits_without_a_case(pair):
    first, second = pair
    assert first.infection_case is not None
    assert second.state == Notification.State.REVIEW
    assert second.infection_case is None
    assert InfectionCase.objects.count() == 1
    assert not LabResult.objects.filter(notification=second).exists()


def test_merge_puts_the_waiting_notification_on_the_kept_persons_case(cast, pair):
    first, second = pair
    match = PersonMatch.objects.get(status=PersonMatch.Status.PENDING)
    persons.merge_match(actor=cast.clerk_a, match=match, keep=first.person)
    second.refresh_from_db()
    assert second.person_id == first.person_id
    assert second.infection_case_id == first.infection_case_id
    assert second.state == Notification.State.ASSIGNED
    assert InfectionCase.objects.count() == 1
    assert LabResult.objects.filter(infection_case=first.infection_case).count() == 2
    assert first.infection_case.events.filter(code="notification.received", data__notification=second.pk).exists()
    assert AuditEvent.objects.filter(action="infection.notification.settle", object_id=str(second.pk)).exists()


def test_different_persons_get_a_case_of_their_own(cast, pair):
    first, second = pair
    match = PersonMatch.objects.get(status=PersonMatch.Status.PENDING)
    persons.mark_distinct(actor=cast.clerk_a, match=match)
    second.refresh_from_db()
    assert second.state == Notification.State.NEW
    assert second.infection_case is not None and second.infection_case_id != first.infection_case_id
    assert second.infection_case.person_id == second.person_id
    assert LabResult.objects.filter(infection_case=second.infection_case).count() == 1


def test_undoing_the_merge_takes_the_notification_off_the_other_persons_case(cast, pair):
    first, second = pair
    match = PersonMatch.objects.get(status=PersonMatch.Status.PENDING)
    merge = persons.merge_match(actor=cast.clerk_a, match=match, keep=first.person)
    persons.undo_merge(actor=cast.clerk_a, merge=merge)
    second.refresh_from_db()
    assert second.person_id != first.person_id
    assert second.infection_case is None and second.state == Notification.State.REVIEW
    assert LabResult.objects.filter(notification=second, infection_case__isnull=True).count() == 1
    assert first.infection_case.events.filter(code="notification.unlinked").exists()
    match.refresh_from_db()
    assert match.status == PersonMatch.Status.PENDING
    # Deciding again settles it once more, reusing the lab result kept with the notification.
    persons.mark_distinct(actor=cast.clerk_a, match=match)
    second.refresh_from_db()
    assert second.infection_case is not None
    assert LabResult.objects.filter(notification=second).count() == 1
