from __future__ import annotations

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from common.middleware import SiteAuthenticationMiddleware, SiteMessageMiddleware, request_id_for


def through_session_user_and_messages(path: str) -> HttpRequest:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    request = RequestFactory().get(path)
    SessionMiddleware(SiteAuthenticationMiddleware(SiteMessageMiddleware(view)))(request)
    return request


def test_the_admin_gets_its_user_and_messages():
    request = through_session_user_and_messages("/admin/")

    assert request.user.is_anonymous
    assert hasattr(request, "_messages")


@pytest.mark.parametrize("path", ["/api/v1/sessions/validate/x", "/api/healthz/"])
def test_api_requests_pass_by_the_user_and_message_middleware(path):
    request = through_session_user_and_messages(path)

    assert not hasattr(request, "user")
    assert not hasattr(request, "_messages")


def test_new_request_ids_are_128_bit_hex_and_differ():
    request = RequestFactory().get("/")

    ids = {request_id_for(request) for _ in range(1000)}

    assert len(ids) == 1000
    assert all(len(request_id) == 32 and int(request_id, 16) >= 0 for request_id in ids)


@pytest.mark.parametrize(("incoming", "kept"), [("abc-123.x:y_z", True), ("a b", False), ("x" * 129, False)])
def test_a_client_request_id_is_kept_only_when_safe(incoming, kept):
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=incoming)

    assert (request_id_for(request) == incoming) is kept
