"""Sign-in throttles count every attempt, across threads and workers, and hold when the cache is down."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from sso_app.throttles import LoginUsernameThrottle

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])


def attempts_allowed(*, threads: int, per_thread: int, rate: str, monkeypatch) -> int:
    monkeypatch.setitem(LoginUsernameThrottle.THROTTLE_RATES, "login_username", rate)
    factory = APIRequestFactory()
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def guess() -> None:
        start.wait()
        for _ in range(per_thread):
            request = APIView().initialize_request(
                factory.post("/api/v1/auth/login", {"username": "victim", "password": "x"}, format="json")
            )
            result = LoginUsernameThrottle().allow_request(request, APIView())
            with lock:
                allowed.append(result)

    workers = [threading.Thread(target=guess) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(allowed)


@pytest.mark.redis
def test_concurrent_attempts_are_all_counted_in_redis(real_redis, monkeypatch):
    assert attempts_allowed(threads=8, per_thread=10, rate="20/min", monkeypatch=monkeypatch) == 20


def test_concurrent_attempts_are_all_counted_in_local_memory(monkeypatch):
    assert attempts_allowed(threads=8, per_thread=10, rate="20/min", monkeypatch=monkeypatch) == 20


def test_the_limit_holds_when_the_cache_is_down(redis_down, monkeypatch, caplog):
    assert attempts_allowed(threads=4, per_thread=10, rate="10/min", monkeypatch=monkeypatch) == 10
    assert "counting in this process only" in caplog.text


def test_sign_in_is_refused_past_the_limit_while_redis_is_down(redis_down, monkeypatch, make_user):
    monkeypatch.setitem(LoginUsernameThrottle.THROTTLE_RATES, "login_username", "3/min")
    make_user("reader")
    api = APIClient()

    statuses = [
        api.post(
            "/api/v1/auth/login", {"username": "reader", "password": "wrong"}, format="json", REMOTE_ADDR=f"10.1.0.{n}"
        ).status_code
        for n in range(5)
    ]

    assert statuses == [HTTPStatus.UNAUTHORIZED] * 3 + [HTTPStatus.TOO_MANY_REQUESTS] * 2


def test_the_previous_window_still_counts(monkeypatch):
    monkeypatch.setitem(LoginUsernameThrottle.THROTTLE_RATES, "login_username", "10/min")
    factory = APIRequestFactory()
    clock = [600.0]

    def attempt() -> bool:
        throttle = LoginUsernameThrottle()
        throttle.timer = lambda: clock[0]
        request = APIView().initialize_request(
            factory.post("/api/v1/auth/login", {"username": "victim", "password": "x"}, format="json")
        )
        return throttle.allow_request(request, APIView())

    first_window = [attempt() for _ in range(10)]
    clock[0] = 661.0  # one second into the next window: the 10 attempts just before still count (59/60 of them)

    assert all(first_window)
    assert attempt() is False
