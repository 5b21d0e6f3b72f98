"""Retention: closed cases are deleted or anonymised when their period ends; legal hold wins."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from oegd.cases.documents import generate_letter, upload_document
from oegd.cases.models import (
    Case,
    CaseEntry,
    CaseSubject,
    CaseType,
    Document,
    Milestone,
    Note,
    Person,
    Task,
)
from oegd.cases.retention import ANONYMISED_TITLE, apply_case_retention, apply_retention
from oegd.cases.services import add_note, add_progress_entry, close_case, set_legal_hold
from oegd.cases.tests import documents_fixtures as fx
from oegd.cases.tests.documents_fixtures import PNG, attach_submission, make_case
from oegd.core.models import AuditEvent
from oegd.core.tasks import PERIODIC_JOBS
from oegd.forms.models import Attachment, Submission

pytestmark = pytest.mark.django_db

# Shared fixtures of the document tests (``english`` is autouse).
letter_template, media, office_a, english = fx.letter_template, fx.media, fx.office_a, fx.english
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def case_types():
    delete = CaseType.objects.create(
        slug="ifsg43", name="Belehrung", retention_days=30, retention_action=CaseType.RetentionAction.DELETE
    )
    anonymise = CaseType.objects.create(
        slug="counselling", name="Beratung", retention_days=30, retention_action=CaseType.RetentionAction.ANONYMISE
    )
    return delete, anonymise


def _full_case(cast, office, *, reference, case_type):
    """A closed case with a letter, an upload, a note, an entry, a done task and a submission."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_case(cast, office, reference=reference, case_type=case_type)
    generate_letter(actor=cast.clerk_a, case=case, template_key="ifsg43-certificate")
    upload_document(
        actor=cast.clerk_a, case=case, uploaded_file=SimpleUploadedFile("foto.png", PNG, "image/png"), title="Foto"
    )
    add_note(actor=cast.clerk_a, case=case, text="Frau M. klagt über Husten")
    add_progress_entry(actor=cast.clerk_a, case=case, text="Telefonat mit Frau Müller")
    Task.objects.create(
        office=office,
        case=case,
        engine_task_id=f"t-{reference}",
        element_id="check",
        name="Prüfen",
        status=Task.Status.DONE,
        completed_at=timezone.now(),
        answers='{"remark": "Diagnose: Tuberkulose"}',
    )
    attach_submission(case, user=cast.citizen)
    close_case(actor=cast.clerk_a, case=case)
    case.refresh_from_db()
    return case


def _files(media):
    return sorted(p.name for p in Path(media).rglob("*") if p.is_file())


def test_the_period_runs_from_closure_and_only_then_the_case_goes(
    cast, office_a, media, case_types, letter_template, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        case = _full_case(cast, office_a, reference="DELE-TE00-A", case_type="ifsg43")
    assert case.retention_due_at == START + timedelta(days=30)
    paths = [Path(media) / path for path in Document.objects.filter(case=case).values_list("path", flat=True)]
    attachment_name = Attachment.objects.get().storage_name
    assert len(paths) == 2 and all(path.exists() for path in paths)

    with time_machine.travel(START + timedelta(days=29), tick=False):
        assert apply_retention().deleted == []
    assert Case.objects.filter(pk=case.pk).exists()

    with (
        time_machine.travel(START + timedelta(days=31), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = apply_retention()
    assert result.deleted == ["DELE-TE00-A"] and result.anonymised == [] and result.failed == []
    assert not Case.objects.filter(pk=case.pk).exists()
    for model in (Document, Note, CaseEntry, Task, Milestone, CaseSubject, Submission, Attachment, Person):
        assert not model.objects.exists(), model
    assert not any(path.exists() for path in paths)
    assert _files(media) == []  # letters, uploads and the citizen's attachment are gone from disk
    assert attachment_name
    event = AuditEvent.objects.get(action="case.retention.delete")
    assert event.actor_label == "system:retention" and event.purpose == "DELE-TE00-A"
    assert event.office == office_a and event.object_id == str(case.pk)

    with time_machine.travel(START + timedelta(days=32), tick=False):
        again = apply_retention()
    assert (again.deleted, again.anonymised) == ([], [])
    assert AuditEvent.objects.filter(action__startswith="case.retention").count() == 1


def test_anonymisation_keeps_the_skeleton_and_strips_personal_data(
    cast, office_a, media, case_types, letter_template, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False):
        case = _full_case(cast, office_a, reference="ANON-YM00-A", case_type="counselling")
        shared = case.subjects.get().person
        other = make_case(cast, office_a, reference="KEEP-ME00-A", case_type="counselling")  # same account
        loner = Person.objects.create(office=office_a, given_name="Lena", family_name="Allein")
        CaseSubject.objects.create(case=case, role=CaseSubject.Role.AFFECTED, person=loner)
        institution_links = CaseSubject.objects.filter(case=case, institution__isnull=False).count()
    milestones = list(case.milestones.values_list("code", flat=True))

    with (
        time_machine.travel(START + timedelta(days=31), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = apply_retention()
    assert result.anonymised == ["ANON-YM00-A"] and result.deleted == []
    case.refresh_from_db()
    assert case.title == ANONYMISED_TITLE and case.subject is None
    assert case.anonymised_at == START + timedelta(days=31)
    assert case.reference == "ANON-YM00-A" and case.status == Case.Status.CLOSED
    assert list(case.milestones.values_list("code", flat=True)) == milestones  # controlling keeps its data
    assert set(Note.objects.filter(case=case).values_list("text", flat=True)) == {""}
    assert set(CaseEntry.objects.filter(case=case).values_list("text", flat=True)) == {""}
    assert set(Task.objects.filter(case=case).values_list("answers", flat=True)) == {""}
    assert Task.objects.filter(case=case).get().completed_at is not None
    assert not Document.objects.filter(case=case).exists()
    assert not Submission.objects.exists() and not Attachment.objects.exists()
    assert _files(media) == []
    assert CaseSubject.objects.filter(case=case).count() == institution_links
    assert Person.objects.filter(pk=shared.pk).exists()  # the other case still refers to this person
    assert not Person.objects.filter(pk=loner.pk).exists()
    assert other.subjects.get().person == shared
    event = AuditEvent.objects.get(action="case.retention.anonymise")
    assert event.actor_label == "system:retention" and event.purpose == "ANON-YM00-A"

    with time_machine.travel(START + timedelta(days=400), tick=False):
        assert apply_retention().anonymised == []  # idempotent
    assert AuditEvent.objects.filter(action__startswith="case.retention").count() == 1


def test_legal_hold_keeps_the_case_until_released(cast, office_a, media, case_types, letter_template):
    with time_machine.travel(START, tick=False):
        case = _full_case(cast, office_a, reference="HOLD-ME00-A", case_type="ifsg43")
        set_legal_hold(actor=cast.admin_a, case=case, hold=True, reason="Klage beim Verwaltungsgericht")
    files = _files(media)
    with time_machine.travel(START + timedelta(days=365), tick=False):
        assert apply_retention().deleted == []
    assert Case.objects.filter(pk=case.pk).exists() and _files(media) == files
    assert not AuditEvent.objects.filter(action__startswith="case.retention").exists()

    set_legal_hold(actor=cast.admin_a, case=case, hold=False)
    with time_machine.travel(START + timedelta(days=366), tick=False):
        assert apply_retention().deleted == ["HOLD-ME00-A"]


def test_open_cases_and_types_without_a_period_are_kept(cast, office_a, media, case_types):
    CaseType.objects.create(slug="forever", name="Ohne Frist", retention_days=None)
    with time_machine.travel(START, tick=False):
        open_one = make_case(cast, office_a, reference="OPEN-CASE-A", case_type="ifsg43")
        kept = make_case(cast, office_a, reference="KEEP-FORE-A", case_type="forever")
        close_case(actor=cast.clerk_a, case=kept)
    kept.refresh_from_db()
    assert kept.retention_due_at is None
    with time_machine.travel(START + timedelta(days=3650), tick=False):
        result = apply_retention()
    assert (result.deleted, result.anonymised) == ([], [])
    assert Case.objects.filter(pk__in=[open_one.pk, kept.pk]).count() == 2


def test_the_daily_job_is_registered_and_runs(cast, office_a, media, case_types, letter_template):
    job = next(job for job in PERIODIC_JOBS if job.name == "apply_case_retention")
    assert job.every == timedelta(days=1) and job.task is apply_case_retention
    with time_machine.travel(START, tick=False):
        _full_case(cast, office_a, reference="JOBS-RUN0-A", case_type="ifsg43")
    with time_machine.travel(START + timedelta(days=31), tick=False):
        result = apply_case_retention.enqueue()
    assert result.return_value == {"deleted": 1, "anonymised": 0, "failed": 0, "orphan_files": 0}
    assert not Case.objects.exists()
