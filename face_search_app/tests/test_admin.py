from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from face_search_app.models import FaceSearchRequest, Selfie, SessionIndex
from face_search_app.tests.conftest import ENABLED_ID

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])
LIST_URL = "/admin/face_search_app/facesearchrequest/"


@pytest.fixture
def staff_client() -> Client:
    user = get_user_model().objects.create_superuser("staff", "staff@example.invalid", "not-a-real-password")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def search() -> FaceSearchRequest:
    request = FaceSearchRequest.objects.create(
        session_id=ENABLED_ID, content_type="image/jpeg", size=3, consent_at=timezone.now(), embedding=b"\x01" * 512
    )
    Selfie.objects.create(request=request, data=b"\xff\xd8\xffselfie-bytes")
    return request


def test_staff_list_searches(staff_client, search):
    response = staff_client.get(LIST_URL)

    assert response.status_code == HTTPStatus.OK
    assert str(search.id) in response.content.decode()


def test_a_search_shows_no_biometric_data(staff_client, search):
    page = staff_client.get(f"{LIST_URL}{search.id}/change/").content.decode()

    assert "selfie-bytes" not in page
    assert "embedding" not in page.lower()
    assert "Selfie kept" in page


def test_a_search_whose_selfie_was_deleted_shows_it(staff_client, search):
    Selfie.objects.filter(request=search).delete()
    FaceSearchRequest.objects.filter(id=search.id).update(selfie_deleted_at=timezone.now(), embedding=None)

    response = staff_client.get(f"{LIST_URL}{search.id}/change/")

    assert response.status_code == HTTPStatus.OK
    assert "Selfie deleted at" in response.content.decode()


def test_searches_are_read_only_in_admin(staff_client, search):
    change_url = f"{LIST_URL}{search.id}/change/"

    assert staff_client.get(f"{LIST_URL}add/").status_code == HTTPStatus.FORBIDDEN
    assert staff_client.post(change_url, {"status": "done"}).status_code == HTTPStatus.FORBIDDEN
    assert staff_client.post(f"{LIST_URL}{search.id}/delete/").status_code == HTTPStatus.FORBIDDEN
    search.refresh_from_db()
    assert search.status == "queued"


def test_anonymous_users_see_no_searches(client, search):
    response = client.get(LIST_URL)

    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]


def test_staff_can_index_a_session_again(staff_client, queued_tasks):
    SessionIndex.objects.create(session_id=ENABLED_ID, status="ready")

    response = staff_client.post(
        "/admin/face_search_app/sessionindex/",
        {"action": "index_again", "_selected_action": [ENABLED_ID]},
        follow=True,
    )

    assert response.status_code == HTTPStatus.OK
    assert "Indexing queued for 1 session(s)." in response.content.decode()
    assert [(task.queue, task.name, task.args) for task in queued_tasks()] == [
        ("index", "session_index_refresh_task", [ENABLED_ID])
    ]


def test_a_search_shows_its_matched_photos_readably(staff_client, search):
    matches = [
        {"photo_id": "p-near", "url": "http://x.test/1", "thumbnail_url": None, "distance": 0.31},
        {"photo_id": "p-far", "url": "http://x.test/2", "thumbnail_url": None, "distance": 0.5},
    ]
    FaceSearchRequest.objects.filter(id=search.id).update(status="done", matches=matches)

    page = staff_client.get(f"{LIST_URL}{search.id}/change/").content.decode()

    assert "2: p-near (0.31), p-far (0.50)" in page
    assert "http://x.test/1" not in page
