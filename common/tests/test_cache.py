"""The cache on a real Redis server, and what happens when Redis is not there."""

from __future__ import annotations

import time
from http import HTTPStatus
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from common import cache as cache_module
from common.cache import LOCAL_CACHE_MAX_ENTRIES, RedisCache, cache_get, cache_set, counter_add, local_get, local_set
from sessions_app.demo import DEMO_SESSIONS

pytestmark = [pytest.mark.redis, pytest.mark.django_db(databases=["default", "pixora"])]
SESSION_ID = str(DEMO_SESSIONS[0]["id"])


def test_validation_is_cached_in_redis(real_redis, settings):
    settings.SESSION_CACHE_TTL = 60
    api = APIClient()
    api.get(f"/api/v1/sessions/validate/{SESSION_ID}")

    with CaptureQueriesContext(connections["pixora"]) as queries:
        body = api.get(f"/api/v1/sessions/validate/{SESSION_ID}").json()

    assert body["valid"] is True
    assert len(queries) == 0
    cached = cache_get(f"session-validation:v1:{SESSION_ID}")
    assert cached is not None
    assert cached["valid"] is True


def test_redis_down_is_skipped_and_requests_are_served_from_the_database(redis_down, settings):
    settings.SESSION_CACHE_TTL = 60
    cache_set("anything", 1, 10)

    response = APIClient().get(f"/api/v1/sessions/validate/{SESSION_ID}")
    batch = APIClient().post("/api/v1/sessions/validate", {"session_ids": [SESSION_ID]}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["valid"] is True
    assert batch.json()["results"][SESSION_ID]["valid"] is True
    assert cache_get("anything") is None


def test_redis_cache_keeps_one_client_per_pool(real_redis):
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    backend.set("reused", {"n": 1}, 10)

    first, second = backend._cache.get_client(), backend._cache.get_client(write=True)

    assert first is second
    assert backend.get("reused") == {"n": 1}
    assert backend.get_many(["reused", "absent"]) == {"reused": {"n": 1}}
    backend.delete("reused")
    assert backend.get("reused") is None


def test_redis_counter_starts_with_its_expiry_and_adds_in_one_round_trip(real_redis):
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    client = backend._cache.get_client(write=True)
    key = backend.make_and_validate_key("counter")
    sent = []
    real_execute = type(client.pipeline()).execute

    def execute(pipeline, *args, **kwargs):
        sent.append(len(pipeline.command_stack))
        return real_execute(pipeline, *args, **kwargs)

    with mock.patch.object(type(client.pipeline()), "execute", execute):
        totals = [counter_add("counter", 3, 61), counter_add("counter", 2, 61)]

    assert totals == [3, 5]
    assert sent == [2, 2]
    assert backend.get("counter") == 5
    assert 0 < client.ttl(key) <= 61


def test_validation_is_kept_in_process_memory_in_front_of_redis(real_redis, settings):
    settings.SESSION_CACHE_TTL = 60
    settings.SESSION_LOCAL_CACHE_TTL = 5
    api = APIClient()
    api.get(f"/api/v1/sessions/validate/{SESSION_ID}")
    caches["default"].delete(f"session-validation:v1:{SESSION_ID}")

    with CaptureQueriesContext(connections["pixora"]) as queries:
        body = api.get(f"/api/v1/sessions/validate/{SESSION_ID}").json()

    assert body["valid"] is True
    assert len(queries) == 0


def test_process_memory_can_be_turned_off(real_redis, settings):
    settings.SESSION_CACHE_TTL = 60
    settings.SESSION_LOCAL_CACHE_TTL = 0
    api = APIClient()
    api.get(f"/api/v1/sessions/validate/{SESSION_ID}")
    caches["default"].delete(f"session-validation:v1:{SESSION_ID}")

    with CaptureQueriesContext(connections["pixora"]) as queries:
        api.get(f"/api/v1/sessions/validate/{SESSION_ID}")

    assert len(queries) == 1


def test_process_memory_expires_and_hands_out_copies():
    local_set("k", {"nested": [1]}, 0.05)

    first = local_get("k")
    assert first is not None
    first["nested"].append(2)

    assert local_get("k") == {"nested": [1]}
    time.sleep(0.1)
    assert local_get("k") is None


def test_process_memory_stays_bounded():
    for n in range(LOCAL_CACHE_MAX_ENTRIES + 10):
        local_set(f"k{n}", n, 60)

    assert local_get(f"k{LOCAL_CACHE_MAX_ENTRIES + 9}") == LOCAL_CACHE_MAX_ENTRIES + 9
    assert len(cache_module._local) <= LOCAL_CACHE_MAX_ENTRIES
