"""The audit log is hash-chained and, on PostgreSQL, append-only in the database itself."""

import pytest
from django.db import DatabaseError, connection, transaction

from oegd.core import audit
from oegd.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_events_form_an_intact_chain(cast):
    first = audit.record(cast.admin_a, "staff.read", cast.clerk_a, office=cast.office_a, subject=cast.clerk_a)
    second = audit.record(cast.admin_a, "staff.read", cast.clerk_a, office=cast.office_a, purpose="check")
    assert second.prev_hash == first.hash
    assert first.actor_label == cast.admin_a.email
    assert (first.object_type, first.object_id) == ("core.user", str(cast.clerk_a.pk))
    assert first.at.utcoffset().total_seconds() == 0
    assert audit.verify_chain() is None


def test_database_refuses_update_and_delete_of_audit_rows(cast):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL")
    event = audit.record(cast.admin_a, "staff.read", cast.clerk_a, office=cast.office_a)
    for statement in (
        "UPDATE core_auditevent SET action = 'forged' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.action == "staff.read"


def test_a_changed_row_breaks_the_chain(cast):
    audit.record(cast.admin_a, "staff.read", cast.clerk_a, office=cast.office_a)
    second = audit.record(cast.admin_a, "staff.read", cast.clerk_b, office=cast.office_a)
    audit.record(cast.admin_a, "staff.read", cast.clerk_a, office=cast.office_a)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # only a database owner can do this, and it shows
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only")
        cursor.execute("UPDATE core_auditevent SET purpose = 'forged' WHERE id = %s", [second.pk])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only")
    assert audit.verify_chain() == second.pk


def test_login_and_profile_change_are_audited(client, cast):
    client.post("/login/", {"email": cast.citizen.email, "password": "correct horse battery staple"})
    client.post("/my/", {"postal_code": "12345", "place": "Musterstadt", "accessibility_needs": "Rollstuhl"})
    actions = list(AuditEvent.objects.filter(subject=cast.citizen).values_list("action", flat=True))
    assert actions == ["auth.login", "citizen.update_profile"]
