"""Worklists: tabs, filters, sorting, search, capped counts, bulk assignment; the case search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oegd.cases import selectors
from oegd.cases.models import Case, CaseEntry, CaseSubject, Person, Task
from oegd.cases.selectors import WorklistFilters, search_cases, worklist
from oegd.cases.tests import factories
from oegd.core.models import AuditEvent, Membership
from oegd.core.tests.factories import login_staff

pytestmark = pytest.mark.django_db


def staff_client(user, office) -> Client:
    client = Client(headers={"accept-language": "en"})
    login_staff(client, user, office)
    return client


@pytest.fixture
def board(cast):
    """Office A: five open review tasks with different teams, assignees, priorities and due dates,
    one on hold and one done; office B: one open task. The clerk works in "Sachbearbeitung"."""
    now = timezone.now()
    teams = factories.teams(cast.office_a)
    clerks, doctors = teams["Sachbearbeitung"], teams["Ärztlicher Dienst"]
    Membership.objects.filter(user=cast.clerk_a, office=cast.office_a).update(department=clerks)
    specs = [  # name, title, team, assignee, due in days, priority
        ("mine_soon", "Belehrung Gastronomie", clerks, cast.clerk_a, 1, 2),
        ("team_late", "Belehrung Kita", clerks, None, -2, 4),
        ("doctor", "Impfberatung Reise", doctors, cast.physician_a, 5, 3),
        ("unowned", "Anfrage Schimmel", None, None, None, 1),
        ("mine_late", "Belehrung Bäckerei", doctors, cast.clerk_a, -1, 2),
    ]
    tasks = {}
    for index, (name, title, team, assignee, due, priority) in enumerate(specs):
        case = factories.review_case(
            cast.admin_a, cast.office_a, title=title, reference=f"BORD-{index:04d}-{name[0].upper()}"
        )
        task = factories.open_task(case)
        Task.objects.filter(pk=task.pk).update(
            team=team,
            assignee=assignee,
            priority=priority,
            due_at=now + timedelta(days=due) if due is not None else None,
            created_at=now - timedelta(minutes=10 - index),
        )
        tasks[name] = Task.objects.get(pk=task.pk)
    waiting_case = factories.review_case(cast.admin_a, cast.office_a, title="Wartet", reference="BORD-0009-W")
    tasks["waiting"] = factories.open_task(waiting_case)
    Task.objects.filter(pk=tasks["waiting"].pk).update(
        status=Task.Status.WAITING, waiting_until=now + timedelta(days=3), assignee=cast.clerk_a
    )
    done_case = factories.review_case(cast.admin_a, cast.office_a, title="Erledigt", reference="BORD-0010-D")
    Task.objects.filter(case=done_case).update(status=Task.Status.DONE, assignee=cast.clerk_a, completed_at=now)
    other = factories.review_case(cast.admin_b, cast.office_b, title="Belehrung Kita", reference="BORD-0011-B")
    tasks["other_office"] = factories.open_task(other)
    Task.objects.filter(pk=tasks["other_office"].pk).update(assignee=None, team=None)
    return tasks


def names(tasks) -> list[str]:
    return [task.case.title for task in tasks]


def test_each_tab_shows_its_tasks_and_never_another_office(cast, board):
    def tab(view, **filters):
        return names(worklist(user=cast.clerk_a, office=cast.office_a, view=view, filters=WorklistFilters(**filters)))

    assert tab("mine") == ["Belehrung Bäckerei", "Belehrung Gastronomie"]  # due soonest first
    assert tab("team") == ["Belehrung Kita", "Belehrung Gastronomie", "Anfrage Schimmel"]  # no due date last
    assert tab("overdue") == ["Belehrung Kita", "Belehrung Bäckerei"]
    assert tab("waiting") == ["Wartet"]
    assert tab("all") == [
        "Belehrung Kita",
        "Belehrung Bäckerei",
        "Belehrung Gastronomie",
        "Impfberatung Reise",
        "Anfrage Schimmel",
    ]
    # without a team: only what nobody owns
    assert names(worklist(user=cast.admin_a, office=cast.office_a, view="team")) == ["Anfrage Schimmel"]
    assert names(worklist(user=cast.clerk_b, office=cast.office_b, view="all")) == ["Belehrung Kita"]


def test_filters_narrow_the_list(cast, board):
    def tab(**filters):
        return names(worklist(user=cast.clerk_a, office=cast.office_a, view="all", filters=WorklistFilters(**filters)))

    doctors = board["doctor"].team
    assert tab(team_id=doctors.pk) == ["Belehrung Bäckerei", "Impfberatung Reise"]
    assert tab(priority=4) == ["Belehrung Kita"]
    assert tab(assignee_id=cast.physician_a.pk) == ["Impfberatung Reise"]
    assert tab(unassigned=True) == ["Belehrung Kita", "Anfrage Schimmel"]
    assert tab(due_before=timezone.now()) == ["Belehrung Kita", "Belehrung Bäckerei"]
    assert tab(query="belehrung") == ["Belehrung Kita", "Belehrung Bäckerei", "Belehrung Gastronomie"]
    assert tab(query="bord-0003") == ["Anfrage Schimmel"]  # reference prefix, any case
    assert tab(case_type="review", priority=2) == ["Belehrung Bäckerei", "Belehrung Gastronomie"]
    assert tab(case_type="something-else") == []


def test_sorting(cast, board):
    def order(sort):
        return names(worklist(user=cast.clerk_a, office=cast.office_a, view="all", sort=sort))

    assert order("-priority") == [
        "Belehrung Kita",
        "Impfberatung Reise",
        "Belehrung Bäckerei",
        "Belehrung Gastronomie",
        "Anfrage Schimmel",
    ]
    assert order("created") == [
        "Belehrung Gastronomie",
        "Belehrung Kita",
        "Impfberatung Reise",
        "Anfrage Schimmel",
        "Belehrung Bäckerei",
    ]
    assert order("case") == [  # by reference
        "Belehrung Gastronomie",
        "Belehrung Kita",
        "Impfberatung Reise",
        "Anfrage Schimmel",
        "Belehrung Bäckerei",
    ]


def test_counts_are_capped(cast, board):
    tasks = worklist(user=cast.clerk_a, office=cast.office_a, view="all")
    assert selectors.capped_count(tasks, 3) == (3, True)
    assert selectors.capped_count(tasks, 5) == (5, False)
    counts = selectors.worklist_counts(user=cast.clerk_a, office=cast.office_a, cap=2)
    assert counts == {
        "mine": (2, False),
        "team": (2, True),
        "overdue": (2, False),
        "waiting": (1, False),
        "all": (2, True),
    }


def test_the_worklist_page_shows_tabs_filters_and_rows(cast, board):
    client = staff_client(cast.clerk_a, cast.office_a)
    page = client.get("/staff/tasks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "My tasks (2)" in text and "All open tasks (5)" in text and "On hold (1)" in text
    assert "BORD-0004-M" in text and "BORD-0000-M" in text and "BORD-0001-T" not in text
    assert f'href="/staff/tasks/{board["mine_late"].pk}/"' in text
    assert "(overdue)" in text
    assert "BORD-0011-B" not in client.get("/staff/tasks/?view=all").content.decode()

    filtered = client.get("/staff/tasks/", {"view": "all", "priority": "4", "sort": "-priority"}).content.decode()
    assert "BORD-0001-T" in filtered and "BORD-0002-D" not in filtered
    searched = client.get("/staff/tasks/", {"view": "all", "q": "Impfberatung"}).content.decode()
    assert "BORD-0002-D" in searched and "BORD-0001-T" not in searched
    waiting = client.get("/staff/tasks/", {"view": "waiting"}).content.decode()
    assert "BORD-0009-W" in waiting and "On hold until" in waiting
    # nonsense parameters are ignored, not a server error
    assert client.get("/staff/tasks/", {"view": "x", "team": "abc", "priority": "9", "page": "-1"}).status_code == 200


def test_pages_without_counting_everything(cast, board, monkeypatch):
    from oegd.cases import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client = staff_client(cast.clerk_a, cast.office_a)
    first = client.get("/staff/tasks/?view=all").content.decode()
    assert "BORD-0001-T" in first and "BORD-0004-M" in first and "BORD-0000-M" not in first
    assert "page=2" in first and "Previous page" not in first
    third = client.get("/staff/tasks/?view=all&page=3").content.decode()
    assert "BORD-0003-U" in third and "Next page" not in third


def test_the_first_page_takes_the_same_few_queries_however_many_rows(cast, board):
    client = staff_client(cast.clerk_a, cast.office_a)
    client.get("/staff/tasks/?view=all")  # warm up (session, caches)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/tasks/?view=all").status_code == 200
        return len(captured)

    few = queries()
    for number in range(6):
        factories.review_case(cast.admin_a, cast.office_a, title=f"Mehr {number}", person=f"Muster, Kim{number}")
    Task.objects.filter(office=cast.office_a, status=Task.Status.OPEN).update(assignee=cast.physician_a)
    assert queries() == few
    assert few <= 20


def test_bulk_assignment(cast, board):
    client = staff_client(cast.clerk_a, cast.office_a)
    chosen = [board["team_late"].pk, board["unowned"].pk]
    response = client.post(
        "/staff/tasks/assign/?view=all", {"task": chosen, "action": "assign", "assignee": cast.physician_a.pk}
    )
    assert response.status_code == 302 and response["Location"] == "/staff/tasks/?view=all"
    assert set(Task.objects.filter(pk__in=chosen).values_list("assignee", flat=True)) == {cast.physician_a.pk}
    assert CaseEntry.objects.filter(code__startswith="task.assigned:").count() == 2
    assert AuditEvent.objects.filter(action="case.task.assign", actor=cast.clerk_a).count() == 2
    assert "2 tasks assigned." in client.get("/staff/tasks/?view=all").content.decode()

    client.post("/staff/tasks/assign/", {"task": chosen[:1], "action": "me"})
    assert Task.objects.get(pk=chosen[0]).assignee == cast.clerk_a
    client.post("/staff/tasks/assign/", {"task": chosen, "action": "team"})
    assert set(Task.objects.filter(pk__in=chosen).values_list("assignee", flat=True)) == {None}


def test_bad_bulk_assignments_change_nothing(cast, board):
    client = staff_client(cast.clerk_a, cast.office_a)
    before = list(Task.objects.order_by("pk").values_list("pk", "assignee"))
    nothing = client.post("/staff/tasks/assign/", {"action": "me"})
    assert nothing.status_code == 400 and "Please select at least one task." in nothing.content.decode()
    stranger = client.post(
        "/staff/tasks/assign/", {"task": [board["unowned"].pk], "action": "assign", "assignee": cast.clerk_b.pk}
    )
    assert stranger.status_code == 400 and "Please choose the person" in stranger.content.decode()
    nobody = client.post("/staff/tasks/assign/", {"task": [board["unowned"].pk], "action": "assign"})
    assert nobody.status_code == 400
    # another office's task id is silently left out
    foreign = client.post("/staff/tasks/assign/", {"task": [board["other_office"].pk], "action": "me"})
    assert foreign.status_code == 302
    assert list(Task.objects.order_by("pk").values_list("pk", "assignee")) == before


@pytest.mark.parametrize("who", ["anonymous", "citizen", "dpo", "other_office"])
def test_who_may_not_assign(cast, board, who):
    client = Client()
    if who == "citizen":
        client.force_login(cast.citizen)
    elif who == "dpo":
        login_staff(client, cast.dpo_a, cast.office_a)
    elif who == "other_office":
        login_staff(client, cast.clerk_b, cast.office_b)
    before = list(Task.objects.order_by("pk").values_list("pk", "assignee"))
    response = client.post("/staff/tasks/assign/", {"task": [board["unowned"].pk], "action": "me"})
    if who in ("anonymous", "citizen"):
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    elif who == "dpo":
        assert response.status_code == 404
    assert list(Task.objects.order_by("pk").values_list("pk", "assignee")) == before
    if who == "dpo":
        assert client.get("/staff/tasks/").status_code == 404


# --- case search ---------------------------------------------------------------------------------


@pytest.fixture
def files(cast):
    def case(reference, title, office=None, person=None, **fields):
        made = factories.plain_case(office or cast.office_a, title=title, reference=reference, **fields)
        if person:
            family, given = person
            record = Person.objects.create(office=made.office, family_name=family, given_name=given)
            CaseSubject.objects.create(case=made, role=CaseSubject.Role.AFFECTED, person=record)
        return made

    return {
        "anna": case("K7QM-4X2D-R", "Belehrung nach § 43", person=("Müller", "Anna")),
        "ben": case("K7QN-0000-A", "Meldung Kita Sonnenschein", person=("Schmidt", "Ben")),
        "closed": case("ZZZZ-1111-C", "Belehrung Imbiss", status=Case.Status.CLOSED, person=("Müllerová", "Eva")),
        "other": case("K7QM-9999-B", "Belehrung nach § 43", office=cast.office_b, person=("Müller", "Anna")),
    }


def found(cast, query, **filters):
    return [case.reference for case in search_cases(office=cast.office_a, query=query, **filters)]


def test_search_by_reference_title_and_name(cast, files):
    assert found(cast, "k7qm") == ["K7QM-4X2D-R"]  # prefix, any case; never the other office's
    assert found(cast, "K7QM-4X2D-R") == ["K7QM-4X2D-R"]
    assert sorted(found(cast, "k7q")) == ["K7QM-4X2D-R", "K7QN-0000-A"]
    assert found(cast, "kita") == ["K7QN-0000-A"]  # title word
    assert sorted(found(cast, "belehrung")) == ["K7QM-4X2D-R", "ZZZZ-1111-C"]
    assert sorted(found(cast, "müller")) == ["K7QM-4X2D-R", "ZZZZ-1111-C"]  # family name prefix
    assert found(cast, "Müller Anna") == ["K7QM-4X2D-R"]  # every word
    assert found(cast, "ben") == ["K7QN-0000-A"]  # given name
    assert found(cast, "belehrung", status=Case.Status.OPEN) == ["K7QM-4X2D-R"]
    assert found(cast, "", case_type="plain", status=Case.Status.CLOSED) == ["ZZZZ-1111-C"]
    assert found(cast, "nothing-like-this") == []
    assert len(found(cast, "")) == 3


def test_the_case_list_searches_and_filters(cast, files):
    client = staff_client(cast.clerk_a, cast.office_a)
    listing = client.get("/staff/cases/").content.decode()  # open cases by default
    assert "K7QM-4X2D-R" in listing and "K7QN-0000-A" in listing and "ZZZZ-1111-C" not in listing
    assert "2 cases" in listing
    everything = client.get("/staff/cases/?status=all").content.decode()
    assert "ZZZZ-1111-C" in everything and "K7QM-9999-B" not in everything
    by_name = client.get("/staff/cases/", {"q": "schmidt", "status": "all"}).content.decode()
    assert "K7QN-0000-A" in by_name and "K7QM-4X2D-R" not in by_name
    by_type = client.get("/staff/cases/", {"case_type": "nothing", "status": "all"}).content.decode()
    assert "No cases." in by_type


def test_the_case_list_caps_its_count(cast, files, monkeypatch):
    from oegd.cases import views

    monkeypatch.setattr(views, "CASE_COUNT_CAP", 1)
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    client = staff_client(cast.clerk_a, cast.office_a)
    first = client.get("/staff/cases/?status=all").content.decode()
    assert "More than 1 cases" in first and "page=2" in first
    assert client.get("/staff/cases/?status=all&page=3").status_code == 200
