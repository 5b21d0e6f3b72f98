"""The citizen's way through an online service in the portal, with Django's test client."""

import io
import re

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from oegd.core.models import User
from oegd.forms.models import Attachment, Draft, Submission
from oegd.forms.rendering import pages_of
from oegd.forms.selectors import definition_of
from oegd.forms.tests.filling import post_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def client():
    return Client(headers={"accept-language": "en"})


def start(client, slug):
    response = client.post(f"/services/{slug}/start/")
    assert response.status_code == 302, response.content
    match = re.match(r"^/forms/([0-9a-f-]+)/page/0/$", response["Location"])
    assert match, response["Location"]
    return Draft.objects.get(public_id=match.group(1))


def fill_all_pages(client, draft, example_items, files=None):
    definition = definition_of(draft.form_version)
    location = f"/forms/{draft.public_id}/page/0/"
    for _step in range(20):
        index = int(location.rstrip("/").split("/")[-1])
        page = pages_of(definition)[index]
        data = {**post_data(definition, page, example_items), "action": "next", **(files or {})}
        response = client.post(location, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        location = response["Location"]
        if location.endswith("/review/"):
            return location
    raise AssertionError("the form never reached the review page")


def test_anonymous_counselling_request_from_catalogue_to_status(demo, client, example):
    catalogue = client.get("/services/").content.decode()
    assert "Counselling" in catalogue or "counselling" in catalogue
    draft = start(client, "counselling-request")
    review = fill_all_pages(client, draft, example("counselling-request")["item"])
    summary = client.get(review)
    assert summary.status_code == 200
    assert "Vorwerk" in summary.content.decode()

    sent = client.post(review, {"email": "anonym@example.org"})
    assert sent.status_code == 302
    submission = Submission.objects.get()
    assert sent["Location"] == f"/submitted/{submission.reference}/"
    done = client.get(sent["Location"]).content.decode()
    assert submission.reference in done and submission.status_secret in done
    assert submission.office.slug == "beispielkreis"

    receipt = client.get(f"/status/{submission.reference}/receipt.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.content)).pages)
    assert submission.reference in text and "Vorwerk" in text

    # a double click on "send" changes nothing
    again = client.post(review, {"email": "anonym@example.org"})
    assert again.status_code == 404
    assert Submission.objects.count() == 1


def test_missing_and_malformed_answers_come_back_with_messages(demo, client):
    draft = start(client, "counselling-request")
    response = client.post(f"/forms/{draft.public_id}/page/0/", {"action": "next"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please check your entries" in html and 'href="#q-' in html
    assert "This answer is required." in html
    draft.refresh_from_db()
    assert draft.page == 0


def test_save_and_resume_by_email_link(demo, client, example, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://testserver"
    draft = start(client, "counselling-request")
    definition = definition_of(draft.form_version)
    first = pages_of(definition)[0]
    data = {**post_data(definition, first, example("counselling-request")["item"]), "action": "save"}
    saved = client.post(f"/forms/{draft.public_id}/page/0/", data)
    assert saved["Location"] == f"/forms/{draft.public_id}/save/"
    assert client.post(saved["Location"], {"email": "not-an-address"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        client.post(saved["Location"], {"email": "later@example.org"})
    assert [m.to for m in mail.outbox] == [["later@example.org"]]
    link = re.search(r"http://testserver(/forms/resume/\S+/)", mail.outbox[0].body).group(1)

    other = Client(headers={"accept-language": "en"})  # another browser, days later
    assert other.get(f"/forms/{draft.public_id}/page/0/").status_code == 404
    resumed = other.get(link)
    assert resumed.status_code == 302 and resumed["Location"] == f"/forms/{draft.public_id}/page/0/"
    page = other.get(resumed["Location"]).content.decode()
    topic = example("counselling-request")["item"][0]["item"][1]["answer"][0]["valueString"]
    assert topic[:20] in page
    assert other.get("/forms/resume/not-a-token/").status_code == 404


def test_disguised_upload_is_refused_next_to_its_field(demo, client, example):
    citizen = User.objects.get(email="buerger@example.org")
    client.force_login(citizen)
    draft = start(client, "certificate-request")
    definition = definition_of(draft.form_version)
    for page in pages_of(definition):
        upload_items = [item for top in page.items for item in top.walk() if item.type == "attachment"]
        if upload_items:
            break
    from django.core.files.uploadedfile import SimpleUploadedFile

    link_id = upload_items[0].link_id
    fake = SimpleUploadedFile("befund.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        f"/forms/{draft.public_id}/page/{page.index}/",
        {**post_data(definition, page, example("certificate-request")["item"]), "action": "next", f"q:{link_id}": fake},
    )
    assert response.status_code == 400
    assert "does not match its type" in response.content.decode()
    assert not Attachment.objects.exists()

    real = SimpleUploadedFile("befund.pdf", PDF, content_type="application/pdf")
    response = client.post(
        f"/forms/{draft.public_id}/page/{page.index}/",
        {**post_data(definition, page, example("certificate-request")["item"]), "action": "next", f"q:{link_id}": real},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(draft=draft)
    assert client.get(f"/forms/attachments/{attachment.public_id}/").content == PDF
    assert Client().get(f"/forms/attachments/{attachment.public_id}/").status_code == 404


def test_citizen_only_service_sends_anonymous_users_to_the_login(demo, client):
    response = client.post("/services/ifsg43-instruction/start/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Draft.objects.exists()


def test_institution_service_is_refused_to_citizens(demo, client):
    client.force_login(User.objects.get(email="buerger@example.org"))
    response = client.post("/services/ifsg34-notification/start/")
    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_staff_see_cases_of_their_office_only(demo, example):
    from oegd.core.tests.factories import login_staff
    from oegd.forms import services
    from oegd.forms.models import Service

    service = Service.objects.get(slug="counselling-request")
    draft = services.start_draft(service=service, user=None, language="en")
    services.save_draft_page(actor=None, draft=draft, items=example("counselling-request")["item"], page=0)
    reference = services.submit_draft(actor=None, draft=draft).submission.reference  # Beispielkreis

    staff_b = Client(headers={"accept-language": "en"})
    login_staff(staff_b, User.objects.get(email="admin@beispielkreis.example"))
    listing = staff_b.get("/staff/cases/").content.decode()
    assert reference in listing
    detail = staff_b.get(f"/staff/cases/{reference}/")
    assert detail.status_code == 200 and "Vorwerk" in detail.content.decode()
    recorded = staff_b.post(f"/staff/cases/{reference}/milestone/", {"code": "closed"})
    assert recorded.status_code == 302

    staff_a = Client(headers={"accept-language": "en"})
    login_staff(staff_a, User.objects.get(email="sachbearbeitung@musterstadt.example"))
    assert reference not in staff_a.get("/staff/cases/?status=all").content.decode()
    assert staff_a.get(f"/staff/cases/{reference}/").status_code == 404
    assert staff_a.post(f"/staff/cases/{reference}/milestone/", {"code": "in_review"}).status_code == 404


def test_review_links_each_error_to_the_question_on_its_page(demo, client, example):
    from oegd.forms import services

    draft = start(client, "counselling-request")
    items = example("counselling-request")["item"]
    for group in items:
        for item in group.get("item", []):
            if item["linkId"] == "contact.postal_code":
                item["answer"] = [{"valueString": "99999"}]  # five digits, but no office has them
    services.save_draft_page(actor=None, draft=draft, items=items, page=0)
    definition = definition_of(draft.form_version)
    page_index = next(
        page.index
        for page in pages_of(definition)
        if "contact.postal_code" in [i.link_id for i in page.items[0].walk()]
    )
    response = client.post(f"/forms/{draft.public_id}/review/")
    assert response.status_code == 400
    html = response.content.decode()
    assert f'href="/forms/{draft.public_id}/page/{page_index}/#q-contact.postal_code"' in html
    assert "We do not know the postal code 99999." in html
    assert not Submission.objects.exists()
