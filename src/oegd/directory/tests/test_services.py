import pytest

from oegd.core.audit import SystemActor
from oegd.core.models import AuditEvent
from oegd.directory.models import HealthAuthority, ResponsibilityEntry
from oegd.directory.services import DirectoryFileInvalid, import_rki_plz
from oegd.directory.tests.factories import SMALL_XML, write_small_file

ACTOR = SystemActor("test")


def _snapshot():
    return (
        list(HealthAuthority.objects.order_by("code").values_list("id", "code", "name", "email")),
        sorted(ResponsibilityEntry.objects.values_list("authority__code", "kind", "value", "normalized")),
    )


@pytest.mark.django_db
def test_import_creates_authorities_and_entries(tmp_path):
    result = import_rki_plz(path=write_small_file(tmp_path), actor=ACTOR)

    assert (result.authorities, result.created, result.updated) == (3, 3, 0)
    assert (result.postal_codes, result.shared_postal_codes, result.places) == (5, 1, 7)
    assert HealthAuthority.objects.count() == 3
    assert ResponsibilityEntry.objects.filter(kind="postal_code").count() == 6
    entry = ResponsibilityEntry.objects.get(value="Görlitzer Straße")
    assert (entry.kind, entry.normalized, entry.authority.code) == ("place", "goerlitzer strasse", "1.11.0.02.")
    event = AuditEvent.objects.get(action="directory.import_rki_plz")
    assert (event.actor_label, event.purpose) == ("system:test", "3 authorities")


@pytest.mark.django_db
def test_import_twice_changes_nothing(tmp_path):
    path = write_small_file(tmp_path)
    import_rki_plz(path=path, actor=ACTOR)
    before = _snapshot()

    again = import_rki_plz(path=path, actor=ACTOR)

    assert _snapshot() == before
    assert (again.authorities, again.created, again.updated, again.entries_replaced) == (3, 0, 0, 0)
    assert (again.postal_codes, again.shared_postal_codes) == (5, 1)
    assert AuditEvent.objects.filter(action="directory.import_rki_plz").count() == 2


@pytest.mark.django_db
def test_reimport_replaces_entries_and_keeps_vanished_authorities_without_entries(tmp_path):
    import_rki_plz(path=write_small_file(tmp_path), actor=ACTOR)
    flensburg_id = HealthAuthority.objects.get(code="1.01.0.01.").pk
    start = SMALL_XML.index('  <TransmittingSite Name="Bezirksamt Friedrichshain')
    end = SMALL_XML.index("</TransmittingSites>")
    changed = (SMALL_XML[:start] + SMALL_XML[end:]).replace('Value="Sandberg"', 'Value="Mürwik"')
    changed = changed.replace('Phone="0461 85-2113"', 'Phone="0461 85-0"')

    result = import_rki_plz(path=write_small_file(tmp_path, changed), actor=ACTOR)

    assert (result.authorities, result.created, result.updated) == (2, 0, 1)
    flensburg = HealthAuthority.objects.get(code="1.01.0.01.")
    assert (flensburg.pk, flensburg.phone) == (flensburg_id, "0461 85-0")
    assert set(flensburg.entries.filter(kind="place").values_list("value", flat=True)) == {"Mürwik", "Flensburg"}
    gone = HealthAuthority.objects.get(code="1.11.0.02.")
    assert not gone.entries.exists()
    assert list(ResponsibilityEntry.objects.filter(value="10117").values_list("authority__code", flat=True)) == [
        "1.11.0.01."
    ]


@pytest.mark.django_db
def test_a_broken_file_changes_nothing(tmp_path):
    import_rki_plz(path=write_small_file(tmp_path), actor=ACTOR)
    before = _snapshot()
    broken = tmp_path / "broken.xml"
    broken.write_text(SMALL_XML[:500])

    with pytest.raises(DirectoryFileInvalid):
        import_rki_plz(path=broken, actor=ACTOR)

    assert _snapshot() == before
    assert AuditEvent.objects.filter(action="directory.import_rki_plz").count() == 1


@pytest.mark.django_db
def test_management_command_prints_counts(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_rki_plz", str(write_small_file(tmp_path)), stdout=out)

    text = out.getvalue()
    assert "authorities: 3 (3 new, 0 changed)" in text
    assert "postal codes: 5" in text
    assert "shared postal codes: 1" in text
