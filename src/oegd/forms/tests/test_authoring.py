"""The form builder and the service catalogue: permissions, editing, translations, publishing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from oegd.core.models import AuditEvent, Role
from oegd.core.tests.factories import OfficeFactory, login_staff, staff
from oegd.forms import authoring
from oegd.forms.models import Draft, FormDefinition, FormVersion, Service, ServiceOffer
from oegd.forms.questionnaire import EXT_TRANSLATION, load_questionnaire

pytestmark = [pytest.mark.django_db, pytest.mark.urls("oegd.forms.tests.authoring_test_urls")]


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _english_pages(client):
    # Messages are asserted in their English source text; staff pages default to German.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def state_admin(cast):
    return staff(cast.office_a, Role.STATE_ADMIN, email="sina@land.example")


@pytest.fixture
def office_form(cast):
    return authoring.create_form(actor=cast.admin_a, office=cast.office_a, slug="impfberatung", title="Impfberatung")


@pytest.fixture
def state_form(state_admin):
    form = authoring.create_form(actor=state_admin, office=None, slug="masern", title="Masern-Meldung")
    authoring.save_item(
        actor=state_admin, form=form, spec=authoring.ItemSpec(link_id="name", type="string", text="Name")
    )
    authoring.publish_form_version(actor=state_admin, form=form)
    return form


@pytest.fixture
def service(state_form):
    return Service.objects.create(
        slug="masern-meldung",
        kind=Service.Kind.NOTIFICATION,
        form=state_form,
        case_type="infection",
        postal_code_link_id="",
        routing=Service.Routing.INSTITUTION,
        texts={"de": {"title": "Masern melden", "summary": "Meldung eines Masernfalls"}},
    )


def url(name: str, *args, **query) -> str:
    target = reverse(f"authoring:{name}", args=args)
    if query:
        target += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return target


def item_data(link_id: str, type_: str, text: str = "", *, conditions=(), **extra) -> dict:
    data = {
        "link_id": link_id,
        "type": type_,
        "text": text,
        "enable_behavior": extra.pop("enable_behavior", "all"),
        "ew-TOTAL_FORMS": str(len(conditions) + 1),
        "ew-INITIAL_FORMS": "0",
        "ew-MIN_NUM_FORMS": "0",
        "ew-MAX_NUM_FORMS": "20",
    }
    for index, (question, operator, answer) in enumerate(conditions):
        data |= {f"ew-{index}-question": question, f"ew-{index}-operator": operator, f"ew-{index}-answer": answer}
    data[f"ew-{len(conditions)}-operator"] = "="
    data |= {key: value for key, value in extra.items() if value is not None}
    return data


def draft_resource(form: FormDefinition) -> dict:
    return FormVersion.objects.get(form=form, status=FormVersion.Status.DRAFT).resource


def snapshot() -> tuple:
    """Everything the builder writes, to assert that a refused request changed nothing."""
    return (
        sorted(FormDefinition.objects.values_list("slug", "title", "office_id")),
        sorted(
            (v.form_id, v.version, v.status, json.dumps(v.resource, sort_keys=True), v.published_at)
            for v in FormVersion.objects.all()
        ),
        sorted(ServiceOffer.objects.values_list("service_id", "office_id", "is_active")),
        sorted((s.slug, json.dumps(s.texts, sort_keys=True), s.case_type) for s in Service.objects.all()),
        AuditEvent.objects.count(),
    )


# --- permission matrix -------------------------------------------------------------------------


def test_anonymous_and_citizens_are_sent_to_the_login(client, cast, office_form):
    before = snapshot()
    for target in (url("form_list"), url("form_editor", "impfberatung"), url("service_list")):
        response = client.get(target)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.post(url("form_publish", "impfberatung"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(cast.citizen)
    response = client.post(url("form_item", "impfberatung"), item_data("q", "string", "Frage"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot() == before


def test_clerk_gets_404_everywhere(client, cast, office_form, service):
    login_staff(client, cast.clerk_a, cast.office_a)
    before = snapshot()
    assert client.get(url("form_list")).status_code == 404
    assert client.get(url("form_editor", "impfberatung")).status_code == 404
    assert client.post(url("form_item", "impfberatung"), item_data("q", "string", "Frage")).status_code == 404
    assert client.post(url("service_offer", service.slug), {"active": "1"}).status_code == 404
    assert snapshot() == before


def test_admin_of_another_office_does_not_see_the_form(client, cast, office_form):
    login_staff(client, cast.admin_b, cast.office_b)
    before = snapshot()
    response = client.get(url("form_list"))
    assert response.status_code == 200
    assert "Impfberatung" not in response.content.decode()
    assert client.get(url("form_editor", "impfberatung")).status_code == 404
    assert client.get(url("form_export", "impfberatung", 1)).status_code == 404
    assert client.get(url("form_preview", "impfberatung")).status_code == 404
    assert client.post(url("form_item", "impfberatung"), item_data("q", "string", "Frage")).status_code == 404
    assert client.post(url("form_publish", "impfberatung")).status_code == 404
    assert client.post(url("form_import", "impfberatung"), {"json_text": "{}"}).status_code == 404
    assert snapshot() == before


def test_office_admin_reads_but_cannot_change_a_state_wide_form(client, cast, state_form, service):
    login_staff(client, cast.admin_a, cast.office_a)
    before = snapshot()
    page = client.get(url("form_editor", "masern"))
    assert page.status_code == 200
    assert "Masern-Meldung" in page.content.decode()
    assert url("form_publish", "masern") not in page.content.decode()
    assert client.get(url("form_export", "masern", 1)).status_code == 200
    assert client.post(url("form_start_draft", "masern")).status_code == 404
    assert client.post(url("form_item", "masern"), item_data("q", "string", "Frage")).status_code == 404
    assert client.post(url("form_publish", "masern")).status_code == 404
    assert client.get(url("service_edit", service.slug)).status_code == 404
    assert client.post(url("service_publish_all", service.slug)).status_code == 404
    assert client.post(url("form_create"), {"slug": "land", "title": "Land", "state_wide": "on"}).status_code == 404
    assert snapshot() == before
    with pytest.raises(authoring.NotAllowed):
        authoring.publish_service_to_all_offices(actor=cast.admin_a, service=service)
    with pytest.raises(authoring.NotAllowed):
        authoring.open_draft(actor=cast.admin_a, form=state_form)
    assert snapshot() == before


def test_state_admin_edits_the_state_wide_form_and_publishes_to_all_offices(client, cast, state_admin, service):
    login_staff(client, state_admin, cast.office_a)
    assert client.post(url("form_start_draft", "masern")).status_code == 302
    response = client.post(url("form_item", "masern"), item_data("age", "integer", "Alter"))
    assert response.status_code == 302
    assert [item["linkId"] for item in draft_resource(service.form)["item"]] == ["name", "age"]
    response = client.post(url("service_publish_all", service.slug))
    assert response.status_code == 302
    assert set(ServiceOffer.objects.filter(service=service, is_active=True).values_list("office", flat=True)) == {
        cast.office_a.pk,
        cast.office_b.pk,
    }


# --- creating and editing ----------------------------------------------------------------------


def test_create_form_and_build_items_with_options_and_conditions(client, cast):
    login_staff(client, cast.admin_a, cast.office_a)
    response = client.post(url("form_create"), {"slug": "hygiene", "title": "Hygieneberatung"})
    assert response.status_code == 302
    form = FormDefinition.objects.get(slug="hygiene")
    assert form.office == cast.office_a
    assert form.url == "https://oegd.example/fhir/Questionnaire/hygiene"
    version = form.versions.get()
    assert (version.version, version.status) == (1, FormVersion.Status.DRAFT)
    assert version.resource["url"] == form.url and "item" not in version.resource

    steps = [
        item_data("contact", "group", "Kontakt"),
        item_data("kind", "choice", "Art der Einrichtung", required="on", options="school|Schule\ndaycare|Kita"),
        item_data("pupils", "integer", "Zahl der Kinder", min_value="1", max_value="2000",
                  conditions=[("kind", "=", "school")]),
        item_data("note", "text", "Bemerkung", max_length="500", regex=r"^[^<>]*$"),
        item_data("ok", "boolean", "Einverstanden"),
    ]  # fmt: skip
    for data in steps:
        response = client.post(url("form_item", "hygiene"), data)
        assert response.status_code == 302, response.content.decode()
    response = client.post(url("form_item", "hygiene"), item_data("email", "string", "E-Mail") | {"parent": "contact"})
    assert response.status_code == 302
    resource = draft_resource(form)
    assert [item["linkId"] for item in resource["item"]] == ["contact", "kind", "pupils", "note", "ok"]
    assert resource["item"][0]["item"] == [{"linkId": "email", "type": "string", "text": "E-Mail"}]
    kind = resource["item"][1]
    assert kind["required"] is True
    assert kind["answerOption"] == [
        {"valueCoding": {"code": "school", "display": "Schule"}},
        {"valueCoding": {"code": "daycare", "display": "Kita"}},
    ]
    pupils = resource["item"][2]
    assert pupils["enableWhen"] == [{"question": "kind", "operator": "=", "answerCoding": {"code": "school"}}]
    assert {"url": authoring.EXT_MIN_VALUE, "valueInteger": 1} in pupils["extension"]
    assert resource["item"][3]["maxLength"] == 500
    definition = load_questionnaire(resource)
    assert definition.by_link_id["pupils"].enable_when[0].question == "kind"

    page = client.get(url("form_editor", "hygiene")).content.decode()
    for text in ("Art der Einrichtung", "Zahl der Kinder", "E-Mail", "2 options"):
        assert text in page

    # Move "ok" up, then delete "note"; renaming "kind" renames the condition pointing to it.
    assert client.post(url("form_item_action", "hygiene"), {"item": "ok", "action": "up"}).status_code == 302
    assert client.post(url("form_item_action", "hygiene"), {"item": "note", "action": "delete"}).status_code == 302
    edit = client.get(url("form_item", "hygiene", item="kind"))
    assert edit.status_code == 200 and "school|Schule" in edit.content.decode()
    data = item_data("facility", "choice", "Art der Einrichtung", required="on", options="school|Schule\ndaycare|Kita")
    response = client.post(url("form_item", "hygiene"), data | {"item": "kind"})
    assert response.status_code == 302
    resource = draft_resource(form)
    assert [item["linkId"] for item in resource["item"]] == ["contact", "facility", "pupils", "ok"]
    assert resource["item"][2]["enableWhen"][0]["question"] == "facility"
    assert AuditEvent.objects.filter(action="form.item_add").count() == 6
    assert AuditEvent.objects.filter(action="form.item_edit", office=cast.office_a).count() == 1


def test_deleting_an_item_others_depend_on_is_refused(client, cast, office_form):
    login_staff(client, cast.admin_a, cast.office_a)
    client.post(url("form_item", "impfberatung"), item_data("a", "boolean", "Schon geimpft?"))
    client.post(url("form_item", "impfberatung"), item_data("b", "date", "Wann?", conditions=[("a", "=", "true")]))
    before = snapshot()
    response = client.post(url("form_item_action", "impfberatung"), {"item": "a", "action": "delete"})
    assert response.status_code == 400
    assert "has a condition on this item" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # a cycle: only the whole-Questionnaire check (load_questionnaire) finds it
        (item_data("a", "boolean", "A", conditions=[("b", "=", "true")]) | {"item": "a"}, "cannot be saved"),
        (item_data("b", "boolean", "B", regex="(unclosed") | {"item": "b"}, "regular expression is not valid"),
        (item_data("b", "boolean", "B") | {"item": "a"}, "Another item has this linkId"),
        (item_data("c", "string", "C", min_value="5"), "numbers and dates only"),
        (item_data("c", "integer", "C", conditions=[("a", "=", "vielleicht")]), "true or false"),
        (item_data("c", "string", "C", options="x|X"), "choice questions only"),
        (item_data("c c", "string", "C"), "may not contain spaces"),
        (item_data("c", "string", "C", conditions=[("zz", "=", "1")]), "Select a valid choice"),
    ],
)
def test_invalid_item_is_refused_and_nothing_changes(client, cast, office_form, data, message):
    login_staff(client, cast.admin_a, cast.office_a)
    client.post(url("form_item", "impfberatung"), item_data("a", "boolean", "A"))
    client.post(url("form_item", "impfberatung"), item_data("b", "boolean", "B", conditions=[("a", "=", "true")]))
    before = snapshot()
    resource = draft_resource(office_form)
    response = client.post(url("form_item", "impfberatung"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="kern-alert kern-alert--danger' in response.content.decode()
    assert draft_resource(office_form) == resource
    assert snapshot() == before


def test_type_changes_that_would_break_an_item_are_refused(cast, office_form):
    actor = cast.admin_a
    authoring.save_item(actor=actor, form=office_form, spec=authoring.ItemSpec(link_id="g", type="group", text="G"))
    authoring.save_item(
        actor=actor, form=office_form, spec=authoring.ItemSpec(link_id="c", type="string", text="C"), parent_link_id="g"
    )
    authoring.save_item(
        actor=actor,
        form=office_form,
        spec=authoring.ItemSpec(link_id="k", type="choice", text="K", options=[("x", "X")]),
    )
    before = snapshot()
    with pytest.raises(authoring.AuthoringError) as refused:
        authoring.save_item(
            actor=actor, form=office_form, spec=authoring.ItemSpec(link_id="g", type="display"), original_link_id="g"
        )
    assert refused.value.field == "type"
    with pytest.raises(authoring.AuthoringError) as refused:
        authoring.save_item(
            actor=actor, form=office_form, spec=authoring.ItemSpec(link_id="k", type="string"), original_link_id="k"
        )
    assert refused.value.field == "options"
    assert snapshot() == before


def test_new_form_with_a_taken_or_reserved_short_name_is_refused(client, cast, office_form):
    login_staff(client, cast.admin_a, cast.office_a)
    before = snapshot()
    for slug, message in (("impfberatung", "exists already"), ("services", "reserved")):
        response = client.post(url("form_create"), {"slug": slug, "title": "Noch eins"})
        assert response.status_code == 400
        assert message in response.content.decode()
    assert snapshot() == before


# --- translations and preview ------------------------------------------------------------------


def test_translations_are_stored_as_fhir_extensions(client, cast, office_form):
    login_staff(client, cast.admin_a, cast.office_a)
    client.post(
        url("form_item", "impfberatung"), item_data("topic", "choice", "Thema", options="travel|Reise\nchild|Kind")
    )
    page = client.get(url("form_item_translations", "impfberatung", item="topic")).content.decode()
    assert 'name="text_ar"' in page and 'dir="rtl"' in page and "Reise" in page
    response = client.post(
        url("form_item_translations", "impfberatung"),
        {
            "item": "topic",
            "text_de": "Thema",
            "text_tr": "Konu",
            "text_ar": "الموضوع",
            "option0_de": "Reise",
            "option0_tr": "Seyahat",
            "option1_de": "Kind",
            "option1_en": "Child",
        },
    )
    assert response.status_code == 302
    raw = draft_resource(office_form)["item"][0]
    assert authoring.translations_of(raw["_text"]) == {"tr": "Konu", "ar": "الموضوع"}
    assert raw["_text"]["extension"][0]["url"] == EXT_TRANSLATION
    assert authoring.translations_of(raw["answerOption"][0]["valueCoding"]["_display"]) == {"tr": "Seyahat"}
    item = load_questionnaire(draft_resource(office_form)).items[0]
    assert item.text_in("tr") == "Konu"
    assert item.option_text_in(1, "en") == "Child"
    # Changing the options keeps the translations of the options whose code stays.
    client.post(
        url("form_item", "impfberatung"),
        item_data("topic", "choice", "Thema", options="travel|Reisen\nother|Anderes") | {"item": "topic"},
    )
    raw = draft_resource(office_form)["item"][0]
    assert raw["answerOption"][0]["valueCoding"]["display"] == "Reisen"
    assert authoring.translations_of(raw["answerOption"][0]["valueCoding"]["_display"]) == {"tr": "Seyahat"}

    response = client.post(
        url("form_title_translations", "impfberatung"), {"title_de": "Impfberatung", "title_tr": "Aşı danışmanlığı"}
    )
    assert response.status_code == 302
    assert load_questionnaire(draft_resource(office_form)).title_in("tr") == "Aşı danışmanlığı"
    before = snapshot()
    response = client.post(url("form_title_translations", "impfberatung"), {"title_de": "", "title_tr": "x"})
    assert response.status_code == 400 and "needs a German title" in response.content.decode()
    assert snapshot() == before


def test_preview_renders_the_draft_in_turkish(client, cast, office_form):
    login_staff(client, cast.admin_a, cast.office_a)
    client.post(url("form_item", "impfberatung"), item_data("age", "integer", "Alter"))
    client.post(url("form_item_translations", "impfberatung"), {"item": "age", "text_de": "Alter", "text_tr": "Yaş"})
    response = client.get(url("form_preview", "impfberatung", lang="tr", page=0))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Yaş" in html
    assert "<form" not in html.split('class="oegd-preview"')[1].split("</section>")[0]
    assert 'lang="tr"' in html
    german = client.get(url("form_preview", "impfberatung", lang="de")).content.decode()
    assert "Alter" in german and "Yaş" not in german


# --- import and export -------------------------------------------------------------------------


def test_export_and_import_round_trip(client, cast, office_form):
    login_staff(client, cast.admin_a, cast.office_a)
    client.post(url("form_item", "impfberatung"), item_data("trip", "choice", "Reiseziel", options="th|Thailand"))
    client.post(url("form_item", "impfberatung"), item_data("date", "date", "Abreise"))
    response = client.get(url("form_export", "impfberatung", 1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert response["Content-Disposition"] == 'attachment; filename="impfberatung-v1.json"'
    exported = json.loads(response.content)
    assert exported == draft_resource(office_form)

    other = authoring.create_form(actor=cast.admin_a, office=cast.office_a, slug="reise", title="Reise")
    upload = SimpleUploadedFile("impfberatung-v1.json", response.content, content_type="application/json")
    response = client.post(url("form_import", "reise"), {"file": upload})
    assert response.status_code == 302
    imported = draft_resource(other)
    assert imported["url"] == other.url
    assert {k: v for k, v in imported.items() if k != "url"} == {k: v for k, v in exported.items() if k != "url"}
    assert AuditEvent.objects.filter(action="form.import", object_id=str(other.versions.get().pk)).exists()

    # Pasted JSON works too.
    pasted = json.dumps(
        {"resourceType": "Questionnaire", "status": "active", "item": [{"linkId": "x", "type": "string", "text": "X"}]}
    )
    assert client.post(url("form_import", "reise"), {"json_text": pasted}).status_code == 302
    assert draft_resource(other)["item"][0]["linkId"] == "x"
    assert draft_resource(other)["status"] == "draft"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "This is not valid JSON"),
        (json.dumps({"resourceType": "Patient"}).encode(), "not a FHIR Questionnaire"),
        (json.dumps({"resourceType": "Questionnaire", "item": [{"linkId": "a"}]}).encode(), "not valid FHIR R4"),
        (
            json.dumps(
                {
                    "resourceType": "Questionnaire",
                    "status": "draft",
                    "item": [{"linkId": "a", "type": "string"}, {"linkId": "a", "type": "string"}],
                }
            ).encode(),
            "Duplicate linkId",
        ),
        (b" " * (authoring.MAX_IMPORT_BYTES + 1), "too large"),
    ],
)
def test_bad_import_is_refused_and_nothing_changes(client, cast, office_form, payload, message):
    login_staff(client, cast.admin_a, cast.office_a)
    before = snapshot()
    upload = SimpleUploadedFile("q.json", payload, content_type="application/json")
    response = client.post(url("form_import", "impfberatung"), {"file": upload})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


# --- publishing --------------------------------------------------------------------------------


def test_publish_keeps_running_drafts_on_their_version(client, cast, office_form, state_form):
    login_staff(client, cast.admin_a, cast.office_a)
    before = snapshot()
    response = client.post(url("form_publish", "impfberatung"))
    assert response.status_code == 400
    assert "at least one question" in response.content.decode()
    assert snapshot() == before

    client.post(url("form_item", "impfberatung"), item_data("age", "integer", "Alter", required="on"))
    assert client.post(url("form_publish", "impfberatung")).status_code == 302
    v1 = FormVersion.objects.get(form=office_form, version=1)
    assert v1.status == FormVersion.Status.ACTIVE and v1.published_at is not None
    assert (v1.resource["version"], v1.resource["status"]) == ("1", "active")
    assert v1.resource["date"].startswith(str(timezone.now().year))
    assert AuditEvent.objects.filter(action="form.publish", object_id=str(v1.pk), office=cast.office_a).exists()

    service = Service.objects.create(slug="impf", kind=Service.Kind.COUNSELLING, form=office_form, case_type="x")
    running = Draft.objects.create(
        service=service, form_version=v1, language="de", expires_at=timezone.now() + timedelta(days=7)
    )

    # Editing again: a new draft v2 as a copy of v1, while v1 stays active.
    assert client.post(url("form_start_draft", "impfberatung")).status_code == 302
    v2 = FormVersion.objects.get(form=office_form, version=2)
    assert v2.status == FormVersion.Status.DRAFT
    assert [item["linkId"] for item in v2.resource["item"]] == ["age"]
    assert "version" not in v2.resource and v2.resource["status"] == "draft"
    v1.refresh_from_db()
    assert v1.status == FormVersion.Status.ACTIVE
    client.post(url("form_item", "impfberatung"), item_data("weight", "decimal", "Gewicht"))
    v1.refresh_from_db()
    assert [item["linkId"] for item in v1.resource["item"]] == ["age"]

    assert client.post(url("form_publish", "impfberatung")).status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == FormVersion.Status.RETIRED
    assert v2.status == FormVersion.Status.ACTIVE and v2.resource["version"] == "2"
    running.refresh_from_db()
    assert running.form_version_id == v1.pk
    assert list(AuditEvent.objects.filter(action__in=["form.publish", "form.retire"]).values_list("action", "purpose"))[
        -2:
    ] == [("form.retire", "v1"), ("form.publish", "v2")]
    page = client.get(url("form_list")).content.decode()
    assert "v1: Retired" in page and "v2: Active" in page


# --- service catalogue -------------------------------------------------------------------------


def test_office_admin_switches_a_service_on_and_off(client, cast, service):
    login_staff(client, cast.admin_a, cast.office_a)
    page = client.get(url("service_list"))
    assert page.status_code == 200 and "Masern melden" in page.content.decode()
    assert client.post(url("service_offer", service.slug), {"active": "1"}).status_code == 302
    assert ServiceOffer.objects.get(service=service, office=cast.office_a).is_active is True
    assert not ServiceOffer.objects.filter(service=service, office=cast.office_b).exists()
    assert client.post(url("service_offer", service.slug), {"active": "0"}).status_code == 302
    assert ServiceOffer.objects.get(service=service, office=cast.office_a).is_active is False
    assert list(
        AuditEvent.objects.filter(action="service.offer", office=cast.office_a).values_list("purpose", flat=True)
    ) == ["on", "off"]


def test_crisis_publish_offers_the_service_in_every_active_office(cast, state_admin, service):
    closed = OfficeFactory(slug="geschlossen", is_active=False)
    ServiceOffer.objects.create(service=service, office=cast.office_b, is_active=False)
    count = authoring.publish_service_to_all_offices(actor=state_admin, service=service)
    assert count == 2
    assert set(ServiceOffer.objects.filter(service=service, is_active=True).values_list("office", flat=True)) == {
        cast.office_a.pk,
        cast.office_b.pk,
    }
    assert not ServiceOffer.objects.filter(office=closed).exists()
    assert authoring.publish_service_to_all_offices(actor=state_admin, service=service) == 0
    assert AuditEvent.objects.filter(action="service.publish_all").count() == 2


def test_state_admin_edits_service_texts_in_all_languages(client, cast, state_admin, service):
    login_staff(client, state_admin, cast.office_a)
    page = client.get(url("service_edit", service.slug)).content.decode()
    assert 'name="title_uk"' in page and 'dir="rtl"' in page
    data = {
        "kind": "notification",
        "form": str(service.form_id),
        "case_type": "infection",
        "routing": "postal_code",
        "postal_code_link_id": "name",
        "allow_citizens": "on",
        "institution_kinds": ["school", "daycare"],
        "title_de": "Masern melden",
        "summary_de": "Meldung",
        "title_tr": "Kızamık bildirimi",
        "title_ar": "الإبلاغ عن الحصبة",
    }
    assert client.post(url("service_edit", service.slug), data).status_code == 302
    service.refresh_from_db()
    assert service.texts == {
        "de": {"title": "Masern melden", "summary": "Meldung"},
        "tr": {"title": "Kızamık bildirimi"},
        "ar": {"title": "الإبلاغ عن الحصبة"},
    }
    assert service.institution_kinds == ["school", "daycare"]
    assert service.text("title", "tr") == "Kızamık bildirimi"
    before = snapshot()
    response = client.post(url("service_edit", service.slug), data | {"postal_code_link_id": "plz"})
    assert response.status_code == 400 and "no question with the linkId plz" in response.content.decode()
    response = client.post(url("service_edit", service.slug), data | {"title_de": ""})
    assert response.status_code == 400
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="service.edit").count() == 1


def test_every_builder_route_declares_access_and_turns_anonymous_away(client):
    from oegd.core.access import ACCESS_ATTR
    from oegd.forms import authoring_urls

    for pattern in authoring_urls.urlpatterns:
        assert getattr(pattern.callback, ACCESS_ATTR) == "staff:forms.manage", pattern.name
        route = "/staff/forms/" + str(pattern.pattern).replace("<slug:slug>", "x").replace("<int:version>", "1")
        for method in (client.get, client.post):
            response = method(route)
            assert response.status_code == 302 and response["Location"].startswith("/login/"), route
