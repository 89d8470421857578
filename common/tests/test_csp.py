from __future__ import annotations

import pytest
from csp.utils import build_policy
from django.test import Client

pytestmark = pytest.mark.django_db(databases=["default", "pixora"])
URL = "/api/v1/sessions/validate/11111111-1111-4111-8111-111111111111"


def test_api_answers_carry_the_policy_django_csp_builds():
    response = Client().get(URL)

    assert response["Content-Security-Policy"] == build_policy()
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_changed_policy_is_not_served_from_the_cache(settings):
    Client().get(URL)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'", "https://cdn.example"]}}

    response = Client().get(URL)

    assert response["Content-Security-Policy"] == "default-src 'self' https://cdn.example"


def test_excluded_prefixes_still_go_through_django_csp(settings):
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/api/v1/"]}

    response = Client().get(URL)

    assert "Content-Security-Policy" not in response
