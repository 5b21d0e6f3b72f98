from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from oegd.core.crypto import EncryptedTextField, needs_rotation


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the current (first) data key."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, EncryptedTextField):
                    continue
                table, pk, column = (
                    connection.ops.quote_name(n) for n in (model._meta.db_table, model._meta.pk.column, field.column)
                )
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
                    stale = [key for key, value in cursor.fetchall() if needs_rotation(value)]
                for key in stale:
                    with transaction.atomic():
                        obj = model.objects.select_for_update().get(pk=key)
                        obj.save(update_fields=[field.name])  # read decrypts, save seals with the new key
                total += len(stale)
        self.stdout.write(f"re-encrypted {total} values")
