"""No double booking, enforced by PostgreSQL: two active claims of one resource never overlap.

``[)`` ranges, so one appointment may end exactly when the next begins. SQLite (the one-process
demo) has no exclusion constraints; there the booking service's check inside its transaction
holds, because SQLite runs one write transaction at a time.
"""

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments_resourceclaim
    ADD CONSTRAINT resource_claim_no_overlap
    EXCLUDE USING gist (resource_id WITH =, tstzrange(start, "end", '[)') WITH &&) WHERE (active);
"""

BACKWARD = "ALTER TABLE appointments_resourceclaim DROP CONSTRAINT IF EXISTS resource_claim_no_overlap;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
