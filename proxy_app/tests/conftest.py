from __future__ import annotations

from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from proxy_app.services import pixora_breaker, pixora_bulkhead
from testing.upstream import PixoraApiStub


@pytest.fixture(autouse=True)
def fresh_breaker() -> Iterator[None]:
    """Each test gets a breaker and a bulkhead built from its own settings."""
    pixora_breaker.cache_clear()
    pixora_bulkhead.cache_clear()
    yield
    pixora_breaker.cache_clear()
    pixora_bulkhead.cache_clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def upstream(settings) -> Iterator[PixoraApiStub]:
    """A real HTTP server standing for the Pixora API, with short timeouts so misbehaviour shows quickly."""
    with PixoraApiStub() as stub:
        settings.MAIN_API_URL = stub.url
        settings.PIXORA_CONNECT_TIMEOUT = 1.0
        settings.PIXORA_READ_TIMEOUT = 1.0
        settings.PIXORA_SERVICES_CACHE_TTL = 0
        yield stub
