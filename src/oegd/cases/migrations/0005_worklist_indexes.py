# Worklist and case search indexes, measured with benchmarks/run_cases_bench.py (1,000,000 cases,
# 5,000,000 tasks). The search indexes are PostgreSQL only (written by hand).

from django.db import migrations, models

# The case search (selectors.search_cases) matches UPPER(title) LIKE '%WORD%' (a trigram index)
# and UPPER(family_name) / UPPER(given_name) LIKE 'WORD%' (prefix: text_pattern_ops, so the index
# serves LIKE whatever the database collation). SQLite (the demo) scans; it has no such indexes.
SEARCH_INDEXES = {
    "case_title_trigram": "ON cases_case USING gin (UPPER(title) gin_trgm_ops)",
    "person_family_name_prefix": "ON cases_person (office_id, UPPER(family_name) text_pattern_ops)",
    "person_given_name_prefix": "ON cases_person (office_id, UPPER(given_name) text_pattern_ops)",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in SEARCH_INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_document_verification_code"),
    ]

    operations = [
        # "Sorted by priority" without sorting every open task of a big office.
        migrations.AddIndex(
            model_name="task",
            index=models.Index(fields=["office", "status", "-priority", "due_at"], name="task_worklist_priority"),
        ),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
