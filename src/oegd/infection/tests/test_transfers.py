import hashlib
import threading
from datetime import date

import orjson
import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from lxml import etree

from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff
from oegd.infection import fhir_export, transfers
from oegd.infection.models import Event, InfectionCase, Transfer
from oegd.infection.tests.export_factories import COUGH, FEVER, infection_case, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.SURVNET_OUTBOX_DIR = str(tmp_path / "outbox")
    return tmp_path / "outbox"


@pytest.fixture
def office(cast):
    cast.office_a.rki_code = "1.01.0.03."
    cast.office_a.save(update_fields=["rki_code"])
    return cast.office_a


@pytest.fixture
def case(office):
    return infection_case(office, person=person(office), postal_code="10115", symptoms=[FEVER, COUGH],
                          onset_date=date(2026, 3, 7), classification="C", lab="cvdp")  # fmt: skip


def _files(outbox):
    return sorted(path.name for path in outbox.rglob("*") if path.is_file())


def test_transfer_stores_sends_and_audits(cast, case, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        transfer = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    transfer.refresh_from_db()
    assert (transfer.version, transfer.format, transfer.receiver_code) == (1, "survnet", "1.01.")
    assert transfer.sent_by == cast.clerk_a
    assert transfer.payload_sha256 == hashlib.sha256(transfer.payload.encode()).hexdigest()
    assert etree.fromstring(transfer.payload.encode())[0].get("VersionNo") == "1"
    sent = outbox / "musterstadt" / f"{case.reference}-survnet-v1.xml"
    assert sent.read_text() == transfer.payload
    assert _files(outbox) == [sent.name]  # no .part left behind
    assert AuditEvent.objects.filter(action="infection.transferred", object_id=str(transfer.pk)).count() == 1
    assert Event.objects.get(infection_case=case, code="case.transferred").data["version"] == 1


def _record_and_patient(transfer):
    record = etree.fromstring(transfer.payload.encode())[0]
    patient = next(field.get("Value") for field in record if field.get("Name") == "GuidPatient")
    return record.get("GuidRecord"), patient


def test_versions_count_per_format(cast, case):
    first = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    second = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    fhir = transfers.transfer_case(actor=cast.clerk_a, infection_case=case, format="fhir")
    assert (first.version, second.version, fhir.version) == (1, 2, 1)
    assert _record_and_patient(second) == _record_and_patient(first)
    assert first.record_guid == second.record_guid == fhir.record_guid == _record_and_patient(first)[0]
    condition_id = fhir_export._id(first.record_guid.strip("{}").lower(), "condition")
    assert condition_id in {entry["resource"]["id"] for entry in orjson.loads(fhir.payload)["entry"]}


def test_later_versions_keep_record_and_patient_when_secret_key_rotates(cast, case, settings):
    first = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    settings.SECRET_KEY = "a rotated secret key"
    second = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    assert second.version == 2
    assert _record_and_patient(second) == _record_and_patient(first)
    settings.PSEUDONYM_KEY = "a rotated pseudonym key"  # the record id is stored: it survives even this
    third = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    assert _record_and_patient(third)[0] == _record_and_patient(first)[0] == third.record_guid


def test_transport_numbers_are_consecutive_and_unique_per_office(cast, office, case):
    other = infection_case(office, disease="cvd", classification="C", lab="cvdp")
    elsewhere = infection_case(cast.office_b, disease="cvd", classification="C", lab="cvdp")
    sent = [
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case),
        transfers.transfer_case(actor=cast.clerk_a, infection_case=other),
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case, format="fhir"),
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case),
    ]
    assert [transfer.transport_number for transfer in sent] == [1, 2, 3, 4]
    assert etree.fromstring(sent[3].payload.encode()).get("TransportNumber") == "4"
    assert transfers.transfer_case(actor=cast.clerk_b, infection_case=elsewhere).transport_number == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.filter(pk=sent[1].pk).update(transport_number=1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"classification": "pending"}, "not yet classified"),
        ({"classification": "B"}, "does not meet the reference definition"),  # COVID-19 counts C, D, E only
        ({"classification": "X"}, "does not meet the reference definition"),
        ({"disease": "zzz"}, "not in the catalogue"),
    ],
)
def test_refusals_store_and_send_nothing(cast, case, outbox, changes, message):
    InfectionCase.objects.filter(pk=case.pk).update(**changes)
    case.refresh_from_db()
    audit_before = AuditEvent.objects.count()
    with pytest.raises(transfers.TransferRefused) as refused:
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    assert message in refused.value.message
    assert not Transfer.objects.exists()
    assert _files(outbox) == []
    assert AuditEvent.objects.count() == audit_before


def test_non_nominal_case_needs_its_data(cast, office):
    case = infection_case(office, disease="hiv", non_nominal=True, sex="male", classification="C", lab="hivp")
    with pytest.raises(transfers.TransferRefused) as refused:
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    assert "month of birth" in refused.value.message and "postal code" in refused.value.message
    assert not Transfer.objects.exists()
    InfectionCase.objects.filter(pk=case.pk).update(birth_month="1990-11", postal_code="24103")
    case.refresh_from_db()
    assert transfers.transfer_case(actor=cast.clerk_a, infection_case=case).version == 1


def test_unknown_format_is_refused(cast, case):
    with pytest.raises(transfers.TransferRefused):
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case, format="fax")
    assert not Transfer.objects.exists()


# --- pages -------------------------------------------------------------------------------------------


def _get(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


def test_case_page_send_and_download(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    page = _get(client, f"/staff/infection/transfers/{case.reference}/")
    assert page.status_code == 200
    assert "Not transferred yet." in page.content.decode()
    response = client.post(f"/staff/infection/transfers/{case.reference}/send/", {"format": "survnet"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    page = _get(client, f"/staff/infection/transfers/{case.reference}/").content.decode()
    assert transfer.payload_sha256 in page and "Download version 1" in page
    download = _get(client, f"/staff/infection/transfers/{case.reference}/{transfer.pk}/download/")
    assert download.status_code == 200
    assert download.content.decode() == transfer.payload
    assert download["Content-Type"] == "application/xml"
    assert f"{case.reference}-survnet-v1.xml" in download["Content-Disposition"]
    assert AuditEvent.objects.filter(action="infection.transfer.read", object_id=str(transfer.pk)).exists()
    listing = _get(client, "/staff/infection/transfers/").content.decode()
    assert case.reference in listing


def test_refused_send_shows_the_reason_and_changes_nothing(client, cast, case):
    InfectionCase.objects.filter(pk=case.pk).update(classification="pending")
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(f"/staff/infection/transfers/{case.reference}/send/", {"format": "survnet"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 409
    assert "not yet classified" in response.content.decode()
    assert not Transfer.objects.exists()


def test_bad_format_is_400(client, cast, case):
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(f"/staff/infection/transfers/{case.reference}/send/", {"format": "fax"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 400
    assert "Please choose a transfer format." in response.content.decode()
    assert not Transfer.objects.exists()


def test_other_office_gets_404(client, cast, case):
    transfer = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    login_staff(client, cast.clerk_b, cast.office_b)
    assert _get(client, f"/staff/infection/transfers/{case.reference}/").status_code == 404
    assert _get(client, f"/staff/infection/transfers/{case.reference}/{transfer.pk}/download/").status_code == 404
    response = client.post(f"/staff/infection/transfers/{case.reference}/send/", {"format": "survnet"},
                           HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 404
    assert Transfer.objects.count() == 1
    assert case.reference not in _get(client, "/staff/infection/transfers/").content.decode()


def test_without_infection_permission_404(client, cast, case):
    login_staff(client, cast.dpo_a, cast.office_a)
    assert _get(client, f"/staff/infection/transfers/{case.reference}/").status_code == 404
    assert _get(client, "/staff/infection/transfers/").status_code == 404


# --- batch --------------------------------------------------------------------------------------------


def test_transfer_cases_command(cast, office, case, outbox):
    infection_case(office, disease="cvd", classification="pending", lab="cvdp")  # not assessed: skipped
    infection_case(office, disease="cvd", classification="B")  # outside the reference definition: skipped
    other = infection_case(cast.office_b, disease="cvd", classification="C")  # other office: skipped
    call_command("transfer_cases", "--office", "musterstadt")
    assert list(Transfer.objects.values_list("infection_case__reference", "version")) == [(case.reference, 1)]
    call_command("transfer_cases", "--office", "musterstadt")  # nothing changed: nothing sent
    assert Transfer.objects.count() == 1
    case.hospitalised = True
    case.save(update_fields=["hospitalised", "updated_at"])
    call_command("transfer_cases", "--office", "musterstadt", "--since", "2020-01-01")
    assert sorted(Transfer.objects.values_list("version", flat=True)) == [1, 2]
    assert not Transfer.objects.filter(infection_case=other).exists()
    assert AuditEvent.objects.filter(action="infection.transferred", actor_label="system:transfer_cases").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--office", "nowhere"], "No office"), (["--office", "musterstadt", "--since", "yesterday"], "--since")],
)
def test_transfer_cases_command_bad_input(office, case, args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("transfer_cases", *args)
    assert not Transfer.objects.exists()


# --- the outbox and the transaction ----------------------------------------------------------------


def test_outbox_file_appears_only_on_commit(cast, case, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transfer = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    name = f"{case.reference}-survnet-v1.xml"
    assert _files(outbox) == [f"{name}.part"]  # written inside the transaction, not yet visible
    for callback in callbacks:
        callback()
    assert _files(outbox) == [name]
    assert (outbox / "musterstadt" / name).read_text() == transfer.payload


def test_outer_rollback_leaves_no_final_file(cast, case, outbox, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
        raise RuntimeError("the caller's transaction fails")
    assert callbacks == [] and not Transfer.objects.exists()
    assert _files(outbox) == [f"{case.reference}-survnet-v1.xml.part"]  # ignored by the gateway
    with django_capture_on_commit_callbacks(execute=True):
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case)  # the retry overwrites it
    assert _files(outbox) == [f"{case.reference}-survnet-v1.xml"]


class FailsAfterWriting(transfers.OutboxSender):
    def send(self, transfer):
        super().send(transfer)
        raise OSError("gateway share went away")


def test_failure_after_the_write_rolls_back_and_discards_the_part(
    cast, case, outbox, settings, django_capture_on_commit_callbacks
):
    settings.SURVNET_SENDER = f"{__name__}.FailsAfterWriting"
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(OSError):
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    assert callbacks == [] and not Transfer.objects.exists()
    assert not AuditEvent.objects.filter(action="infection.transferred").exists()
    assert _files(outbox) == []


def test_unwritable_outbox_stores_nothing(cast, case, outbox, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.SURVNET_OUTBOX_DIR = str(blocker)
    with pytest.raises(OSError):
        transfers.transfer_case(actor=cast.clerk_a, infection_case=case)
    assert not Transfer.objects.exists()
    assert not Event.objects.filter(code="case.transferred").exists()


# --- concurrency ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_of_one_office_wait_for_the_number(cast, office, case):
    """While one transfer holds the office's number, a second one waits instead of drawing the same."""
    other = infection_case(office, disease="cvd", classification="C", lab="cvdp")
    results: list = []

    def second_transfer():
        try:
            results.append(transfers.transfer_case(actor=cast.clerk_a, infection_case=other).transport_number)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        first = transfers.transfer_case(actor=cast.clerk_a, infection_case=case)  # office row stays locked
        worker = threading.Thread(target=second_transfer)
        worker.start()
        with connection.cursor() as cursor:  # wait until the second transfer blocks on the office lock
            for _attempt in range(10_000):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0] or not worker.is_alive():
                    break
    worker.join()
    assert first.transport_number == 1
    assert results == [2]
    assert sorted(Transfer.objects.values_list("transport_number", flat=True)) == [1, 2]
