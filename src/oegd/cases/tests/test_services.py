import pytest

from oegd.cases.models import Case, Milestone
from oegd.cases.selectors import cases_of_office, citizen_timeline, get_case_for_user
from oegd.cases.services import CaseClosed, open_case, record_milestone
from oegd.core.models import AuditEvent
from oegd.core.services import DomainError

pytestmark = pytest.mark.django_db


def test_a_case_runs_from_receipt_to_closure(cast):
    case = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="t", title="T", reference="AAAA-BBBB-C")
    record_milestone(actor=cast.clerk_a, case=case, code=Milestone.Code.INFORMATION_REQUESTED)
    record_milestone(actor=cast.clerk_a, case=case, code=Milestone.Code.IN_REVIEW, citizen_visible=False)
    record_milestone(actor=cast.clerk_a, case=case, code=Milestone.Code.CLOSED)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED and case.closed_at is not None
    assert [m.code for m in citizen_timeline(case)] == ["received", "information_requested", "closed"]
    actions = list(AuditEvent.objects.filter(object_id=str(case.pk)).values_list("action", flat=True))
    assert actions == [
        "case.open",
        "case.milestone.information_requested",
        "case.milestone.in_review",
        "case.milestone.closed",
    ]


def test_closed_cases_and_unknown_milestones_are_refused(cast):
    case = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="t", title="T", reference="AAAA-BBBB-D")
    with pytest.raises(DomainError):
        record_milestone(actor=cast.clerk_a, case=case, code="teleported")
    record_milestone(actor=cast.clerk_a, case=case, code=Milestone.Code.CLOSED)
    with pytest.raises(CaseClosed):
        record_milestone(actor=cast.clerk_a, case=case, code=Milestone.Code.IN_REVIEW)
    assert case.milestones.count() == 2


def test_cases_are_read_only_in_their_office(cast):
    from django.http import Http404

    case = open_case(actor=cast.clerk_a, office=cast.office_a, case_type="t", title="T", reference="AAAA-BBBB-E")
    assert list(cases_of_office(office=cast.office_b)) == []
    with pytest.raises(Http404):
        get_case_for_user(user=cast.clerk_b, office=cast.office_b, reference=case.reference)
    assert get_case_for_user(user=cast.clerk_a, office=cast.office_a, reference=case.reference) == case
    assert AuditEvent.objects.filter(action="case.read", actor=cast.clerk_a).count() == 1
