"""Hostile input from schemathesis for every operation in /api/schema/: never a 500, always the documented answer.

Bounded here (SCHEMATHESIS_MAX_EXAMPLES per operation, 25 by default); `make soak` runs it with many more.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from testing.services import THROTTLES_UNREACHED, app_server, base_environment, manage
from testing.upstream import PixoraApiStub

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiOperation

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))
SERVER_ERRORS_NEVER_DOCUMENTED = {500, 501}


@schemathesis.check
def no_unhandled_error(ctx, response, case) -> bool | None:
    """A 500 is a crash whatever the schema says; documented 502/503/504 are dependencies failing, checked below."""
    if response.status_code in SERVER_ERRORS_NEVER_DOCUMENTED:
        raise AssertionError(f"{response.status_code} from {case.method} {case.formatted_path}: {response.text[:300]}")
    return None


# Answered by the app server (and nginx) before the request reaches Django: no operation can document them.
SERVER_LIMIT_STATUSES = {414, 431}


@schemathesis.check
def documented_status(ctx, response, case) -> bool | None:
    """status_code_conformance, except for the HTTP server's own limits on the request line and headers."""
    if response.status_code in SERVER_LIMIT_STATUSES:
        return None
    return status_code_conformance(ctx, response, case)


CHECKS = [
    no_unhandled_error,
    documented_status,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXPECTED_PATHS = {
    "/api/healthz/",
    "/api/livez/",
    "/api/readyz/",
    "/api/v1/sessions/validate",
    "/api/v1/sessions/validate/{session_id}",
    "/api/v1/sessions/{session_id}",
    "/api/v1/sessions/{session_id}/facepass-status",
    "/api/v1/remote-services/{session_id}",
    "/api/v1/sessions/{session_id}/face-search",
    "/api/v1/sessions/{session_id}/face-search/{request_id}",
    "/api/v1/webhooks/pixora",
    "/api/v1/auth/login",
    "/api/v1/auth/request-login-token",
    "/api/v1/auth/login-token",
    "/api/v1/auth/validate",
    "/api/v1/auth/introspect",
    "/api/v1/auth/check",
    "/.well-known/oauth-authorization-server",
    "/api/v1/auth/logout",
    "/api/v1/auth/logout-all",
    "/api/v1/auth/session",
    "/api/v1/logs/{pod_name}",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """FacePass under the app server with DEBUG off, demo Pixora data and a Pixora API stub behind the proxy."""
    tmp_path = tmp_path_factory.mktemp("schemathesis")
    with PixoraApiStub() as upstream:
        env = base_environment(
            tmp_path,
            PIXORA_DEMO_DATABASE_PATH=str(tmp_path / "pixora.sqlite3"),
            MAIN_API_URL=upstream.url,
            PIXORA_READ_TIMEOUT="2",
            # Hostile input, not an enumerator: the throttle would hide most of it behind 429s.
            **THROTTLES_UNREACHED,
            PIXORA_WEBHOOK_SECRET="schemathesis-secret-not-real",
            SERVER_WORKERS="1",
        )
        manage("migrate", "--noinput", env=env)
        manage("create_pixora_demo", env=env)
        with app_server(env, log_path=tmp_path / "server.log") as base_url:
            yield base_url


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server}/api/schema/")


def operations(api_schema) -> list[OpenApiOperation]:
    return [result.ok() for result in api_schema.get_all_operations()]


def test_schema_covers_every_api_endpoint(api_schema):
    assert {operation.path for operation in operations(api_schema)} >= EXPECTED_PATHS


def hostile_run(operation, mode: GenerationMode) -> str | None:
    """Why this operation failed a check on generated input, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.generate],
    )
    def run(case) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        return None  # nothing in this operation can be made invalid (no parameters, or free-form strings)
    except (Exception, FailureGroup) as exc:  # each operation's failures are collected and shown together
        return f"{operation.method.upper()} {operation.path} ({mode.value}): {str(exc)[:1500]}"
    return None


@pytest.mark.e2e
def test_every_operation_answers_hostile_input_as_documented(api_schema):
    failures = [
        failure
        for operation in operations(api_schema)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        if (failure := hostile_run(operation, mode))
    ]

    assert failures == [], "\n\n".join(failures)
