"""An office sees its own people and records only; other offices' objects answer 404."""

import pytest

from oegd.core.models import AuditEvent, Membership, Role
from oegd.core.tests.factories import login_staff, staff

pytestmark = pytest.mark.django_db


def test_office_admin_opens_colleague_but_not_other_office(client, cast):
    login_staff(client, cast.admin_a)
    assert client.get(f"/staff/people/{cast.clerk_a.pk}/").status_code == 200
    response = client.get(f"/staff/people/{cast.clerk_b.pk}/")
    assert response.status_code == 404
    assert cast.clerk_b.email not in response.content.decode()


def test_staff_list_shows_only_own_office(client, cast):
    login_staff(client, cast.admin_a)
    page = client.get("/staff/people/").content.decode()
    assert cast.clerk_a.email in page
    assert cast.clerk_b.email not in page


def test_role_without_permission_gets_404(client, cast):
    login_staff(client, cast.clerk_a)
    assert client.get("/staff/people/").status_code == 404
    assert client.get("/staff/audit/").status_code == 404
    assert client.get("/staff/").status_code == 200


def test_switching_to_a_foreign_office_is_refused(client, cast):
    login_staff(client, cast.admin_a)
    before = client.session.get("oegd_office")
    response = client.post("/staff/office/", {"office": cast.office_b.pk}, follow=True)
    assert "You do not work for this office." in response.content.decode() or "nicht" in response.content.decode()
    assert client.session.get("oegd_office") == before


def test_person_in_two_offices_switches_and_sees_the_other(client, cast):
    both = staff(cast.office_a, Role.OFFICE_ADMIN, email="twice@example.org")
    Membership.objects.create(user=both, office=cast.office_b, role=Role.OFFICE_ADMIN)
    login_staff(client, both, office=cast.office_a)
    assert client.get(f"/staff/people/{cast.clerk_b.pk}/").status_code == 404
    client.post("/staff/office/", {"office": cast.office_b.pk})
    assert client.get(f"/staff/people/{cast.clerk_b.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="staff.switch_office", office=cast.office_b).exists()


def test_dpo_sees_only_own_office_audit_events(client, cast):
    login_staff(client, cast.admin_b)
    client.get(f"/staff/people/{cast.clerk_b.pk}/")  # an event of office B
    login_staff(client, cast.admin_a)
    client.get(f"/staff/people/{cast.clerk_a.pk}/")  # an event of office A
    login_staff(client, cast.dpo_a)
    page = client.get("/staff/audit/").content.decode()
    assert cast.admin_a.email in page
    assert cast.admin_b.email not in page


def test_citizen_sees_who_accessed_their_data(client, cast):
    from oegd.core import audit

    audit.record(cast.physician_a, "citizen.read", cast.citizen, office=cast.office_a, subject=cast.citizen)
    client.force_login(cast.citizen)
    page = client.get("/my/").content.decode()
    assert cast.physician_a.email in page
    assert "citizen.read" in page


def test_institution_user_sees_their_institution(client, cast):
    from oegd.directory.models import Institution

    school = Institution.objects.create(
        office=cast.office_a, kind=Institution.Kind.SCHOOL, name="Grundschule am Park", postal_code="12341"
    )
    school.members.add(cast.institution_user)
    response = client.post(
        "/login/", {"email": cast.institution_user.email, "password": "correct horse battery staple"}
    )
    assert response["Location"] == "/my/"
    page = client.get("/my/").content.decode()
    assert "Grundschule am Park" in page and cast.office_a.name in page


def test_operators_admin_needs_the_second_factor(client, cast):
    from oegd.core.models import User

    User.objects.filter(pk=cast.admin_a.pk).update(is_staff=True, is_superuser=True)
    client.post("/login/", {"email": cast.admin_a.email, "password": "correct horse battery staple"})
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=/admin/")
    login_staff(client, cast.admin_a)
    assert client.get("/admin/").status_code == 200
    login_staff(client, cast.clerk_a)  # verified staff without operator rights
    assert client.get("/admin/").status_code == 302


def test_dpo_sees_staff_logins_of_own_office_in_utc(client, cast):
    from datetime import UTC, datetime

    import time_machine

    with time_machine.travel(datetime(2026, 7, 1, 10, 0, tzinfo=UTC), tick=False):
        client.post("/login/", {"email": cast.clerk_a.email, "password": "correct horse battery staple"})
        client.post("/login/", {"email": cast.clerk_b.email, "password": "correct horse battery staple"})
    login_staff(client, cast.dpo_a)
    page = client.get("/staff/audit/?action=auth.login").content.decode()
    assert cast.clerk_a.email in page and cast.clerk_b.email not in page
    assert "2026-07-01 10:00:00" in page  # UTC, not Berlin summer time (12:00)
