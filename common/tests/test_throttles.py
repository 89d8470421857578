from __future__ import annotations

from unittest import mock

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from common.throttles import ResilientScopedRateThrottle, WindowCounts, sync_batch


class ThrottledView(APIView):
    throttle_scope = "sessions"


def forwarded_request(forwarded_for: str):
    return Request(APIRequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded_for, REMOTE_ADDR="192.0.2.1"))


@pytest.mark.parametrize(("num_proxies", "ident"), [(None, "192.0.2.1"), (0, "192.0.2.1"), (1, "198.51.100.9")])
def test_client_ident_ignores_a_forged_forwarded_for_unless_proxies_are_configured(monkeypatch, num_proxies, ident):
    monkeypatch.setattr(api_settings, "NUM_PROXIES", num_proxies)

    assert ResilientScopedRateThrottle().get_ident(forwarded_request("203.0.113.7, 198.51.100.9")) == ident


def test_throttle_lets_requests_through_when_the_cache_is_down(monkeypatch, caplog):
    monkeypatch.setitem(ResilientScopedRateThrottle.THROTTLE_RATES, "sessions", "3/min")
    throttle = ResilientScopedRateThrottle()
    with mock.patch("common.throttles.counter_add", side_effect=RedisConnectionError("refused")):
        allowed = throttle.allow_request(forwarded_request("203.0.113.7"), ThrottledView())

    assert allowed is True
    assert "throttle skipped, cache unavailable" in caplog.text


def test_each_client_gets_its_rate_per_window_then_a_wait(monkeypatch):
    monkeypatch.setitem(ResilientScopedRateThrottle.THROTTLE_RATES, "sessions", "3/min")
    now = [600.0]
    monkeypatch.setattr(ResilientScopedRateThrottle, "timer", lambda self: now[0])

    def from_address(ip: str) -> Request:
        return Request(APIRequestFactory().get("/", REMOTE_ADDR=ip))

    def attempts(ip: str, count: int) -> list[bool]:
        return [ResilientScopedRateThrottle().allow_request(from_address(ip), ThrottledView()) for _ in range(count)]

    assert attempts("203.0.113.7", 4) == [True, True, True, False]
    assert attempts("203.0.113.8", 1) == [True]
    throttle = ResilientScopedRateThrottle()
    assert throttle.allow_request(from_address("203.0.113.7"), ThrottledView()) is False
    assert throttle.wait() == pytest.approx(60)
    now[0] += 60
    assert attempts("203.0.113.7", 1) == [True]


def test_a_process_adds_its_counts_to_the_shared_counter_in_batches():
    counts = WindowCounts()
    limit = 1000
    batch = sync_batch(limit)

    seen = [counts.count("throttle_k", window=1, limit=limit, timeout=61) for _ in range(batch)]

    assert batch == 20
    assert seen == list(range(1, batch + 1))
    assert cache.get("throttle_k") == batch
    counts.count("throttle_k", window=1, limit=limit, timeout=61)
    assert cache.get("throttle_k") == batch


def test_processes_sharing_a_counter_admit_at_most_a_batch_each_past_the_limit():
    workers = [WindowCounts() for _ in range(4)]
    limit = 500

    admitted = sum(
        workers[attempt % len(workers)].count("throttle_k", window=1, limit=limit, timeout=61) <= limit
        for attempt in range(2 * limit)
    )

    assert limit <= admitted <= limit + len(workers) * sync_batch(limit)
    assert all(worker.count("throttle_k", window=1, limit=limit, timeout=61) > limit for worker in workers)


def test_a_new_window_starts_from_zero():
    counts = WindowCounts()
    for _ in range(5):
        counts.count("throttle_a", window=1, limit=5, timeout=61)

    assert counts.count("throttle_a", window=1, limit=5, timeout=61) == 6
    assert counts.count("throttle_b", window=2, limit=5, timeout=61) == 1
