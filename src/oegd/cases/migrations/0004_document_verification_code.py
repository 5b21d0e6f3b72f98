# Adds a unique verification code to documents: added empty, filled per row, then made unique.

from django.db import migrations, models

import oegd.cases.models


def fill_codes(apps, schema_editor):
    Document = apps.get_model("cases", "Document")
    for document in Document.objects.filter(verification_code__isnull=True).only("pk"):
        document.verification_code = oegd.cases.models.new_verification_code()
        document.save(update_fields=["verification_code"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_case_identifier_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="verification_code",
            field=models.CharField(editable=False, max_length=20, null=True),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="document",
            name="verification_code",
            field=models.CharField(
                default=oegd.cases.models.new_verification_code, editable=False, max_length=20, unique=True
            ),
        ),
    ]
