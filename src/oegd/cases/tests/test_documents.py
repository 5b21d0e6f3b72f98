"""Letters from templates, uploads with the virus-scan hook, stored files with their hashes."""

import hashlib
import io
import json
import re
import socketserver
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from oegd.cases.documents import (
    DocumentUnavailable,
    TemplateRefused,
    document_bytes,
    generate_letter,
    preview_letter,
    save_document_template,
    sweep_orphan_files,
    template_for,
    upload_document,
)
from oegd.cases.models import CaseEntry, Document, DocumentTemplate, Task
from oegd.cases.services import CaseClosed, close_case
from oegd.cases.tests import documents_fixtures as fx
from oegd.cases.tests.documents_fixtures import PNG, pdf_text
from oegd.core.models import AuditEvent
from oegd.core.services import DomainError
from oegd.forms.attachments import AttachmentRefused
from oegd.forms.tests.test_attachments import EICAR, FakeClamd, serve

pytestmark = pytest.mark.django_db

# Shared fixtures of the document tests (``english`` is autouse).
letter_case, letter_template, media, office_a, english = (
    fx.letter_case,
    fx.letter_template,
    fx.media,
    fx.office_a,
    fx.english,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _done_task(case, answers, element_id="check"):
    return Task.objects.create(
        office=case.office,
        case=case,
        engine_task_id=f"engine-{element_id}",
        element_id=element_id,
        name="Unterlagen prüfen",
        status=Task.Status.DONE,
        completed_at=timezone.now(),
        answers=json.dumps(answers),
    )


# --- letters ------------------------------------------------------------------------------------


def test_letter_fills_placeholders_and_is_stored_with_its_hash(cast, letter_case, letter_template, media):
    _done_task(letter_case, {"remark": "Unterlagen vollständig & geprüft"})
    document = generate_letter(actor=cast.physician_a, case=letter_case, template_key="ifsg43-certificate")

    assert document.kind == Document.Kind.LETTER and document.version == 1 and document.supersedes is None
    assert document.title == "Bescheinigung nach § 43 IfSG" and document.citizen_visible
    assert document.template == letter_template and document.created_by == cast.physician_a
    path = Path(media) / document.path
    assert document.path.startswith("documents/") and path.name == f"{document.identifier}.pdf"
    data = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert hashlib.sha256(data).hexdigest() == document.sha256 and document.size == len(data)
    assert document_bytes(document) == data

    text = pdf_text(data)
    assert "Sehr geehrte Frau Jürgen Müller-Lüdenscheidt," in text
    assert "KXQM-4X2D-R" in text
    assert "„Belehrung für Jürgen Müller-Lüdenscheidt“" in text
    assert "Unterlagen vollständig & geprüft" in text
    assert "Mit freundlichen Grüßen" in text and "Gesundheitsamt Musterstadt" in text
    assert "Gänseweg 3" in text and "Hauptstraße 1" in text  # recipient and letterhead
    assert re.search(r"(Seite|Page) 1 (von|of) 1", text)  # footer with page numbers
    entry = CaseEntry.objects.get(case=letter_case, code="document.created")
    assert entry.kind == CaseEntry.Kind.SYSTEM and "Bescheinigung" in entry.text
    event = AuditEvent.objects.get(action="document.create")
    assert event.object_id == str(document.pk) and event.office == letter_case.office
    assert "KXQM-4X2D-R" in event.purpose


def test_generating_again_makes_a_new_version_superseding_the_last(cast, letter_case, letter_template, media):
    first = generate_letter(actor=cast.clerk_a, case=letter_case, template_key="ifsg43-certificate")
    second = generate_letter(actor=cast.clerk_a, case=letter_case, template_key="ifsg43-certificate", title="Neu")
    assert (second.version, second.supersedes) == (2, first)
    assert second.filename.endswith("-v2.pdf") and second.path != first.path
    assert document_bytes(first) and document_bytes(second)  # both files kept
    assert list(letter_case.documents.order_by("version").values_list("version", flat=True)) == [1, 2]


def test_answers_from_questionnaire_items_and_extra_values(cast, letter_case, media):
    save_document_template(
        actor=cast.admin_a,
        key="reply",
        name="Antwort",
        language="de",
        html="<p>{{ answers.reply }} / {{ answers.documents_complete }} / {{ extra.deadline }} / {{ answers.no }}.</p>",
    )
    items = {"item": [{"linkId": "group", "item": [{"linkId": "reply", "answer": [{"valueString": "Erste"}]}]}]}
    _done_task(letter_case, items, element_id="first")
    later = _done_task(
        letter_case,
        [
            {"linkId": "reply", "answer": [{"valueString": "Zweite\nZeile"}]},
            {"linkId": "documents_complete", "answer": [{"valueBoolean": True}]},
        ],
        element_id="second",
    )
    later.completed_at = timezone.now() + timedelta(minutes=1)
    later.save()
    document = generate_letter(actor=cast.clerk_a, case=letter_case, template_key="reply", extra={"deadline": "1. Mai"})
    text = pdf_text(document_bytes(document))
    assert "Zweite Zeile / Ja / 1. Mai / ." in text  # the later answer wins; a missing one is empty


def test_office_template_before_the_states_in_the_citizens_language(cast, letter_case, media):
    cast.citizen.language = "tr"
    cast.citizen.save()
    save_document_template(actor=cast.admin_a, key="notice", name="Staat DE", language="de", html="<p>de</p>")
    state_tr = save_document_template(
        actor=cast.admin_a, key="notice", name="Staat TR", language="tr", html="<p>tr</p>"
    )
    assert template_for(case=letter_case, key="notice") == state_tr
    newer = save_document_template(
        actor=cast.admin_a, key="notice", name="Staat TR 2", language="tr", html="<p>tr2</p>"
    )
    assert newer.version == 2 and template_for(case=letter_case, key="notice") == newer
    office_de = save_document_template(
        actor=cast.admin_a, key="notice", name="Amt DE", language="de", html="<p>amt</p>", office=letter_case.office
    )
    assert office_de.version == 1
    assert template_for(case=letter_case, key="notice") == office_de
    save_document_template(
        actor=cast.admin_b, key="notice", name="Anderes Amt", language="tr", html="<p>b</p>", office=cast.office_b
    )
    assert template_for(case=letter_case, key="notice") == office_de  # another office's never counts
    with pytest.raises(DomainError, match="no letter template"):
        template_for(case=letter_case, key="missing")


def test_letter_in_arabic_runs_right_to_left(cast, letter_case, media):
    cast.citizen.language = "ar"
    cast.citizen.save()
    save_document_template(
        actor=cast.admin_a, key="notice", name="إشعار", language="ar", html="<p>السيد {{ citizen.name }}</p>"
    )
    document = generate_letter(actor=cast.clerk_a, case=letter_case, template_key="notice")
    text = pdf_text(document_bytes(document))
    assert "Müller-Lüdenscheidt" in text and "KXQM-4X2D-R" in text


@pytest.mark.parametrize(
    ("html", "named"),
    [
        ("<p>{{ case.secret }}</p>", "case.secret"),
        ("<p>{{ settings.SECRET_KEY }}</p>", "settings.SECRET_KEY"),
        ("<p>{{ case.reference|safe }}</p>", "case.reference|safe"),
        ("<p>{{ case.__class__ }}</p>", "case.__class__"),
        ("<p>{{ answers.a.b }}</p>", "answers.a.b"),
    ],
)
def test_unknown_placeholders_are_refused_by_name_and_nothing_is_saved(cast, html, named):
    with pytest.raises(TemplateRefused) as refused:
        save_document_template(actor=cast.admin_a, key="notice", name="N", language="de", html=html)
    assert f"Unknown placeholder: {{{{ {named} }}}}" in refused.value.message or named in refused.value.message
    assert not DocumentTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action="document_template.save").exists()


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("{% load static %}<p>x</p>", "Template tags"),
        ("<p>{% debug %}</p>", "Template tags"),
        ("<p>{# comment #}</p>", "Template tags"),
        ("<p>{{ case.reference </p>", "not closed"),
        ("<script>alert(1)</script>", "<script>"),
        ('<p onclick="x()">x</p>', "onclick"),
        ('<img src="https://evil.example/track.png">', "src"),
        ('<p style="background: url(https://evil.example/x)">x</p>', "url()"),
        ("<style>@import 'https://evil.example/x.css';</style>", "url()"),
        ("<style>p { color: {{ case.title }} }</style>", "placeholders cannot be used in styles"),
        ('<p style="color: {{ extra.colour }}">x</p>', "placeholders cannot be used in styles"),
        ("<p><strong>Hallo</p>", "<strong> from line 1"),
        ("<div>\n<p>offen</p>", "Line 1: <div> is never closed"),
        ("<p>x</p></span>", "</span> closes"),
        ('<p class="x>text', "not closed with"),
        ("   ", "empty"),
    ],
)
def test_dangerous_or_broken_templates_are_refused(cast, html, message):
    with pytest.raises(TemplateRefused) as refused:
        save_document_template(actor=cast.admin_a, key="notice", name="N", language="de", html=html)
    assert message in refused.value.message
    assert not DocumentTemplate.objects.exists()


def test_fine_html_with_optional_end_tags_and_data_images_is_accepted(cast):
    html = (
        "<p>Absatz<p>Zweiter<ul><li>eins<li>zwei</ul><table><tr><td>a<td>b</table><br><hr/>"
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="Logo"><a href="https://example.org">Link</a>'
    )
    template = save_document_template(actor=cast.admin_a, key="fine", name="Fine", language="de", html=html)
    assert template.version == 1


def test_a_smuggled_template_row_is_refused_when_rendered(cast, letter_case, media):
    """Rows written around the service (fixtures, admin) are checked again before rendering."""
    DocumentTemplate.objects.create(key="evil", name="Evil", language="de", html="<p>{{ settings.SECRET_KEY }}</p>")
    DocumentTemplate.objects.create(key="tags", name="Tags", language="de", html="{% load static %}{% debug %}")
    for key in ("evil", "tags"):
        with pytest.raises(DomainError):
            generate_letter(actor=cast.clerk_a, case=letter_case, template_key=key)
    assert not Document.objects.exists()
    assert not list((Path(media) / "documents").glob("*"))


def test_values_are_inserted_as_text_never_as_markup_or_template_code(cast, letter_case, media, settings):
    letter_case.title = '<b>fett</b> {{ settings.SECRET_KEY }} {% debug %} "quoted"'
    letter_case.save()
    save_document_template(
        actor=cast.admin_a,
        key="echo",
        name="Echo",
        language="de",
        html='<p title="{{ case.title }}">{{ case.title }}</p>',
    )
    document = generate_letter(actor=cast.clerk_a, case=letter_case, template_key="echo")
    text = pdf_text(document_bytes(document))
    assert '<b>fett</b> {{ settings.SECRET_KEY }} {% debug %} "quoted"' in text
    assert settings.SECRET_KEY not in text


def test_a_closed_case_takes_no_new_documents(cast, letter_case, letter_template, media):
    close_case(actor=cast.clerk_a, case=letter_case)
    with pytest.raises(CaseClosed):
        generate_letter(actor=cast.clerk_a, case=letter_case, template_key="ifsg43-certificate")
    with pytest.raises(CaseClosed):
        upload_document(
            actor=cast.clerk_a,
            case=letter_case,
            uploaded_file=SimpleUploadedFile("a.pdf", PDF, "application/pdf"),
            title="",
        )
    assert not Document.objects.exists()


def test_a_tampered_or_missing_file_is_detected(cast, letter_case, letter_template, media):
    document = generate_letter(actor=cast.clerk_a, case=letter_case, template_key="ifsg43-certificate")
    path = Path(media) / document.path
    path.write_bytes(path.read_bytes() + b"%tampered")
    with pytest.raises(DocumentUnavailable, match="checksum"):
        document_bytes(document)
    path.unlink()
    with pytest.raises(DocumentUnavailable, match="no longer available"):
        document_bytes(document)


def test_a_rolled_back_letter_leaves_a_file_the_sweep_removes(cast, letter_case, letter_template, media):
    with pytest.raises(RuntimeError), transaction.atomic():
        generate_letter(actor=cast.clerk_a, case=letter_case, template_key="ifsg43-certificate")
        raise RuntimeError("the process step failed after the letter")
    assert not Document.objects.exists()
    kept = generate_letter(actor=cast.clerk_a, case=letter_case, template_key="ifsg43-certificate")
    assert len(list((Path(media) / "documents").iterdir())) == 2
    assert sweep_orphan_files(older_than=timedelta(days=1)) == 0  # too young: may be in flight
    assert sweep_orphan_files(older_than=timedelta(0)) == 1
    assert [p.name for p in (Path(media) / "documents").iterdir()] == [Path(kept.path).name]


def test_preview_renders_a_sample_case(cast, letter_template, office_a):
    text = pdf_text(preview_letter(template=letter_template, office=office_a, actor=cast.admin_a))
    assert "Erika Mustermann" in text and "MUST-ER12-A" in text and "[answers.remark]" in text


# --- uploads ------------------------------------------------------------------------------------


def test_upload_is_stored_with_its_hash(cast, letter_case, media):
    upload = SimpleUploadedFile("Befund Müller.pdf", PDF, content_type="application/pdf")
    document = upload_document(actor=cast.clerk_a, case=letter_case, uploaded_file=upload, title="")
    assert document.kind == Document.Kind.UPLOAD and document.title == "Befund Müller"
    assert document.filename == "Befund Müller.pdf" and document.media_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(PDF).hexdigest() and not document.citizen_visible
    assert document_bytes(document) == PDF and document.path.endswith(".pdf")
    assert AuditEvent.objects.filter(action="document.upload", object_id=str(document.pk)).exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message"),
    [
        ("brief.pdf", b"<html><script>alert(1)</script></html>", "application/pdf", "does not match"),
        ("bild.png", PDF, "image/png", "does not match"),
        ("programm.exe", b"MZ\x90\x00", "application/octet-stream", "Only these file types"),
        ("leer.pdf", b"", "application/pdf", "empty"),
    ],
)
def test_disguised_or_unaccepted_files_are_refused(cast, letter_case, media, name, content, content_type, message):
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    with pytest.raises(AttachmentRefused, match=message):
        upload_document(actor=cast.clerk_a, case=letter_case, uploaded_file=upload, title="x")
    assert not Document.objects.exists()
    assert not (Path(media) / "documents").exists() or not list((Path(media) / "documents").iterdir())


def test_the_size_limit_applies(cast, letter_case, media, settings):
    settings.FORMS_MAX_ATTACHMENT_BYTES = 1000
    upload = SimpleUploadedFile("gross.png", PNG + b"\x00" * 1000, content_type="image/png")
    with pytest.raises(AttachmentRefused, match="larger than"):
        upload_document(actor=cast.clerk_a, case=letter_case, uploaded_file=upload, title="")
    assert not Document.objects.exists()


@pytest.fixture
def clamd(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeClamd)
    serve(server)
    settings.CLAMD_ADDRESS = f"tcp://127.0.0.1:{server.server_address[1]}"
    settings.CLAMD_TIMEOUT = 5
    yield server
    server.shutdown()
    server.server_close()


def test_the_virus_scanner_refuses_an_infected_file(cast, letter_case, media, clamd):
    infected = SimpleUploadedFile("befund.pdf", PDF + EICAR, content_type="application/pdf")
    with pytest.raises(AttachmentRefused, match="virus"):
        upload_document(actor=cast.clerk_a, case=letter_case, uploaded_file=infected, title="")
    assert not Document.objects.exists()
    clean = upload_document(
        actor=cast.clerk_a,
        case=letter_case,
        uploaded_file=SimpleUploadedFile("ok.pdf", PDF, "application/pdf"),
        title="",
    )
    assert document_bytes(clean) == PDF


def test_an_unreachable_scanner_refuses_uploads(cast, letter_case, media, settings):
    settings.CLAMD_ADDRESS = "tcp://127.0.0.1:9"  # discard port: nothing listens
    settings.CLAMD_TIMEOUT = 2
    with pytest.raises(AttachmentRefused, match="could not be checked"):
        upload_document(actor=cast.clerk_a, case=letter_case, uploaded_file=io.BytesIO(PDF), title="scan")
    assert not Document.objects.exists()
