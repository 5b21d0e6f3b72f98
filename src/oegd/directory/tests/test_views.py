import pytest
from django.urls import reverse

from oegd.core.tests.factories import OfficeFactory, login_staff

URL = "/responsibility/"


@pytest.mark.django_db
def test_the_empty_page_shows_the_form(client):
    response = client.get(URL)

    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("<h1") == 1
    assert 'name="postal_code"' in text
    assert 'name="place"' in text
    assert reverse("directory:responsibility") == URL


def test_a_unique_postal_code_shows_the_office_and_how_to_reach_it(client, small_directory):
    response = client.get(URL, {"postal_code": "24937"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Stadt Flensburg" in text
    assert "Norderstr. 58-60" in text
    assert "0461 85-2113" in text
    assert "mailto:infektionsschutz@flensburg.de" in text
    assert "Bezirksamt" not in text


def test_an_office_on_the_platform_is_named(client, small_directory):
    OfficeFactory(slug="flensburg", name="Gesundheitsamt Flensburg", rki_code="1.01.0.01.")

    response = client.get(URL, {"postal_code": "24937"})

    assert "Gesundheitsamt Flensburg offers its services on this platform." in response.content.decode()


def test_a_shared_postal_code_asks_for_the_place_and_lists_the_candidates(client, small_directory):
    response = client.get(URL, {"postal_code": "10117"})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Several health offices serve 10117" in text
    assert "Enter your place or district" in text
    assert "Bezirksamt Mitte von Berlin" in text
    assert "Bezirksamt Friedrichshain-Kreuzberg" in text


def test_the_place_decides_a_shared_postal_code(client, small_directory):
    response = client.get(URL, {"postal_code": "10117", "place": "Kreuzberg"})

    text = response.content.decode()
    assert "Bezirksamt Friedrichshain-Kreuzberg" in text
    assert "Bezirksamt Mitte von Berlin" not in text


def test_a_place_that_does_not_decide_is_said_so(client, small_directory):
    response = client.get(URL, {"postal_code": "10117", "place": "Wedding"})

    assert response.status_code == 200
    assert "does not tell us which one is yours" in response.content.decode()


@pytest.mark.django_db
def test_a_bad_postal_code_shows_the_error_next_to_the_field(client):
    response = client.get(URL, {"postal_code": "abc"})

    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="id_postal_code-error"' in text
    assert "A German postal code has five digits, for example 10117." in text
    assert 'aria-invalid="true"' in text
    assert 'href="#id_postal_code"' in text  # error summary links to the field


def test_an_unknown_postal_code_is_a_400_with_message(client, small_directory):
    response = client.get(URL, {"postal_code": "00000"})

    assert response.status_code == 400
    assert "We do not know the postal code 00000." in response.content.decode()


def test_the_message_is_translated(client, small_directory):
    response = client.get(URL, {"postal_code": "abc"}, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 400
    assert '<html lang="de"' in response.content.decode()


# --- staff directory ----------------------------------------------------------------------------

STAFF_URL = "/staff/directory/"


def test_anonymous_and_citizens_are_sent_to_the_login(client, cast, small_directory):
    assert client.get(STAFF_URL).status_code == 302
    client.force_login(cast.citizen)
    response = client.get(STAFF_URL)
    assert response.status_code == 302
    assert "Bezirksamt" not in response.content.decode()


def test_staff_search_the_directory(client, cast, small_directory):
    login_staff(client, cast.clerk_a, cast.office_a)

    response = client.get(STAFF_URL, {"q": "Kreuzberg"})

    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("<h1") == 1
    assert "Bezirksamt Friedrichshain-Kreuzberg" in text
    assert "Stadt Flensburg" not in text


def test_staff_see_all_offices_without_a_query(client, cast, small_directory):
    login_staff(client, cast.admin_b, cast.office_b)

    text = client.get(STAFF_URL).content.decode()

    assert "Stadt Flensburg" in text
    assert "Bezirksamt Mitte von Berlin" in text
