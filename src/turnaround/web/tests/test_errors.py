import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_404_page_is_friendly(personas, client_for):
    response = client_for(personas.state_admin).get("/schools/987654/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


@override_settings(DEBUG=False)
def test_500_page_shows_the_correlation_id(monkeypatch, personas):
    import turnaround.web.views as views

    def boom(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "get_reach", boom)
    client = Client(raise_request_exception=False)
    client.force_login(personas.state_admin)
    response = client.get("/")
    assert response.status_code == 500
    assert response["X-Request-ID"].encode() in response.content
