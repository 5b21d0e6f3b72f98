import pytest

pytestmark = pytest.mark.django_db


def test_start_page_renders_in_german(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="de" dir="ltr">' in response.content.decode()
    assert "Gesundheitsamt" in response.content.decode() or "health office" in response.content.decode()
