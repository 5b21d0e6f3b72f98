"""Transfer.transport_number (unique per office) and Transfer.record_guid (stable per case).

Existing transfers are numbered per office in the order they were sent; their record GUID is the
one their payloads carry, i.e. the former SECRET_KEY-keyed digest of the case reference, so later
versions of already transferred cases keep updating the same record at the receiver.
"""

import hashlib
import hmac
from itertools import count

from django.conf import settings
from django.db import migrations, models


def _old_record_guid(reference: str) -> str:
    h = hmac.new(settings.SECRET_KEY.encode(), f"survnet-record:{reference}".encode(), hashlib.sha256).hexdigest()
    h = h.upper()
    return f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}}}"


def backfill(apps, schema_editor):
    Transfer = apps.get_model("infection", "Transfer")
    numbers: dict[int, count] = {}
    rows = []
    for transfer in (
        Transfer.objects.select_related("infection_case")
        .only("pk", "office_id", "infection_case__reference")
        .order_by("office_id", "sent_at", "pk")
    ):
        transfer.transport_number = next(numbers.setdefault(transfer.office_id, count(1)))
        transfer.record_guid = _old_record_guid(transfer.infection_case.reference)
        rows.append(transfer)
    Transfer.objects.bulk_update(rows, ["transport_number", "record_guid"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_api_client_institution"),
        ("infection", "0003_inbox_responsibility_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="transfer",
            name="transport_number",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="transfer",
            name="record_guid",
            field=models.CharField(default="", max_length=38),
            preserve_default=False,
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="transfer",
            name="transport_number",
            field=models.PositiveIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="transfer",
            constraint=models.UniqueConstraint(
                fields=("office", "transport_number"), name="transfer_transport_number_once"
            ),
        ),
    ]
