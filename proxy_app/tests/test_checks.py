from __future__ import annotations

import pytest

from proxy_app.checks import pixora_settings_check


def error_ids() -> list[str | None]:
    return [error.id for error in pixora_settings_check()]


@pytest.mark.parametrize("url", ["", "http://pixora.internal", "https://pixora.internal:8443/base/"])
def test_good_or_empty_main_api_url_passes(settings, url):
    settings.MAIN_API_URL = url

    assert error_ids() == []


@pytest.mark.parametrize("url", ["pixora.internal", "ftp://pixora.internal", "http://", "http://h/?x=1", "http://h/#f"])
def test_a_main_api_url_we_cannot_call_safely_fails_at_start(settings, url):
    settings.MAIN_API_URL = url

    assert error_ids() == ["proxy_app.E001"]


@pytest.mark.parametrize("name", ["PIXORA_READ_TIMEOUT", "PIXORA_BREAKER_THRESHOLD", "PIXORA_MAX_CONCURRENT_CALLS"])
def test_limits_must_be_positive(settings, name):
    setattr(settings, name, 0)

    assert error_ids() == ["proxy_app.E002"]


def test_a_negative_services_cache_ttl_fails_at_start(settings):
    settings.PIXORA_SERVICES_CACHE_TTL = -1

    assert error_ids() == ["proxy_app.E003"]


def test_a_services_cache_ttl_of_zero_turns_the_cache_off_without_error(settings):
    settings.PIXORA_SERVICES_CACHE_TTL = 0

    assert error_ids() == []
