from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from celery import current_app
from django.core import mail
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.utils import timezone
from kombu.exceptions import OperationalError

from sso_app.models import LoginCode
from sso_app.tasks import login_code_request_task
from sso_app.tests.conftest import bearer

pytestmark = pytest.mark.django_db


def request_code(api, email: str):
    return api.post("/api/v1/auth/request-login-token", {"email": email}, format="json")


def emailed_code() -> str:
    found = re.search(r"\b([A-Z0-9]{5}-[A-Z0-9]{5})\b", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)


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
    wrong = ("2" if code[0] != "2" else "3") + code[1:]

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


def test_codes_are_long_and_from_an_unambiguous_alphabet(api, reader):
    codes = set()
    for _ in range(3):
        request_code(api, "reader@example.com")
        codes.add(emailed_code())

    assert len(codes) == 3
    for code in codes:
        letters = code.replace("-", "")
        assert len(letters) == 10
        assert set(letters) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")


def test_a_code_is_accepted_as_a_person_types_it(api, reader):
    request_code(api, "reader@example.com")
    code = emailed_code()

    response = redeem(api, "reader@example.com", f" {code.replace('-', ' ').lower()} ")

    assert response.status_code == HTTPStatus.OK


def test_tries_count_per_address_across_codes(api, reader):
    request_code(api, "reader@example.com")
    first = emailed_code()
    wrong = ("2" if first[0] != "2" else "3") + first[1:]
    for _ in range(3):
        redeem(api, "reader@example.com", wrong)
    request_code(api, "reader@example.com")
    second = emailed_code()
    for _ in range(2):
        redeem(api, "reader@example.com", wrong)

    # Five wrong tries in all: the fresh code can't be used either until the old tries age out.
    assert redeem(api, "reader@example.com", second).status_code == HTTPStatus.UNAUTHORIZED
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        request_code(api, "reader@example.com")
        assert redeem(api, "reader@example.com", emailed_code()).status_code == HTTPStatus.OK


def test_the_request_only_queues_the_email(api, reader, queued_tasks):
    current_app.conf.task_always_eager = False

    response = request_code(api, "reader@example.com")
    unknown = request_code(api, "nobody@example.com")

    assert response.status_code == unknown.status_code == HTTPStatus.ACCEPTED
    assert response.json() == unknown.json()
    assert mail.outbox == []
    assert not LoginCode.objects.exists()
    assert [(task.name, task.args) for task in queued_tasks()] == [
        ("login_code_request_task", ["reader@example.com"]),
        ("login_code_request_task", ["nobody@example.com"]),
    ]


def test_the_smtp_connection_is_bounded_by_email_timeout(settings):
    assert settings.EMAIL_TIMEOUT == 10
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    connection = get_connection()
    assert isinstance(connection, SMTPEmailBackend)
    assert connection.timeout == settings.EMAIL_TIMEOUT


def test_a_queue_that_is_down_is_a_503_for_everyone_alike(api, reader, monkeypatch):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(login_code_request_task, "delay", broker_down)

    known = request_code(api, "reader@example.com")
    unknown = request_code(api, "nobody@example.com")

    assert known.status_code == unknown.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert known.json() == unknown.json()
    assert "6379" not in known.content.decode()
