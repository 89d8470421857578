from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from sso_app.models import LoginCode
from sso_app.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def request_code(api, email: str):
    return api.post("/api/v1/auth/request-login-token", {"email": email}, format="json")


def emailed_code() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def redeem(api, email: str, code: str):
    return api.post("/api/v1/auth/login-token", {"email": email, "code": code}, format="json")


def test_a_code_is_emailed_to_an_active_user_and_signs_them_in_once(api, reader):
    response = request_code(api, "Reader@Example.com")

    assert response.status_code == HTTPStatus.ACCEPTED
    assert mail.outbox[-1].to == ["reader@example.com"]
    code = emailed_code()
    assert code not in LoginCode.objects.get().code_hash
    signed_in = redeem(api, "reader@example.com", code)
    assert signed_in.status_code == HTTPStatus.OK
    assert signed_in.json()["user"]["username"] == "reader"
    assert api.get("/api/v1/auth/session", **bearer(signed_in.json()["token"])).status_code == HTTPStatus.OK
    assert redeem(api, "reader@example.com", code).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("email", ["nobody@example.com", "gone@example.com"])
def test_unknown_or_inactive_addresses_get_the_same_202_and_no_mail(api, make_user, email):
    make_user("gone", active=False)

    response = request_code(api, email)

    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.json() == request_code(api, "other@example.com").json()
    assert mail.outbox == []


def test_a_code_expires_after_ten_minutes(api, reader):
    request_code(api, "reader@example.com")
    code = emailed_code()

    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = redeem(api, "reader@example.com", code)

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_code_allows_five_tries(api, reader):
    request_code(api, "reader@example.com")
    code = emailed_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    statuses = [redeem(api, "reader@example.com", wrong).status_code for _ in range(5)]

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 5
    assert redeem(api, "reader@example.com", code).status_code == HTTPStatus.UNAUTHORIZED


def test_a_new_code_replaces_the_previous_one(api, reader):
    request_code(api, "reader@example.com")
    first = emailed_code()
    request_code(api, "reader@example.com")
    second = emailed_code()

    if first != second:
        assert redeem(api, "reader@example.com", first).status_code == HTTPStatus.UNAUTHORIZED
    assert redeem(api, "reader@example.com", second).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "not-an-email"}, {"email": "reader@example.com"}, {"email": "reader@example.com", "code": "12ab56"}],
)
def test_malformed_code_requests_are_a_400(api, reader, body):
    assert api.post("/api/v1/auth/login-token", body, format="json").status_code == HTTPStatus.BAD_REQUEST


def test_code_requests_are_throttled_per_address(api, reader):
    statuses = [request_code(api, "reader@example.com").status_code for _ in range(11)]

    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS


@pytest.mark.parametrize("email", ['"\\ud800@example.com"', '"\' OR 1=1 --@example.com"', '["a@example.com"]'])
def test_hostile_code_requests_are_a_clean_400(api, email):
    response = api.post("/api/v1/auth/request-login-token", f'{{"email": {email}}}', content_type="application/json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
