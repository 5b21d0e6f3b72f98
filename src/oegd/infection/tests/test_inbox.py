"""The notification inbox and one notification's triage: filters, scoping, assignment, linking to a
case, opening a case, marking done, forwarding and the audited read."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from oegd.core.models import AuditEvent
from oegd.core.tests.factories import login_staff
from oegd.infection import selectors, services
from oegd.infection.models import Event, InfectionCase, LabResult, Notification, PersonMatch
from oegd.infection.tests.ui_factories import EN, infection_case, lab_result, notification, person

pytestmark = pytest.mark.django_db


def test_inbox_lists_the_offices_notifications_newest_first(client, cast):
    older = notification(cast.office_a, days_ago=3, notifier="Labor Alt")
    newer = notification(cast.office_a, days_ago=1, notifier="Labor Neu")
    notification(cast.office_b, notifier="Labor Anderswo")
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("infection:inbox"), **EN)
    assert response.status_code == 200
    assert [n.pk for n in response.context["notifications"]] == [newer.pk, older.pk]
    text = response.content.decode()
    assert "Labor Neu" in text and "Labor Alt" in text
    assert "Labor Anderswo" not in text
    assert "COVID-19" in text  # the catalogue label of "cvd"


def test_inbox_filters_return_the_right_rows(cast):
    office, user = cast.office_a, cast.clerk_a
    covid = notification(office, disease="cvd", pathogen="cvdp", days_ago=10)
    measles = notification(office, disease="msv", pathogen="msvp", kind=Notification.Kind.DISEASE, days_ago=2)
    mine = notification(office, disease="cvd", assignee=user, state=Notification.State.ASSIGNED, days_ago=5)

    def ids(**filters):
        return {n.pk for n in selectors.inbox(user=user, office=office, filters=selectors.InboxFilters(**filters))}

    assert ids() == {covid.pk, measles.pk, mine.pk}
    assert ids(disease="msv") == {measles.pk}
    assert ids(pathogen="cvdp") == {covid.pk, mine.pk}
    assert ids(kind=Notification.Kind.DISEASE) == {measles.pk}
    assert ids(state=Notification.State.ASSIGNED) == {mine.pk}
    assert ids(assignee="me") == {mine.pk}
    assert ids(assignee="unassigned") == {covid.pk, measles.pk}
    today = timezone.localdate()
    assert ids(received_from=today - timedelta(days=6)) == {measles.pk, mine.pk}
    assert ids(received_to=today - timedelta(days=6)) == {covid.pk}


def test_inbox_filters_by_the_responsible_office(client, cast):
    office = cast.office_a
    office.rki_code = "1.11.0.11.01."
    office.save(update_fields=["rki_code"])
    ours = notification(office, responsible_code="1.11.0.11.01.")
    other = notification(office, responsible_code="1.01.0.53.", notifier="Labor Lauenburg")
    unclear = notification(office, responsible_code="")

    def ids(responsibility):
        filters = selectors.InboxFilters(responsibility=responsibility)
        return {n.pk for n in selectors.inbox(user=cast.clerk_a, office=office, filters=filters)}

    assert ids("ours") == {ours.pk}
    assert ids("other") == {other.pk}
    assert ids("unclear") == {unclear.pk}
    assert ids("") == {ours.pk, other.pk, unclear.pk}
    login_staff(client, cast.clerk_a, office)
    response = client.get(reverse("infection:inbox"), {"responsibility": "other"}, **EN)
    assert [n.pk for n in response.context["notifications"]] == [other.pk]
    assert "Another health office (to forward)" in response.content.decode()


def test_inbox_page_filters_through_the_query_string_and_shows_capped_state_counts(client, cast):
    notification(cast.office_a, disease="msv", notifier="Praxis Masern")
    notification(cast.office_a, disease="cvd", notifier="Labor Corona")
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("infection:inbox"), {"disease": "msv", "received_from": "not-a-date"}, **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Praxis Masern" in text and "Labor Corona" not in text
    assert {value: count for value, _label, count in response.context["tabs"]}["new"] == (2, False)


def test_bulk_assignment_to_me_a_colleague_and_back(client, cast):
    first = notification(cast.office_a)
    second = notification(cast.office_a)
    foreign = notification(cast.office_b)
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:inbox_assign")
    response = client.post(url, {"notification": [first.pk, second.pk, foreign.pk], "action": "me"}, **EN)
    assert response.status_code == 302
    assert set(Notification.objects.filter(assignee=cast.clerk_a).values_list("pk", flat=True)) == {first.pk, second.pk}
    foreign.refresh_from_db()
    assert foreign.assignee is None
    assert AuditEvent.objects.filter(action="infection.notification.assign").count() == 2
    client.post(url, {"notification": [first.pk], "action": "assign", "assignee": cast.physician_a.pk}, **EN)
    first.refresh_from_db()
    assert first.assignee == cast.physician_a
    client.post(url, {"notification": [first.pk], "action": "none"}, **EN)
    first.refresh_from_db()
    assert first.assignee is None


def test_bulk_assignment_refuses_nothing_selected_and_a_stranger(client, cast):
    item = notification(cast.office_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:inbox_assign")
    response = client.post(url, {"action": "me"}, **EN)
    assert response.status_code == 400
    assert "Please select at least one notification." in response.content.decode()
    response = client.post(url, {"notification": [item.pk], "action": "assign", "assignee": cast.clerk_b.pk}, **EN)
    assert response.status_code == 400
    assert "Please choose the person to assign to." in response.content.decode()
    item.refresh_from_db()
    assert item.assignee is None


def test_detail_is_scoped_and_its_read_audited(client, cast):
    mine = notification(cast.office_a)
    foreign = notification(cast.office_b)
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.get(reverse("infection:notification", args=[foreign.pk]), **EN).status_code == 404
    response = client.get(reverse("infection:notification", args=[mine.pk]), **EN)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        action="infection.notification.read", actor=cast.clerk_a, object_id=str(mine.pk)
    ).exists()
    assert not AuditEvent.objects.filter(action="infection.notification.read", object_id=str(foreign.pk)).exists()


def test_the_raw_bundle_is_shown_to_physicians_only(client, cast):
    item = notification(cast.office_a, bundle='{"resourceType": "Bundle", "id": "secret-bundle-42"}')
    url = reverse("infection:notification", args=[item.pk])
    login_staff(client, cast.clerk_a, cast.office_a)
    assert "secret-bundle-42" not in client.get(url, **EN).content.decode()
    login_staff(client, cast.physician_a, cast.office_a)
    assert "secret-bundle-42" in client.get(url, **EN).content.decode()


def test_detail_lists_the_persons_cases_to_link_to(client, cast):
    someone = person(cast.office_a)
    case = infection_case(cast.office_a, person=someone)
    other_person_case = infection_case(cast.office_a, person=person(cast.office_a, "Anders", "Otto"))
    item = notification(cast.office_a, person=someone)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("infection:notification", args=[item.pk]), **EN)
    assert list(response.context["person_cases"]) == [case]
    assert case.reference in response.content.decode()
    assert other_person_case.reference not in response.content.decode()


def test_link_a_notification_to_the_persons_case(client, cast):
    someone = person(cast.office_a)
    case = infection_case(cast.office_a, person=someone)
    item = notification(cast.office_a, person=someone)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:notification_link", args=[item.pk]), {"case": case.reference}, **EN)
    assert response.status_code == 302
    assert response["Location"] == reverse("infection:case", args=[case.reference])
    item.refresh_from_db()
    assert item.infection_case == case
    assert item.state == Notification.State.ASSIGNED
    assert Event.objects.filter(infection_case=case, code="notification.linked", data__notification=item.pk).exists()
    assert AuditEvent.objects.filter(action="infection.notification.link", object_id=str(item.pk)).exists()


def test_linking_refuses_an_unknown_a_foreign_and_another_persons_case(client, cast):
    someone = person(cast.office_a)
    item = notification(cast.office_a, person=someone)
    foreign_case = infection_case(cast.office_b)
    other_case = infection_case(cast.office_a, person=person(cast.office_a, "Anders", "Otto"))
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:notification_link", args=[item.pk])
    for reference, message in (
        ("IF-NOPE", "No case with this reference."),
        (foreign_case.reference, "No case with this reference."),
        (other_case.reference, "This notification is about another person than the case."),
    ):
        response = client.post(url, {"case": reference}, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
    item.refresh_from_db()
    assert item.infection_case is None and item.state == Notification.State.NEW
    assert not Event.objects.exists()


def test_open_a_new_case_for_a_notification(client, cast):
    someone = person(cast.office_a)
    item = notification(cast.office_a, person=someone, disease="msv", pathogen="msvp", residence_postal_code="12345")
    placeholder_case = infection_case(cast.office_a)
    result = lab_result(placeholder_case, item)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.post(reverse("infection:notification_open_case", args=[item.pk]), **EN)
    assert response.status_code == 302
    item.refresh_from_db()
    case = item.infection_case
    assert case is not None and case.reference.startswith("IF-")
    assert response["Location"] == reverse("infection:case", args=[case.reference])
    assert (case.office, case.person, case.disease, case.pathogen) == (cast.office_a, someone, "msv", "msvp")
    assert case.postal_code == "12345" and case.assignee == cast.clerk_a
    assert item.state == Notification.State.ASSIGNED
    result.refresh_from_db()
    assert result.infection_case == case  # the notification's lab results move with it
    assert list(case.events.values_list("code", flat=True)) == ["case.opened", "notification.linked"]
    # Opening twice is refused and changes nothing.
    response = client.post(reverse("infection:notification_open_case", args=[item.pk]), **EN)
    assert response.status_code == 400
    assert InfectionCase.objects.filter(person=someone).count() == 1


def test_a_related_notification_moves_to_the_same_case(cast):
    someone = person(cast.office_a)
    first = notification(cast.office_a, person=someone)
    second = notification(cast.office_a, person=someone)
    case = services.open_case_from_notification(actor=cast.clerk_a, notification=first)
    assert selectors.unlinked_notifications_of_person(office=cast.office_a, case=case) == [second]
    services.link_notification_to_case(actor=cast.clerk_a, notification=second, case=case)
    second.refresh_from_db()
    assert second.infection_case == case and second.state == Notification.State.ASSIGNED
    assert case.events.filter(code="notification.linked").count() == 2


def test_case_page_links_another_notification(client, cast):
    someone = person(cast.office_a)
    case = infection_case(cast.office_a, person=someone)
    other = notification(cast.office_a, person=someone)
    result = lab_result(infection_case(cast.office_a), other)
    login_staff(client, cast.clerk_a, cast.office_a)
    page = client.get(reverse("infection:case", args=[case.reference]), **EN)
    assert page.context["unlinked"] == [other]
    response = client.post(
        reverse("infection:case_link_notification", args=[case.reference]), {"notification": other.pk}, **EN
    )
    assert response.status_code == 302
    other.refresh_from_db()
    result.refresh_from_db()
    assert other.infection_case == case and result.infection_case == case
    response = client.post(
        reverse("infection:case_link_notification", args=[case.reference]), {"notification": "x"}, **EN
    )
    assert response.status_code == 400


def test_mark_done(client, cast):
    item = notification(cast.office_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    assert client.post(reverse("infection:notification_done", args=[item.pk]), **EN).status_code == 302
    item.refresh_from_db()
    assert item.state == Notification.State.CLOSED
    response = client.post(reverse("infection:notification_done", args=[item.pk]), **EN)
    assert response.status_code == 400
    assert "already done" in response.content.decode()


def test_writes_on_another_offices_notification_are_404_and_change_nothing(client, cast):
    foreign = notification(cast.office_b)
    login_staff(client, cast.clerk_a, cast.office_a)
    for name in ("notification_done", "notification_open_case", "notification_assign", "notification_link"):
        assert client.post(reverse(f"infection:{name}", args=[foreign.pk]), {"action": "me"}, **EN).status_code == 404
    foreign.refresh_from_db()
    assert (foreign.state, foreign.assignee, foreign.infection_case) == (Notification.State.NEW, None, None)
    assert not InfectionCase.objects.exists()


def test_forwarding_needs_a_reason_and_a_receiving_office(client, cast):
    item = notification(cast.office_a)
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:notification_forward", args=[item.pk])
    response = client.post(url, {"to_office": cast.office_b.pk, "reason": ""}, **EN)
    assert response.status_code == 422
    response = client.post(url, {"to_office": cast.office_a.pk, "reason": "Wohnort"}, **EN)
    assert response.status_code == 422
    assert "Please choose the receiving office." in response.content.decode()
    item.refresh_from_db()
    assert item.state == Notification.State.NEW and not item.forwardings.exists()


def test_forwarding_hands_the_notification_to_the_other_office(client, cast):
    import json
    import random

    from oegd.infection.ingestion import ingest_demis_bundle
    from oegd.infection.synthetic import laboratory_bundle, random_person

    rng = random.Random(7)
    raw = json.dumps(laboratory_bundle(rng, random_person(rng, ["12345"]))).encode()
    item = ingest_demis_bundle(receiving_office=cast.office_a, raw=raw).notification
    assert item.office == cast.office_a
    login_staff(client, cast.clerk_a, cast.office_a)
    url = reverse("infection:notification_forward", args=[item.pk])
    response = client.post(url, {"to_office": cast.office_b.pk, "reason": "Wohnort im Beispielkreis"}, **EN)
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.office == cast.office_b
    assert item.forwardings.filter(from_office=cast.office_a, to_office=cast.office_b).exists()
    # The sending office no longer sees it.
    assert client.get(reverse("infection:notification", args=[item.pk]), **EN).status_code == 404


def test_a_notification_forwarded_meanwhile_is_not_touched_by_the_old_office(cast):
    import json
    import random

    from oegd.core.models import Office
    from oegd.infection.ingestion import ForwardingRefused, forward_notification, ingest_demis_bundle
    from oegd.infection.synthetic import laboratory_bundle, random_person

    rng = random.Random(8)
    raw = json.dumps(laboratory_bundle(rng, random_person(rng, ["12345"]))).encode()
    stale = ingest_demis_bundle(receiving_office=cast.office_a, raw=raw).notification  # read by clerk 1
    forward_notification(
        actor=cast.clerk_a,
        notification=Notification.objects.get(pk=stale.pk),
        to_office=cast.office_b,
        reason="Wohnort im Beispielkreis",
    )  # clerk 2 was quicker
    moved = Notification.objects.get(pk=stale.pk)
    third = Office.objects.create(slug="drittes-amt", name="Drittes Amt")
    with pytest.raises(services.NotificationAlreadyHandled):
        services.mark_notification_done(actor=cast.clerk_a, notification=stale)
    with pytest.raises(services.NotificationAlreadyHandled):
        services.open_case_from_notification(actor=cast.clerk_a, notification=stale)
    with pytest.raises(ForwardingRefused):
        forward_notification(actor=cast.clerk_a, notification=stale, to_office=third, reason="Irrtum")
    assert (
        services.assign_notifications(
            actor=cast.clerk_a, office=cast.office_a, notifications=[stale], assignee=cast.clerk_a
        )
        == 0
    )
    after = Notification.objects.get(pk=stale.pk)
    assert (after.office, after.state, after.assignee, after.infection_case_id) == (
        moved.office,
        moved.state,
        moved.assignee,
        moved.infection_case_id,
    )


def test_inbox_header_links_to_pending_duplicates(client, cast):
    first, second = person(cast.office_a), person(cast.office_a, "Musterman", "Erika")
    PersonMatch.objects.create(office=cast.office_a, person=first, candidate=second, score=0.8)
    login_staff(client, cast.clerk_a, cast.office_a)
    response = client.get(reverse("infection:inbox"), **EN)
    assert response.context["matches"] == 1
    assert "duplicates" in response.content.decode()


def test_notification_detail_shows_lab_results_and_forwarding_record(client, cast):
    item = notification(cast.office_a)
    lab_result(infection_case(cast.office_a), item, value="Ct 24", interpretation=LabResult.Interpretation.POSITIVE)
    login_staff(client, cast.clerk_a, cast.office_a)
    text = client.get(reverse("infection:notification", args=[item.pk]), **EN).content.decode()
    assert "Ct 24" in text and "pathogen detected" in text
    assert "Not forwarded." in text


def test_an_ingested_notification_shows_its_mapped_content(client, cast):
    import json
    import random

    from oegd.infection.ingestion import ingest_demis_bundle
    from oegd.infection.synthetic import laboratory_bundle, random_person

    rng = random.Random(3)
    raw = json.dumps(laboratory_bundle(rng, random_person(rng, ["12345"]))).encode()
    item = ingest_demis_bundle(receiving_office=cast.office_a, raw=raw).notification
    login_staff(client, cast.physician_a, cast.office_a)
    response = client.get(reverse("infection:notification", args=[item.pk]), **EN)
    assert response.status_code == 200
    text = response.content.decode()
    assert "COVID-19" in text
    assert "Findings as notified" in text and "cvdp" in text
    assert item.person.family_name in text
    assert "NotificationBundleLaboratory" in text  # the decrypted bundle, for the physician
    inbox = client.get(reverse("infection:inbox"), **EN)
    assert item in inbox.context["notifications"]


def test_refused_pull_bundles_are_listed_for_staff_of_the_office(client, cast):
    from oegd.infection.models import RefusedBundle

    RefusedBundle.objects.create(
        office=cast.office_a,
        source="https://demis.example/fhir",
        bundle_identifier="urn:uuid:kaputt-1",
        bundle_sha256="a" * 64,
        bundle="{}",
        reason_code="value",
        reason="A notification bundle must be of type 'document'.",
    )
    RefusedBundle.objects.create(
        office=cast.office_b, source="x", bundle_sha256="b" * 64, bundle="{}", reason_code="value", reason="other"
    )
    login_staff(client, cast.clerk_a, cast.office_a)
    inbox = client.get(reverse("infection:inbox"), **EN).content.decode()
    assert "1 fetched bundle could not be accepted" in inbox
    page = client.get(reverse("infection:refused"), **EN)
    text = page.content.decode()
    assert page.status_code == 200 and "urn:uuid:kaputt-1" in text and "type &#x27;document&#x27;" in text
    assert "other" not in text.split("<table", 1)[1]
