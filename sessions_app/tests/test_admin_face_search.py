from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from sessions_app.models import FaceSearchRequest

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])


@pytest.fixture
def staff_client() -> Client:
    user = get_user_model().objects.create_superuser("staff", "staff@example.invalid", "not-a-real-password")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def face_search(media_root) -> FaceSearchRequest:
    return FaceSearchRequest.objects.create(
        session_id="11111111-1111-4111-8111-111111111111", image="face-search/x.jpg", content_type="image/jpeg", size=3
    )


def test_staff_list_face_search_requests(staff_client, face_search):
    response = staff_client.get("/admin/sessions_app/facesearchrequest/")

    assert response.status_code == HTTPStatus.OK
    assert str(face_search.id) in response.content.decode()


def test_face_search_requests_are_read_only_in_admin(staff_client, face_search):
    change_url = f"/admin/sessions_app/facesearchrequest/{face_search.id}/change/"

    assert staff_client.get(change_url).status_code == HTTPStatus.OK
    assert staff_client.get("/admin/sessions_app/facesearchrequest/add/").status_code == HTTPStatus.FORBIDDEN
    assert staff_client.post(change_url, {"status": "queued"}).status_code == HTTPStatus.FORBIDDEN
    assert staff_client.post(f"{change_url[: -len('change/')]}delete/").status_code == HTTPStatus.FORBIDDEN
    assert FaceSearchRequest.objects.count() == 1


def test_anonymous_users_see_no_face_search_requests(client, face_search):
    response = client.get("/admin/sessions_app/facesearchrequest/")

    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]
